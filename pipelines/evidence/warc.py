"""The run's evidence archive: a WARC/1.1 file, gzip per record, SHA-256 digests, written with warcio.

Digests are ``sha256:<hex>`` (warcio checks them: ``warcio check FILE``). Bodies are stored as the crawler
read them (decompressed), so the archived HTTP headers name the original encoding and length as
``X-Archive-Orig-*`` (pywb's convention) and ``Content-Length`` is the stored length.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from http import HTTPStatus
from io import BytesIO
from pathlib import Path
from typing import IO, Any, Self
from urllib.parse import urlsplit

from warcio.archiveiterator import ArchiveIterator
from warcio.recordloader import ArcWarcRecord
from warcio.statusandheaders import StatusAndHeaders
from warcio.timeutils import datetime_to_iso_date
from warcio.utils import Digester
from warcio.warcwriter import WARCWriter

from pipelines.evidence.exchange import Exchange, Headers

# hop-by-hop and encoding headers describe bytes that are not the stored ones: kept under another name
_RENAMED = frozenset({"content-encoding", "transfer-encoding", "content-length"})


class Sha256Digester(Digester):  # type: ignore[misc]
    """warcio's digester, SHA-256 in hex: the form of the export's ``evidence_digest``."""

    def __init__(self) -> None:
        super().__init__("sha256")

    def __str__(self) -> str:
        return "sha256:" + str(self.digester.hexdigest())


class _Writer(WARCWriter):  # type: ignore[misc]
    @staticmethod
    def _create_digester() -> Digester:
        return Sha256Digester()


@dataclass(frozen=True)
class Written:
    """Where one record went: its WARC-Record-ID and payload digest."""

    record_id: str
    digest: str
    record_type: str


def payload_digest(payload: bytes) -> str:
    return "sha256:" + hashlib.sha256(payload).hexdigest()


def warc_date(moment: datetime) -> str:
    return str(datetime_to_iso_date(moment.astimezone(UTC).replace(tzinfo=None), use_micros=True))


class ArchiveWriter:
    """Write one run's records to ``path`` (through ``path.part``, renamed when closed: never a torn file)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.partial = path.with_name(path.name + ".part")
        path.parent.mkdir(parents=True, exist_ok=True)
        self.file: IO[bytes] = self.partial.open("wb")
        self.writer = _Writer(self.file, gzip=True, warc_version="1.1")
        self.records = 0

    def __enter__(self) -> Self:
        return self

    def __exit__(self, kind: object, value: object, traceback: object) -> None:
        if kind is None:
            self.close()
        else:
            self.abort()

    def close(self) -> None:
        self.file.flush()
        os.fsync(self.file.fileno())
        self.file.close()
        self.partial.replace(self.path)

    def abort(self) -> None:
        self.file.close()
        self.partial.unlink(missing_ok=True)

    def _write(self, record: ArcWarcRecord) -> Written:
        self.writer.write_record(record)
        self.records += 1
        headers = record.rec_headers
        return Written(
            headers.get_header("WARC-Record-ID"),
            headers.get_header("WARC-Payload-Digest") or headers.get_header("WARC-Block-Digest"),
            record.rec_type,
        )

    def warcinfo(self, fields: Mapping[str, Any]) -> Written:
        record = self.writer.create_warcinfo_record(self.path.name, dict(fields))
        return self._write(record)

    def metadata(
        self, uri: str, fields: Mapping[str, Any], *, when: datetime, refers_to: str | None = None
    ) -> Written:
        """A ``metadata`` record of ``application/warc-fields`` lines (a transport failure, a redirect chain …)."""
        lines = "".join(
            f"{name}: {_one_line(value)}\r\n" for name, value in fields.items() if value is not None
        )
        payload = lines.encode("utf-8")
        headers = {"WARC-Date": warc_date(when), "Content-Type": "application/warc-fields"}
        if refers_to:
            headers["WARC-Refers-To"] = refers_to
        record = self.writer.create_warc_record(
            uri,
            "metadata",
            payload=BytesIO(payload),
            length=len(payload),
            warc_headers_dict=headers,
            warc_content_type="application/warc-fields",
        )
        return self._write(record)

    def exchange(self, exchange: Exchange) -> Written:
        """The records of one exchange; the one returned proves it (the response, or the failure's metadata)."""
        if not exchange.answered:
            return self.metadata(
                exchange.url,
                {
                    "govhealth-event": "transport-failure",
                    "method": exchange.method,
                    "error": exchange.error,
                    "message": exchange.message,
                    "started": warc_date(exchange.started),
                    "elapsed-seconds": None if exchange.elapsed is None else f"{exchange.elapsed:.3f}",
                    "redirects": " ".join(exchange.redirects) or None,
                },
                when=exchange.started,
            )
        uri = exchange.answer_url
        when = warc_date(exchange.started)
        response_headers: dict[str, str] = {"WARC-Date": when}
        if exchange.truncated:
            response_headers["WARC-Truncated"] = "length"
        if exchange.redirects:
            response_headers["Govhealth-Requested-URI"] = exchange.url
        if exchange.elapsed is not None:
            response_headers["Govhealth-Elapsed"] = f"{exchange.elapsed:.3f}"
        status = exchange.status
        assert status is not None
        response = self.writer.create_warc_record(
            uri,
            "response",
            payload=BytesIO(exchange.body),
            length=len(exchange.body),
            warc_headers_dict=response_headers,
            http_headers=StatusAndHeaders(
                f"{status} {_reason(status)}",
                archived_headers(exchange.response_headers, len(exchange.body)),
                protocol="HTTP/1.1",
            ),
        )
        written = self._write(response)
        parts = urlsplit(uri)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        request_headers = [("Host", parts.netloc), *exchange.request_headers]
        request = self.writer.create_warc_record(
            uri,
            "request",
            payload=BytesIO(b""),
            length=0,
            warc_headers_dict={"WARC-Date": when, "WARC-Concurrent-To": written.record_id},
            http_headers=StatusAndHeaders(
                f"{exchange.method} {target} HTTP/1.1", request_headers, is_http_request=True
            ),
        )
        self._write(request)
        if exchange.redirects:
            self.metadata(
                exchange.url,
                {
                    "govhealth-event": "redirected",
                    "redirects": " ".join([*exchange.redirects, uri]),
                },
                when=exchange.started,
                refers_to=written.record_id,
            )
        return written


