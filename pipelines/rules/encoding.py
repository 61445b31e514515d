"""Read a page's bytes as what they are when its header charset or its ``<meta>`` charset is wrong.

Pure; no settings. A server header that says UTF-8 for a GBK body (declared in ``<meta http-equiv>``), a
GBK declaration over UTF-8 bytes; a few stray invalid bytes change nothing (they are replaced).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from w3lib.encoding import resolve_encoding

__all__ = ["Reread", "reread_page"]

_HEADER_CHARSET = re.compile(r"""charset\s*=\s*["']?\s*([\w.:-]+)""", re.IGNORECASE)
_META_CHARSET = re.compile(rb"""<meta\b[^>]*?charset\s*=\s*["']?\s*([\w.:-]+)""", re.IGNORECASE)
_META_BYTES = 16384  # the head of the page, where the meta charset is
_BOMS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")
_GB = frozenset({"gb18030", "gbk", "gb2312"})
# Decoding errors a page may have in its own charset and still be read in it: editors paste a stray byte
# or two into a page; a body in another charset fails at every Chinese character.
STRAY_BYTES = 4


@dataclass(frozen=True)
class Reread:
    """The page read in another charset than Scrapy's, and why."""

    text: str
    encoding: str
    reason: str  # "meta_over_header" or "utf8_body" (the stats key's last part)


def reread_page(body: bytes, content_type: str | None) -> Reread | None:
    """The page in the charset its bytes are in, or None when the declared one (Scrapy's reading) is right.

    The declared charset is the header's, else the meta's (as Scrapy reads it). A body that is not valid
    in it (more than ``STRAY_BYTES`` errors) but valid in the meta's charset is read as the meta says; a
    body declared GBK/GB2312 that is valid UTF-8 with Chinese in it is UTF-8 (GBK text almost never is).
    """
    if body.startswith(_BOMS):
        return None  # a BOM decides, for Scrapy and browsers alike
    found = _HEADER_CHARSET.search(content_type or "")
    header = _codec(found.group(1)) if found else None
    in_meta = _META_CHARSET.search(body[:_META_BYTES])
    meta = _codec(in_meta.group(1).decode("ascii", "replace")) if in_meta else None
    declared = header or meta
    if declared is None:
        return None
    if declared in _GB and not body.isascii() and _errors(body, "utf-8") == 0:
        return Reread(body.decode("utf-8"), "utf-8", "utf8_body")
    if _errors(body, declared) <= STRAY_BYTES:
        return None
    for other, reason in ((meta, "meta_over_header"), ("utf-8", "utf8_body")):
        if other and other != declared and _errors(body, other) == 0:
            return Reread(body.decode(other), other, reason)
    return None


def _codec(name: str) -> str | None:
    """Python codec of a declared charset (GBK and GB2312 as GB18030), or None when unknown."""
    return resolve_encoding(name.strip().lower())


def _errors(body: bytes, codec: str) -> int:
    """Characters of ``body`` that cannot be decoded in ``codec``: 0 for a body valid in it."""
    try:
        body.decode(codec)
    except UnicodeDecodeError:
        return body.decode(codec, "replace").count("\ufffd") - body.decode(codec, "ignore").count("\ufffd")
    except LookupError:
        return len(body)
    return 0
