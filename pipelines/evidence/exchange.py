"""What the crawl read, kept aside until the verdicts say which of it proves a finding (README: Evidence archive).

An ``Exchange`` is one request and its answer (or its transport failure), its body already cut at the
evidence cap; the ``Spool`` keeps them in an unlinked temporary file and hands out integer references.
"""

from __future__ import annotations

import pickle
import tempfile
from dataclasses import dataclass
from datetime import datetime
from typing import IO

Headers = tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Exchange:
    """One request and what came back: a response (status, headers, body prefix) or a transport failure."""

    url: str  # the URL requested first (the link target, the list page …)
    method: str
    started: datetime  # UTC
    request_headers: Headers = ()
    elapsed: float | None = None  # seconds until the answer (or the failure)
    final_url: str | None = None  # the URL that answered, after redirects
    redirects: tuple[str, ...] = ()  # the hops before it
    status: int | None = None
    response_headers: Headers = ()
    body: bytes = b""
    truncated: bool = False  # the body is a prefix (evidence cap, page budget, stopped download)
    error: str | None = None  # transport failure: the export's error code (dns, timeout …)
    message: str | None = None  # transport failure: what the network layer said

    @property
    def answered(self) -> bool:
        """A response came (any status); False for a transport failure."""
        return self.status is not None

    @property
    def answer_url(self) -> str:
        return self.final_url or self.url


class SpoolFull(Exception):
    """The spool reached GOVHEALTH_EVIDENCE_SPOOL_BYTES: nothing more is kept."""


class Spool:
    """Exchanges of one crawl on disk, by reference; the file vanishes when closed (or when the process dies)."""

    def __init__(self, max_bytes: int, directory: str | None = None) -> None:
        self.max_bytes = max_bytes
        self.directory = directory
        self._file: IO[bytes] | None = None  # opened with the first exchange
        self.spans: list[tuple[int, int]] = []
        self.size = 0

    @property
    def file(self) -> IO[bytes]:
        if self._file is None:
            # unlinked at once: nothing is left behind, even by a killed process
            self._file = tempfile.TemporaryFile(prefix="govhealth-spool-", dir=self.directory)  # noqa: SIM115
        return self._file

    def __len__(self) -> int:
        return len(self.spans)

    def add(self, exchange: Exchange) -> int:
        """Keep one exchange; its reference for ``get``.

        Raises:
            SpoolFull: keeping it would pass ``max_bytes``.
        """
        data = pickle.dumps(exchange, protocol=pickle.HIGHEST_PROTOCOL)
        if self.size + len(data) > self.max_bytes:
            raise SpoolFull(f"evidence spool full ({self.max_bytes} bytes)")
        self.file.seek(self.size)
        self.file.write(data)
        self.spans.append((self.size, len(data)))
        self.size += len(data)
        return len(self.spans) - 1

    def get(self, ref: int) -> Exchange:
        offset, length = self.spans[ref]
        self.file.seek(offset)
        exchange = pickle.loads(self.file.read(length))  # noqa: S301 - our own file, written above
        assert isinstance(exchange, Exchange)
        return exchange

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
