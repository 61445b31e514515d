"""Read a column page: its items, or why it has none (single page, empty, unknown).

Pure (lxml); ``today`` is passed in. No settings. A list this module cannot read is "unknown", never "empty".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from pipelines.rules.cms import DataProxyRequest, Datastore, JsonListAnswer, JsonListRequest, paging_urls
from pipelines.rules.columns.contents import (
    DEFAULT_PLACEHOLDERS,
    _dynamic,
    _empty_container,
    _frames,
    _main_text_length,
    _media_in_main,
    _placeholder,
)
from pipelines.rules.columns.dom import _anchor_url, _text
from pipelines.rules.columns.names import _column_name
from pipelines.rules.columns.page import _Page
from pipelines.rules.columns.rows import ListItem, _fragment_items, _groups
from pipelines.rules.dates import date_from_url
from pipelines.rules.kinds import PageKind

SINGLE_MIN_CHARS = 60  # non-link characters of page text that make a list-less page a content page


@dataclass(frozen=True)
class ListPage:
    """What a column page shows."""

    kind: PageKind
    items: tuple[ListItem, ...]
    placeholder: str | None  # placeholder text found in the content area (暂无信息 …), if any
    name: str | None  # column_name()
    next_pages: tuple[str, ...]  # further list pages announced (TRS pager, a plain 下一页 link)
    dataproxy: DataProxyRequest | None  # Hanweb jcms paging request
    frames: tuple[str, ...]  # same-site iframes that may hold the list
    total: int | None = None  # record count the CMS announces (jcms totalRecord), if any
    reason: str = ""  # evidence for the kind: "datastore", "placeholder", "empty container ul.list", ...
    json_list: JsonListRequest | None = None  # the paged JSON request a script makes for the list, if any


_NEXT_TEXT = frozenset({"下一页", "下页", "后一页", "next", "next page", "下一页>", "下一页>>"})


def _next_links(page: _Page) -> list[str]:
    links = []
    if page.trs is not None:
        links.extend(paging_urls(page.trs, page.page_url))
    for a in page.anchors:
        if _text(a).lower() in _NEXT_TEXT:
            url = _anchor_url(page.base, a)
            if url and page.same_site(url) and url != page.page_url and url not in links:
                links.append(url)
    return links


def _datastore_for(page: _Page) -> Datastore | None:
    """The jcms datastore of this column's unit (the dataproxy's unitid, else the one with most records)."""
    stores = []
    for store in page.datastores:
        holder = page.root.get_element_by_id(store.unit, None) if store.unit else None
        if page.region(holder) not in ("hard", "footer"):
            stores.append(store)
    unit = page.dataproxy.params.get("unitid") if page.dataproxy else None
    for store in stores:
        if unit and store.unit == unit:
            return store
    return max(stores, key=lambda s: len(s.records), default=None)


def analyse_list_page(
    html: str,
    page_url: str,
    today: date,
    placeholders: Sequence[str] = DEFAULT_PLACEHOLDERS,
    *,
    page: _Page | None = None,
) -> ListPage:
    """Read a column page: its items, or why it has none.

    Items come from a Hanweb datastore or InitData array when the page has one, else from the best list
    on the page: a container whose rows are mostly dated or link to documents, outside header, nav,
    breadcrumb and footer (sidebar lists only when they outscore the content area). Without items the page
    is "single" when its content area has at least ``SINGLE_MIN_CHARS`` of text (or content media),
    "unknown" when a script, template, frame, unread datastore or pager could hold the list, "empty" when
    a placeholder (``is_placeholder``, 共0条), an empty jcms datastore (totalRecord 0) or an empty list
    container is all there is, and "unknown" otherwise.
    """
    return _analyse(page or _Page(html, page_url), today, placeholders)


def _analyse(page: _Page, today: date, placeholders: Sequence[str]) -> ListPage:
    name = _column_name(page)
    frames = tuple(_frames(page))
    next_pages = tuple(_next_links(page))
    proxy = page.dataproxy
    store = _datastore_for(page)
    total = proxy.total if proxy and proxy.total is not None else store.total if store else None
    placeholder, holders = _placeholder(page, placeholders)

    def result(kind: PageKind, items: Sequence[ListItem] = (), reason: str = "") -> ListPage:
        return ListPage(
            kind, tuple(items), placeholder, name, next_pages, proxy, frames, total, reason, page.json_list
        )

    if store is not None and store.records:
        return result(PageKind.LIST, _fragment_items(page.base, store.records, today), "datastore")
    if page.initdata:
        return result(PageKind.LIST, _fragment_items(page.base, page.initdata, today), "initdata")
    candidates = [g for g in _groups(page, today) if g.region in ("main", "soft") and g.qualifies()]
    best = max(candidates, key=lambda g: g.score, default=None)
    if best is not None and not (best.region == "soft" and placeholder):
        return result(PageKind.LIST, best.items, f"{best.region} list")
    if _main_text_length(page, holders) >= SINGLE_MIN_CHARS:
        return result(PageKind.SINGLE, reason="content text")
    if store is not None and total == 0:
        return result(PageKind.EMPTY, reason="datastore totalrecord 0")
    uncertain = (
        (store is not None and "datastore without records")
        or (proxy is not None and "dataproxy")
        or (frames and "frames")
        or (page.trs is not None and page.trs.count > 1 and "pager")
        or _dynamic(page)
    )
    if uncertain:
        return result(PageKind.UNKNOWN, reason=str(uncertain))
    if placeholder:
        return result(PageKind.EMPTY, reason="placeholder")
    if _media_in_main(page):
        return result(PageKind.SINGLE, reason="content media")
    if container := _empty_container(page):
        return result(PageKind.EMPTY, reason=f"empty container {container}")
    return result(PageKind.UNKNOWN, reason="no list found")


def items_from_json(answer: JsonListAnswer, today: date) -> list[ListItem]:
    """The rows of a JSON list answer as list items (a row without a date may carry one in its URL)."""
    return [
        ListItem(r.title, r.url, r.date or (date_from_url(r.url, today) if r.url else None), False)
        for r in answer.records
    ]


def newest_date(items: Sequence[ListItem]) -> date | None:
    """The newest item date: the maximum, so pinned old rows at the top do not hide newer ones."""
    return max((i.date for i in items if i.date is not None), default=None)
