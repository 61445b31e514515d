"""The lxml tree every CMS mechanism reads: one parser setup for decoded pages.

Pure (lxml); no settings.
"""

from __future__ import annotations

import lxml.html
from lxml import etree
from lxml.html import HtmlElement

_EMPTY_DOC = b"<html><body></body></html>"


def parse_html(html: str) -> HtmlElement:
    """Parse a decoded page into an lxml tree; comments dropped, never raises.

    The text goes in as UTF-8 with the parser's encoding forced, so a ``<meta charset=gbk>`` left in an
    already decoded page cannot make libxml2 decode it a second time.
    """
    return parse_html_checked(html)[0]


def parse_html_checked(html: str) -> tuple[HtmlElement, bool]:
    """``parse_html``, and whether libxml2 cut the page short (it stops at 256 nested elements)."""
    parser = lxml.html.HTMLParser(encoding="utf-8", remove_comments=True)
    data = html.encode("utf-8", "replace")
    try:
        root = lxml.html.document_fromstring(data or _EMPTY_DOC, parser=parser)
    except (etree.ParserError, ValueError):
        return lxml.html.document_fromstring(_EMPTY_DOC, parser=parser), False
    return root, any(e.type == _RESOURCE_LIMIT for e in parser.error_log)


_RESOURCE_LIMIT = etree.ErrorTypes.ERR_RESOURCE_LIMIT
