"""Column follow-ups of the portal spider: register columns, read their list pages, fetch what a list hides.

A list read from the page at hand, or fetched again (paging, dataproxy, frames), and article pages for the
dates a list does not show. Reads GOVHEALTH_ARTICLE_PROBES (through PortalConfig).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from scrapy import FormRequest, Request
from scrapy.http import Response, TextResponse
from twisted.python.failure import Failure

from crawler.portal.checks import ERROR_STATUSES
from crawler.transport import transport_error
from pipelines.rules.cms import DataProxyRequest, JsonListRequest, parse_dataproxy_response, parse_json_list
from pipelines.rules.columns import (
    ColumnLink,
    ListItem,
    ListPage,
    analyse_list_page,
    items_from_fragments,
    items_from_json,
    might_be_column,
    page_as_column,
)
from pipelines.rules.dates import article_pubdate, date_from_url
from pipelines.rules.document import Document
from pipelines.rules.encoding import reread_page
from pipelines.rules.judge import ColumnReading
from pipelines.rules.kinds import PageKind, ResourceType
from pipelines.rules.links import ExtractedLink, extract_links, normalize_url
from pipelines.rules.urls import column_key

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

    from crawler.config import PortalConfig
    from crawler.evidence import EvidenceRecorder
    from pipelines.rules.ledger import LinkLedger


class ColumnReader:
    """The column half of the portal spider (a mixin): its state lives on the spider (``columns`` …)."""

    if TYPE_CHECKING:
        crawler: Crawler
        config: PortalConfig
        pages_scheduled: int
        proxies: dict[str, DataProxyRequest]  # column URL -> its jcms dataproxy, for the later pages
        json_lists: dict[str, JsonListRequest]  # column URL -> the JSON list request, for the later pages

        def hit_budget(self, name: str) -> None: ...

        homepage: str
        ledger: LinkLedger
        columns: dict[str, ColumnReading]
        column_keys: set[str]
        column_pages: dict[str, str]

        @property
        def evidence(self) -> EvidenceRecorder | None: ...
        def keep_page(self, response: Response) -> int | None: ...
        def follow(
            self, link: ExtractedLink, page_url: str, depth: int, found_in: int | None = None
        ) -> Iterator[Request]: ...
        def is_internal(self, url: str) -> bool: ...

    def page_text(self, response: TextResponse) -> tuple[str, str]:
        """The page's text and charset: Scrapy's reading, or the bytes' own charset when the declared one is
        wrong (pipelines/rules/encoding.py). Stats: govhealth/encoding/meta_over_header, .../utf8_body."""
        content_type = (response.headers.get("Content-Type") or b"").decode("latin-1")
        found = reread_page(response.body, content_type)
        if found is None:
            return response.text, response.encoding
        if self.crawler.stats is not None:
            self.crawler.stats.inc_value(f"govhealth/encoding/{found.reason}")
        return found.text, found.encoding

    def add_column(self, found: ColumnLink, *, top_level: bool) -> Iterator[Request]:
        """Register a column; one whose page was already read is fetched again for its list."""
        url = normalize_url(found.url)
        key = column_key(url)
        if key in self.column_keys or not self.is_internal(url) or key == column_key(self.homepage):
            return  # known already, maybe in another URL form (/tzgg/ and /tzgg/index.html)
        column = self._register_column(url, found, top_level=top_level)
        entry = self.ledger.get(url)
        if entry is not None and entry.verdict is not None:
            yield self.column_request(url, "page", column)

    def _register_column(self, url: str, found: ColumnLink, *, top_level: bool) -> ColumnReading:
        self.column_keys.add(column_key(url))
        self.columns[url] = column = ColumnReading(
            url=url, name=found.name, how=found.how, top_level=top_level
        )
        return column

    def own_column(self, doc: Document, url: str, depth: int, ref: int | None = None) -> Iterator[Any]:
        """A column page that no menu, block, sidebar or breadcrumb links to (ColumnName meta, list detection).

        Registered and read from the page already at hand.
        """
        if not might_be_column(doc.html, doc.url):  # most pages are ruled out before the column reading
            return
        own = page_as_column(
            doc.html, doc.url, self.config.today, self.config.placeholders, page=doc.column_page
        )
        if own is None:
            return
        found, page = own
        column = self._register_column(url, found, top_level=False)
        if ref is not None:
            column.evidence.append(ref)
        self.column_pages.setdefault(column_key(url), url)
        yield from self.read_column(column, page, url, depth, ref)

    def column_request(
        self,
        url: str,
        kind: str,
        column: ColumnReading,
        *,
        method: str = "GET",
        form: dict[str, str] | None = None,
    ) -> Request:
        """A follow-up fetch for a column's list (paging, dataproxy, frame) or for an article's date."""
        column.pending += 1
        meta = {"handle_httpstatus_list": ERROR_STATUSES, "govhealth_page": True}
        cb_kwargs = {"column_url": column.url, "kind": kind}
        # a dataproxy page is a form POST; paging, frames and articles are plain GETs
        extra: dict[str, Any] = {"formdata": form} if form else {}
        return (FormRequest if form else Request)(
            url,
            method=method,
            callback=self.parse_column_extra,
            errback=self.column_extra_failed,
            dont_filter=True,
            meta=meta,
            cb_kwargs=cb_kwargs,
            priority=-3,
            **extra,
        )

    def read_column(
        self, column: ColumnReading, page: ListPage, url: str, depth: int, ref: int | None = None
    ) -> Iterator[Any]:
        column.page_kind, column.placeholder, column.reason = page.kind, page.placeholder, page.reason
        if page.name and page.name != "首页":
            column.name = page.name  # breadcrumb / ColumnName meta beat shortened nav or block titles
        self.add_items(column, page.items)
        for next_page in page.next_pages:  # TRS pager pages: a visitor opens them from the pager links
            yield from self.follow(
                ExtractedLink(next_page, "分页", ResourceType.PAGE), normalize_url(url), depth + 1, ref
            )
        if page.items and page.dataproxy is not None and page.total:
            # the datastore shows the first group; older ones hold links too (broken ones among them)
            yield from self.later_proxy_pages(column, page.dataproxy, len(page.items), page.total)
        if not page.items and page.kind != PageKind.SINGLE:
            if page.dataproxy is not None and page.total != 0:
                self.proxies[column.url] = page.dataproxy
                proxy_url, form = page.dataproxy.page(1)
                yield self.column_request(
                    proxy_url, "dataproxy", column, method=page.dataproxy.method, form=form
                )
            elif page.json_list is not None:
                self.json_lists[column.url] = page.json_list
                yield self.json_request(column, page.json_list, 1, "json")
            elif frames := [f for f in page.frames if self.is_internal(f)]:
                yield self.column_request(frames[0], "page", column)
            elif page.next_pages:
                yield self.column_request(page.next_pages[0], "page", column)
        yield from self.date_fallback(column, page.items)

    def later_proxy_pages(
        self, column: ColumnReading, proxy: DataProxyRequest, seen: int, total: int
    ) -> Iterator[Request]:
        """Every dataproxy page after the ``seen`` records, up to ``total``, within GOVHEALTH_MAX_PAGES."""
        if seen >= total or proxy.perpage < 1:
            return
        last = -(-total // proxy.perpage)
        for number in range(seen // proxy.perpage + 1, last + 1):  # from the page holding record seen + 1
            if self.pages_scheduled >= self.config.max_pages:
                self.hit_budget("max_pages")
                return
            self.pages_scheduled += 1
            proxy_url, form = proxy.page(number)
            yield self.column_request(proxy_url, "dataproxy_more", column, method=proxy.method, form=form)

    def json_request(
        self, column: ColumnReading, request: JsonListRequest, number: int, kind: str
    ) -> Request:
        url, form = request.page(number)
        return self.column_request(url, kind, column, method=request.method, form=form or None)

    def later_json_pages(
        self, column: ColumnReading, request: JsonListRequest, pages: int
    ) -> Iterator[Request]:
        """Every page of a JSON list after the first, within GOVHEALTH_MAX_PAGES (links sit on later pages too)."""
        for number in range(2, pages + 1):
            if self.pages_scheduled >= self.config.max_pages:
                self.hit_budget("max_pages")
                return
            self.pages_scheduled += 1
            yield self.json_request(column, request, number, "json_more")

    def add_items(self, column: ColumnReading, items: tuple[ListItem, ...] | list[ListItem]) -> None:
        column.item_count += len(items)
        column.dates.extend(item.date for item in items if item.date)
        column.undated += sum(1 for item in items if item.date is None)

    def date_fallback(
        self, column: ColumnReading, items: tuple[ListItem, ...] | list[ListItem]
    ) -> Iterator[Request]:
        """A list without any date: read the newest items' article pages (as few as needed)."""
        if column.dates or not items:
            return
        for item in [i for i in items if i.url and self.is_internal(i.url)][: self.config.article_probes]:
            yield self.column_request(item.url, "article", column)  # type: ignore[arg-type]

    def parse_column_extra(self, response: Response, column_url: str, kind: str) -> Iterator[Any]:
        column = self.columns[column_url]
        column.pending -= 1
        ref = self.keep_page(response)
        if ref is not None:
            column.evidence.append(ref)
        if response.status >= 400 or not isinstance(response, TextResponse):
            if kind.startswith("json"):  # keep why the list needed a script (the column stays unverified)
                column.reason = f"{column.reason}; {kind} list fetch failed: HTTP {response.status}"
            elif kind != "article":
                column.reason = f"{kind} fetch failed: HTTP {response.status}"
            return
        text = self.page_text(response)[0]
        if kind == "article":
            found = article_pubdate(text, self.config.today) or date_from_url(response.url, self.config.today)
            if found:
                column.dates.append(found)
        elif kind in ("dataproxy", "dataproxy_more"):
            fragments, total = parse_dataproxy_response(text)
            items = items_from_fragments(fragments, response.url, self.config.today)
            for link in extract_links("".join(fragments), column.url):  # the list's links are links too
                yield from self.follow(link, column.url, 2, ref)
            self.add_items(column, items)
            proxy = self.proxies.get(column.url)
            if kind == "dataproxy" and proxy is not None and total and items:
                yield from self.later_proxy_pages(column, proxy, len(items), total)
            if items:
                column.page_kind, column.reason = PageKind.LIST, "dataproxy"
            elif total == 0:
                column.page_kind, column.reason = PageKind.EMPTY, "dataproxy reports 0 records"
            yield from self.date_fallback(column, items)
        elif kind in ("json", "json_more"):
            yield from self.read_json_list(column, text, response.url, kind, ref)
        else:
            page = analyse_list_page(text, response.url, self.config.today, self.config.placeholders)
            self.add_items(column, page.items)
            if page.items:
                column.page_kind, column.reason = PageKind.LIST, f"list on {response.url}"
            yield from self.date_fallback(column, page.items)

    def read_json_list(
        self, column: ColumnReading, text: str, url: str, kind: str, ref: int | None
    ) -> Iterator[Any]:
        """A JSON list page: its rows are items, their links are checked, the first page asks for the rest.

        An answer without rows proves nothing (the request may be one we read wrong): the column stays
        unverified rather than blank.
        """
        answer = parse_json_list(text, url, self.config.today)
        if answer is None:
            if kind == "json":
                column.reason = f"json list unreadable: {url}"
            return
        items = items_from_json(answer, self.config.today)
        for item in items:
            if item.url:
                yield from self.follow(
                    ExtractedLink(item.url, item.title, ResourceType.PAGE), column.url, 2, ref
                )
        self.add_items(column, items)
        request = self.json_lists.get(column.url)
        if kind == "json" and request is not None and items:
            yield from self.later_json_pages(column, request, answer.pages(request.size) or 1)
        if items:
            column.page_kind, column.reason = PageKind.LIST, "json list"
        yield from self.date_fallback(column, items)

    def column_extra_failed(self, failure: Failure) -> None:
        request = failure.request  # type: ignore[attr-defined]
        column = self.columns[request.cb_kwargs["column_url"]]
        column.pending -= 1
        error = transport_error(failure)
        if self.evidence is not None and (ref := self.evidence.failure(request, failure, error)) is not None:
            column.evidence.append(ref)
        if (kind := request.cb_kwargs["kind"]).startswith("json"):
            column.reason = f"{column.reason}; {kind} list fetch failed: {error}"
        elif kind != "article":
            column.reason = f"{kind} fetch failed: {error}"
