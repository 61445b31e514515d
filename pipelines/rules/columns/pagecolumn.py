"""A page that is a column itself (``meta`` and ``list`` columns no menu links to), and telling articles apart.

Pure (lxml); ``today`` is passed in. No settings.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date
from itertools import islice
from urllib.parse import urlsplit

from pipelines.rules.columns.contents import DEFAULT_PLACEHOLDERS, _main_text_length
from pipelines.rules.columns.crumbs import _crumb_parts
from pipelines.rules.columns.discovery import ColumnLink
from pipelines.rules.columns.dom import _absolute, _collapse, _more_text
from pipelines.rules.columns.listpage import ListPage, _analyse
from pipelines.rules.columns.names import _crumb_tail, _good_name, _meta_column_name, _title_name
from pipelines.rules.columns.page import _Page
from pipelines.rules.columns.rows import ListItem
from pipelines.rules.dates import article_pubdate
from pipelines.rules.kinds import PageKind
from pipelines.rules.links.normalize import normalize_url
from pipelines.rules.urls import (
    HOME_PATH,
    PAGER_FILE,
    PAGER_QUERY,
    column_key,
    is_article_path,
    is_article_url,
)

# Metas of article pages (TRS, Hanweb and most CMSs write them on articles; column pages carry ColumnName only).
_ARTICLE_METAS = frozenset(
    {"articletitle", "contentsource", "pubdate", "firstpublishedtime", "publishdate", "articlepublishdate",
     "article:published_time", "article:author"}
)  # fmt: skip
NOT_A_COLUMN_CRUMB = frozenset(
    {"正文", "详情", "内容", "正文内容", "文章", "阅读", "详细内容", "信息详情", "查看"}
)

# Words that mark a breadcrumb on a page; substring tests, as an IGNORECASE regex over each page cost ~0.4 ms
BREADCRUMB_HINTS = (
    "当前位置",
    "现在的位置",
    "所在位置",
    "breadcrumb",
    "Breadcrumb",
    "BreadCrumb",
    "BREADCRUMB",
)


def is_column_crumb(found: ColumnLink, page_url: str) -> bool:
    """A breadcrumb link that names a column: not the page itself, not an article, no query string."""
    url = normalize_url(found.url)
    parts = urlsplit(url)
    return (
        found.name not in NOT_A_COLUMN_CRUMB
        and column_key(url) != column_key(page_url)
        and not parts.query
        and not is_article_path(parts.path)
    )


LIST_MIN_DATED = 3  # dated rows that make a page without a ColumnName meta a list column


def _is_article(page: _Page) -> bool:
    """Article metas, or a breadcrumb that ends in 正文/详情: a document page, whatever else it shows."""
    for meta in page.root.iter("meta"):
        name = (meta.get("name") or meta.get("property") or "").strip().lower()
        if name in _ARTICLE_METAS and _collapse(meta.get("content")):
            return True
    crumb = _crumb_tail(page)
    return crumb in NOT_A_COLUMN_CRUMB


def _hub(page: _Page) -> bool:
    """Several blocks with their own 更多>> links: a homepage or a section hub, not one column."""
    more = (a for a in page.anchors if page.region(a) != "footer" and _more_text(a) is not None)
    return len(list(islice(more, 2))) == 2


def _link_text_length(items: Sequence[ListItem]) -> int:
    return sum(len(re.sub(r"\s+", "", item.title)) for item in items)


def might_be_column(html: str, page_url: str) -> bool:
    """Cheap pre-check for ``page_as_column`` (most pages fail it without being parsed).

    Not the homepage, not a document URL, not a later list page; and a ColumnName meta, or at least
    ``LIST_MIN_DATED`` full dates (2017-10-12, 2017年10月12日, 2017/10/12) or TRS date URLs (t20171012_).
    """
    parts = urlsplit(page_url)
    if (
        is_article_url(page_url)
        or PAGER_FILE.search(parts.path)
        or PAGER_QUERY.search(parts.query)
        or (HOME_PATH.match(parts.path) and not parts.query)
    ):
        return False
    if _COLUMN_META.search(html):
        return True
    dates = 0
    for match in _FULL_DATE.finditer(html):
        if match.start() == 0 or html[match.start() - 1] not in "0123456789.":  # not 12017-10-12 or v1.2017
            dates += 1
            if dates >= LIST_MIN_DATED:
                return True
    return False


_COLUMN_META = re.compile(r"""name\s*=\s*["']?columnname""", re.IGNORECASE)
_FULL_DATE = re.compile(  # no lookbehind: it would disable the regex engine's fast scan (3x slower)
    r"(?:19|20)\d\d(?:\s*[-/.年]\s*(?:0?[1-9]|1[0-2])\s*[-/.月]\s*(?:0?[1-9]|[12]\d|3[01])(?!\d)"
    r"|(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])_)"
)


def page_as_column(
    html: str,
    page_url: str,
    today: date,
    placeholders: Sequence[str] = DEFAULT_PLACEHOLDERS,
    *,
    page: _Page | None = None,
) -> tuple[ColumnLink, ListPage] | None:
    """The page itself as a column, for column pages that no menu, block, sidebar or breadcrumb links to.

    - ``meta``: the page declares ``<meta name="ColumnName">`` and is not an article. TRS and Hanweb write
      ColumnName on articles too, so articles are told apart first: article metas (ArticleTitle, PubDate,
      ContentSource …), a breadcrumb ending in 正文/详情, a document URL (t20171012_1.html, art_…,
      content_…), or, with no list on the page, a labelled publication date (发布时间：…).
    - ``list``: no such meta, but the page's main content is a list (list detection): at least
      ``LIST_MIN_DATED`` dated rows in the content area (or a Hanweb datastore), more title text than other
      text in the content area, no labelled publication date, named by its breadcrumb or ``<title>``.

    Never a column: the homepage, later pages of a list (index_1.html, ?page=2), hubs with several 更多
    blocks. Returns the column and the analysed page (the caller reads the column from it).
    """
    if not might_be_column(html, page_url):
        return None
    page = page or _Page(html, page_url)
    if _is_article(page) or _hub(page):
        return None
    listing = _analyse(page, today, placeholders)
    url = _absolute(page_url, page_url) or page_url
    meta = _meta_column_name(page)
    if meta:
        if not _good_name(meta) or (
            listing.kind != PageKind.LIST and article_pubdate(html, today) is not None
        ):
            return None
        return ColumnLink(meta, url, "meta"), listing
    if listing.kind != PageKind.LIST or listing.reason == "soft list":
        return None
    dated = sum(1 for item in listing.items if item.date is not None)
    if listing.reason == "main list" and (
        dated < LIST_MIN_DATED or _main_text_length(page, set()) > _link_text_length(listing.items)
    ):
        return None
    if article_pubdate(html, today) is not None:  # last: it reads the whole page's text
        return None
    crumbs = _crumb_parts(page.crumb) if page.crumb is not None else []
    name = crumbs[-1] if crumbs and _good_name(crumbs[-1]) else _title_name(page)
    return (ColumnLink(name, url, "list"), listing) if name else None
