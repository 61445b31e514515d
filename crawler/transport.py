"""The export error code of a failed download: Scrapy's own exceptions or the Twisted ones they wrap."""

from __future__ import annotations

from urllib.parse import urlsplit

from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadConnectionRefusedError,
    DownloadFailedError,
    DownloadTimeoutError,
    IgnoreRequest,
    NotSupported,
    ResponseDataLossError,
    UnsupportedURLSchemeError,
)
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.internet.error import (
    ConnectError,
    ConnectionDone,
    ConnectionLost,
    ConnectionRefusedError,
    DNSLookupError,
    NoRouteError,
    TCPTimedOutError,
    TimeoutError,
)
from twisted.python.failure import Failure
from twisted.web._newclient import ResponseFailed, ResponseNeverReceived

from crawler.netguard import POLICY


def transport_error(failure: Failure) -> str:
    """The export error code of a failed download (Scrapy's own exceptions or the Twisted ones they wrap)."""
    exc = failure.value
    request = getattr(failure, "request", None)
    host = (urlsplit(request.url).hostname or "") if request is not None else ""
    if isinstance(exc, HttpError) and 300 <= exc.response.status < 400:
        location = exc.response.headers.get(b"Location") or b""
        if (
            not location.lower().startswith((b"http:", b"https:", b"/"))
            and b":" in location.split(b"/", 1)[0]
        ):
            return "unsupported_scheme"  # a redirect to file:, ftp:, data: ... is not followed
    if isinstance(exc, IgnoreRequest) and "redirect" in str(exc):
        chain = failure.request.meta.get("redirect_urls", [])  # type: ignore[attr-defined]
        return "redirect_loop" if len(set(chain)) < len(chain) else "too_many_redirects"
    assert exc is not None
    causes = [exc, exc.__cause__]
    text = " ".join(repr(c) for c in causes).lower()
    for error, types in _TRANSPORT_ERRORS:
        if any(isinstance(c, types) for c in causes):
            if error == "dns" and POLICY.refused(host):
                return "private_address"  # the address rule left the host no address (crawler/netguard.py)
            refused = any(
                isinstance(c, DownloadConnectionRefusedError | ConnectionRefusedError) for c in causes
            )
            if (
                error in ("timeout", "network_unreachable", "connection_refused")
                and not refused
                and POLICY.only_v6(host)
            ):
                return "network_unreachable"  # an IPv6 host that this inspection host has no route to
            if error == "connection_reset" and ("ssl" in text or "tls" in text or "certificate" in text):
                return "ssl"
            return error
    if "ssl" in text or "certificate" in text:
        return "ssl"
    return "other"


_TRANSPORT_ERRORS: tuple[tuple[str, tuple[type[BaseException], ...]], ...] = (
    ("dns", (CannotResolveHostError, DNSLookupError)),
    ("connection_refused", (DownloadConnectionRefusedError, ConnectionRefusedError)),
    ("timeout", (DownloadTimeoutError, TimeoutError, TCPTimedOutError)),
    (
        "connection_reset",
        (
            DownloadFailedError,
            ResponseDataLossError,
            ResponseFailed,
            ResponseNeverReceived,
            ConnectionLost,
            ConnectionDone,
        ),
    ),
    ("network_unreachable", (NoRouteError,)),
    ("unsupported_scheme", (NotSupported, UnsupportedURLSchemeError)),  # a redirect to file:, ftp:, data: ...
    ("connection_refused", (ConnectError,)),
)
