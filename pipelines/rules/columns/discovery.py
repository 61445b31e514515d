"""Column discovery: the columns a page links to from its nav, homepage blocks, sidebars and breadcrumb.

Pure (lxml); no settings.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from lxml import etree
from lxml.html import HtmlElement

from pipelines.rules.columns.dom import _anchor_url, _attrs, _collapse, _hinted, _more_text, _spaced, _text
from pipelines.rules.columns.names import _DATEISH, _good_name
from pipelines.rules.columns.page import _NAV, _ROW_TAGS, _SOFT, _Page
from pipelines.rules.columns.rows import _after_text, _row_of
from pipelines.rules.urls import FILE_EXT, HOME_PATH, is_article_url


@dataclass(frozen=True)
class ColumnLink:
    """A candidate column found on a page."""

    name: str  # link or heading text, whitespace collapsed
    url: str  # absolute, no fragment
    how: str  # "nav", "block", "sidebar", "breadcrumb" (discover_columns); "meta", "list" (page_as_column)


_TITLE_SUBSTR = ("title", "tit", "biaoti", "lmmc", "lmbt", "caption", "hd_", "_hd")
_TITLE_TOKENS = frozenset({"hd", "bt", "lm", "tab", "tabs", "name", "lanmu"})


def _titleish(el: HtmlElement, levels: int = 2) -> bool:
    cur: HtmlElement | None = el
    for _ in range(levels + 1):
        if cur is None:
            return False
        if cur.tag in ("h1", "h2", "h3", "h4", "h5", "h6") or (
            _attrs(cur).strip() and _hinted(cur, _TITLE_SUBSTR, _TITLE_TOKENS)
        ):
            return True
        cur = cur.getparent()
    return False


def _block_name(page: _Page, more: HtmlElement) -> str | None:
    """The title of the homepage block a 更多>> link belongs to."""
    embedded = _more_text(more)
    if embedded:
        return embedded
    node = more
    for _ in range(4):
        parent = node.getparent()
        if parent is None or parent is page.body:
            return None
        others = [a for a in parent.iter("a") if a is not more and _more_text(a) is not None]
        if others and node is not more:
            return None  # climbed into a wrapper of several blocks
        fallback = None
        for el in parent.iter(etree.Element):
            if el is more or more in el.iterancestors() or el in more.iterancestors():
                continue
            own = _text(el) if el.tag == "a" or _titleish(el, 0) else _collapse(el.text)
            if not _good_name(own) or len(own) > 16 or (el.tag == "a" and _more_text(el) is not None):
                continue
            if _titleish(el):
                return own
            in_row = any(anc.tag in _ROW_TAGS for anc in el.iterancestors() if parent in anc.iterancestors())
            if fallback is None and not in_row and el.tag not in _ROW_TAGS:
                fallback = own
        if fallback:
            return fallback
        node = parent
    return None


def discover_columns(html: str, page_url: str, *, page: _Page | None = None) -> list[ColumnLink]:
    """Candidate columns linked from a page, first occurrence of each URL winning, in this order.

    - ``nav``: links in header navigation (``<nav>``, class/id nav/menu/dh), not in the footer;
    - ``block``: homepage blocks: a 更多/more/>> link (URL) with its block's title (name), and short
      links inside block titles or tabs (h1-h6, class title/tit/hd/bt/tab);
    - ``sidebar``: short non-item links in left/side/sub lists (二级栏目);
    - ``breadcrumb``: the links of the page's breadcrumb.

    A page can also be a column itself, linked from nowhere these look: see ``page_as_column``.

    Skipped: javascript/mailto links, other hosts (``www.`` ignored), the homepage, files, dated item rows,
    names that are not columns (首页/home, 登录, 注册, 无障碍, 繁体/简体, English, 网站地图, 设为首页,
    加入收藏, 手机版, 关怀版, 搜索, 打印, 关闭 …) and names longer than 20 characters.
    """
    page = page or _Page(html, page_url)  # ``page``: the response's parsed page (pipelines/rules/document.py)
    found: dict[str, ColumnLink] = {}

    def add(name: str, a: HtmlElement | None, how: str, url: str | None = None) -> None:
        url = url or (_anchor_url(page.base, a) if a is not None else None)
        name = _collapse(name)
        if not url or not page.same_site(url) or not _good_name(name):
            return
        parts = urlsplit(url)
        if (HOME_PATH.match(parts.path) and not parts.query) or FILE_EXT.search(parts.path):
            return
        found.setdefault(url, ColumnLink(name, url, how))

    def name_of(a: HtmlElement) -> str:
        return (
            _text(a) or _collapse(a.get("title")) or " ".join(_collapse(i.get("alt")) for i in a.iter("img"))
        )

    def dated_row(a: HtmlElement) -> bool:
        row, siblings = _row_of(page, a)
        return bool(_DATEISH.search(_spaced(row, skip=a) + (_after_text(row) if siblings else "")))

    anchors = [a for a in page.anchors if page.region(a) != "footer"]
    for a in anchors:
        bits = page.bits(a)
        if bits & _NAV and not bits & _SOFT:
            add(name_of(a), a, "nav")
    for a in anchors:
        if _more_text(a) is not None and (name := _block_name(page, a)):
            add(name, a, "block")
        elif _titleish(a) and not is_article_url(_anchor_url(page.base, a)) and not dated_row(a):
            add(name_of(a), a, "block")
    for a in anchors:
        if page.bits(a) & _SOFT and not dated_row(a) and len(name_of(a)) <= 16:
            add(name_of(a), a, "sidebar")
    if page.crumb is not None:
        for a in page.crumb.iter("a"):
            add(name_of(a), a, "breadcrumb")
    return list(found.values())