def archived_headers(headers: Headers, stored_length: int) -> list[tuple[str, str]]:
    """The response headers as archived: the encoding and length headers renamed, the stored length given."""
    kept = []
    for name, value in headers:
        if name.lower() in _RENAMED:
            kept.append((f"X-Archive-Orig-{name}", value))
        else:
            kept.append((name, value))
    kept.append(("Content-Length", str(stored_length)))
    return kept


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"


def _one_line(value: Any) -> str:
    return " ".join(str(value).split())


@dataclass(frozen=True)
class ArchivedRecord:
    """One record read back from an archive (``scrapy evidence``)."""

    record_type: str
    record_id: str
    target_uri: str
    date: str
    headers: list[tuple[str, str]]
    http_status_line: str | None
    http_headers: list[tuple[str, str]]
    payload: bytes
    concurrent_to: str | None
    truncated: str | None


def read_records(path: Path) -> Iterator[ArchivedRecord]:
    """Every record of a WARC file, payloads read in full (our records are small: bodies are capped)."""
    with path.open("rb") as stream:
        for record in ArchiveIterator(stream):
            http = record.http_headers
            headers = record.rec_headers
            yield ArchivedRecord(
                record.rec_type,
                headers.get_header("WARC-Record-ID") or "",
                headers.get_header("WARC-Target-URI") or "",
                headers.get_header("WARC-Date") or "",
                list(headers.headers),
                f"{http.protocol} {http.statusline}" if http is not None else None,
                list(http.headers) if http is not None else [],
                record.content_stream().read(),
                headers.get_header("WARC-Concurrent-To"),
                headers.get_header("WARC-Truncated"),
            )
