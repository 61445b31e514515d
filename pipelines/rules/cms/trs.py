"""TRS WCM paging: further list pages announced only by ``createPageHTML(n, …)`` or ``countPage``.

Pure (lxml); no settings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

from lxml.html import HtmlElement

from pipelines.rules.cms.tree import parse_html

MAX_ANNOUNCED_PAGES = 500  # a broken pager script must not announce a million pages


_CREATE_PAGE_RE = re.compile(r"createPageHTML\s*\(([^()]*)\)")
_COUNT_PAGE_RE = re.compile(r"\bcountPage\s*=\s*(\d+)")
_CURRENT_PAGE_RE = re.compile(r"\bcurrentPage\s*=\s*(\d+)")
_JOINED_QUOTES = re.compile(r"""["']\s*\+\s*["']""")
_NEXT_NAME_RE = re.compile(r"""([\w-]+)_["']\s*\+\s*\w+\s*\+\s*["']\.(\w+)""")
_PAGE_FILE_RE = re.compile(r"([\w-]+?)(?:_\d+)?\.(\w+)$")


@dataclass(frozen=True)
class TrsPaging:
    """A TRS pager: ``count`` pages named ``name.ext``, ``name_1.ext`` …; the current one is ``current``."""

    count: int
    current: int
    name: str
    ext: str


def trs_paging(root: HtmlElement, page_url: str) -> TrsPaging | None:
    """The TRS pager announced by a parsed page (``createPageHTML`` call or ``countPage`` variables)."""
    scripts = [s.text or "" for s in root.iter("script")]
    for text in scripts:
        if "createPageHTML" not in text:  # a substring test skips the regex on the other scripts (most)
            continue
        for m in _CREATE_PAGE_RE.finditer(text):
            args = [a.strip().strip("'\"") for a in m.group(1).split(",")]
            if len(args) > 1 and not args[0].isdigit() and args[1].isdigit():
                args = args[1:]  # createPageHTML('page_div', 10, 0, 'index', 'html', 150)
            if len(args) >= 2 and args[0].isdigit() and args[1].isdigit():
                name = args[2] if len(args) > 2 and args[2] else "index"
                ext = args[3] if len(args) > 3 and args[3] else "html"
                return TrsPaging(int(args[0]), int(args[1]), name, ext)
    file_name = urlsplit(page_url).path.rsplit("/", 1)[-1]
    own = _PAGE_FILE_RE.match(file_name)
    for text in scripts:
        if "countPage" in text and (count := _COUNT_PAGE_RE.search(text)):
            current = _CURRENT_PAGE_RE.search(text)
            named = _NEXT_NAME_RE.search(_JOINED_QUOTES.sub("", text))
            name, ext = named.groups() if named else own.groups() if own else ("index", "html")
            return TrsPaging(int(count.group(1)), int(current.group(1)) if current else 0, name, ext)
    return None


def paging_urls(paging: TrsPaging, page_url: str) -> list[str]:
    """The other pages of a TRS pager, as absolute URLs in the page's directory."""
    names = [f"{paging.name}.{paging.ext}"] + [
        f"{paging.name}_{n}.{paging.ext}" for n in range(1, min(paging.count, MAX_ANNOUNCED_PAGES))
    ]
    return [urljoin(page_url, name) for n, name in enumerate(names[: paging.count]) if n != paging.current]


def trs_page_urls(html: str, page_url: str) -> list[str]:
    """Further list pages a TRS WCM page announces only by script.

    ``createPageHTML(n, cur, "index", "html")`` (also with a leading element id and trailing record count) or
    ``var countPage = n; var currentPage = cur``: every page of ``index.html``, ``index_1.html`` …
    ``index_{n-1}.html`` except the current one, relative to ``page_url``'s directory (at most
    ``MAX_ANNOUNCED_PAGES``).
    """
    paging = trs_paging(parse_html(html), page_url)
    return paging_urls(paging, page_url) if paging else []
