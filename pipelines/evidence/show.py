"""An archived exchange as text for a terminal (``scrapy evidence``): crawled bytes are hostile, so escaped."""

from __future__ import annotations

import re

from pipelines.evidence.warc import ArchivedRecord

BODY_LINES = 20
LINE_CHARS = 200
# terminal control sequences in a crawled page must not reach the terminal (ESC, BEL, CR …)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_CHARSET = re.compile(r"charset=[\"']?([\w-]+)", re.IGNORECASE)


def printable(text: str) -> str:
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def body_text(payload: bytes, content_type: str) -> str:
    """The payload decoded by its declared charset, else UTF-8, else GB18030 (what government pages use)."""
    found = _CHARSET.search(content_type)
    for encoding in (found.group(1) if found else None, "utf-8", "gb18030"):
        if encoding is None:
            continue
        try:
            return payload.decode(encoding)
        except (LookupError, UnicodeDecodeError):
            continue
    return payload.decode("utf-8", errors="replace")


def describe_record(record: ArchivedRecord, request: ArchivedRecord | None) -> str:
    """The request line and headers, the status and headers, the first lines of the body, the time."""
    lines = [f"{record.record_type} record · {record.date} · {printable(record.target_uri)}"]
    headers = dict(record.headers)
    if truncated := record.truncated:
        lines.append(f"body truncated ({truncated}) at {len(record.payload)} bytes")
    if requested := headers.get("Govhealth-Requested-URI"):
        lines.append(f"requested {printable(requested)}, redirected")
    if request is not None and request.http_status_line:
        lines.append(f"> {printable(request.http_status_line)}")
        lines.extend(f"> {printable(k)}: {printable(v)}" for k, v in request.http_headers)
    if record.http_status_line is not None:
        lines.append(f"< {printable(record.http_status_line)}")
        lines.extend(f"< {printable(k)}: {printable(v)}" for k, v in record.http_headers)
        content_type = {k.lower(): v for k, v in record.http_headers}.get("content-type", "")
    else:
        content_type = "text/plain; charset=utf-8"
    text = body_text(record.payload, content_type)
    shown = text.splitlines()[:BODY_LINES]
    if shown:
        lines.append("")
    lines.extend(printable(line[:LINE_CHARS]) for line in shown)
    if len(text.splitlines()) > BODY_LINES:
        lines.append(f"… ({len(record.payload)} bytes in all)")
    return "\n".join(lines)
