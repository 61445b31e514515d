"""The canonical form of a URL, under which a link target is checked and reported once per run.

Pure (w3lib); no settings.
"""

from __future__ import annotations

import re
from functools import lru_cache
from urllib.parse import urlsplit, urlunsplit

from w3lib.url import safe_url_string

from pipelines.rules.urls import URL_CACHE_SIZE

_DEFAULT_PORTS = {"http": 80, "https": 443}
_PERCENT = re.compile(r"%[0-9a-fA-F]{2}")
_HOST = re.compile(r"[a-z0-9._-]+|\[[0-9a-f:.]+\]")


def _remove_dot_segments(path: str) -> str:
    """RFC 3986 5.2.4, as browsers apply it: ``/a/b/../c`` -> ``/a/c``, ``/../x`` -> ``/x``."""
    if "." not in path:
        return path
    segments, out = path.split("/"), list[str]()
    for i, segment in enumerate(segments):
        last = i == len(segments) - 1
        if segment == "..":
            if len(out) > 1:
                out.pop()
        elif segment != ".":
            out.append(segment)
            continue
        if last:
            out.append("")
    return "/".join(out)


@lru_cache(
    maxsize=URL_CACHE_SIZE
)  # a site links the same targets from page after page (ten times each, measured)
def normalize_url(url: str, *, encoding: str = "utf-8") -> str:
    """Return the canonical form of ``url`` under which a link target is checked and reported.

    Raw non-ASCII and spaces are percent-encoded (path as UTF-8, query in ``encoding``, as browsers do
    for the page's charset), existing ``%XX`` escapes are kept (hex upper-cased), scheme and host are
    lower-cased, the host is IDNA-encoded, dot segments, fragment, credentials and default ports are
    dropped and an empty path becomes ``/``. The query is kept as written (order matters to some CMSs).
    Idempotent.

    Raises:
        ValueError: the URL has an invalid host or port.
    """
    parts = urlsplit(safe_url_string(url, encoding=encoding))
    scheme = parts.scheme.lower()
    if not parts.netloc:
        return _PERCENT.sub(lambda m: m[0].upper(), urlunsplit((scheme, "", parts.path, parts.query, "")))
    host, port = (parts.hostname or "").lower(), parts.port
    host = f"[{host}]" if ":" in host else host
    if not host or not _HOST.fullmatch(host):
        raise ValueError(f"invalid host in URL: {url!r}")
    netloc = host if port is None or port == _DEFAULT_PORTS.get(scheme) else f"{host}:{port}"
    path = _remove_dot_segments(parts.path) or "/"
    return _PERCENT.sub(lambda m: m[0].upper(), urlunsplit((scheme, netloc, path, parts.query, "")))
