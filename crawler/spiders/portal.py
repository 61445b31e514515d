"""The portal spider: inspects one registered site, checking every distinct link target once.

Reads GOVHEALTH_DATABASE_URL (to look the site up), GOVHEALTH_MAX_PAGES/DEPTH/SECONDS,
GOVHEALTH_ALLOW_PRIVATE_TARGETS, GOVHEALTH_OBEY_ROBOTS, GOVHEALTH_RECHECK_*, GOVHEALTH_SOURCES_CAP.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from datetime import date
from typing import TYPE_CHECKING, Any, Self
from urllib.parse import urlsplit

import tldextract
from scrapy import FormRequest, Request, Spider
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response, TextResponse
from scrapy.settings import SETTINGS_PRIORITIES
from twisted.python.failure import Failure

from crawler.budgets import CrawlBudget
from crawler.config import PortalConfig
from crawler.items import CrawlEndItem, CrawlStartItem, HomepageItem, LinkItem, PageItem
from crawler.linkcache import LinkCache, cache_ttls
from crawler.recheck import RECHECK_SLOT
from crawler.robots import HOMEPAGE_META, RobotsPolicy
from crawler.transport import transport_error
from models.repo import SiteInfo, get_site
from models.session import make_sessionmaker, open_database
from pipelines.rules.cms import parse_dataproxy_response
from pipelines.rules.columns import (
    BREADCRUMB_HINTS,
    ColumnLink,
    ListItem,
    ListPage,
    analyse_list_page,
    discover_columns,
    homepage_newest_date,
    is_column_crumb,
    items_from_fragments,
    might_be_column,
    page_as_column,
)
from pipelines.rules.dates import article_pubdate, date_from_url
from pipelines.rules.document import Document
from pipelines.rules.judge import ColumnReading
from pipelines.rules.kinds import LinkState, ResourceType
from pipelines.rules.ledger import LinkLedger
from pipelines.rules.links import (
    ExtractedLink,
    Observation,
    Verdict,
    classify,
    extract_links,
    is_attachment_url,
    is_private_address,
    needs_get,
    normalize_url,
)
from pipelines.rules.urls import column_key

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.settings import BaseSettings

__all__ = ["PortalConfig", "PortalSpider", "transport_error"]  # transport_error: tests and older imports

CHECK_BODY_BYTES = 64 * 1024
MAX_URL_LENGTH = 2048  # the URL columns of link checks and findings (models/base.py)  # enough to recognise an error page or an anti-bot gate
# Error answers reach the callbacks; redirects (3xx) are still followed by RedirectMiddleware,
# which handle_httpstatus_all would switch off.
ERROR_STATUSES = [*range(400, 600)]
PAGE_TYPES = frozenset({ResourceType.PAGE, ResourceType.FRAME})

# A suffix list that ships with tldextract: an inspection host must not fetch one from the internet.
_EXTRACT = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)


class PortalSpider(Spider):
    """Crawl one site breadth-first within its budgets; check each distinct link target once.

    Stats: govhealth/pages, govhealth/targets, govhealth/budget/<name>, govhealth/rechecks.
    """

    name = "portal"
    govhealth_budgets = True  # timed and capped by crawler/budgets.py, bodycap.py and recheck.py

    def __init__(
        self,
        code: str = "",
        max_pages: str | None = None,
        link_cache: LinkCache | None = None,
        site: SiteInfo | None = None,
        nightly_id: str | int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.link_cache = link_cache  # shared by `scrapy nightly`; else the spider opens its own
        if not code:
            raise ValueError("the portal spider needs a site: scrapy crawl portal -a code=4510000031")
        self.code = code
        self.max_pages_arg = int(max_pages) if max_pages else None
        self.given_site = site  # `scrapy nightly` has loaded it already
        self.nightly_id = int(nightly_id or 0) or None

    @classmethod
    def update_settings(cls, settings: BaseSettings) -> None:
        super().update_settings(settings)
        slots = dict(settings.getdict("DOWNLOAD_SLOTS"))
        slots.setdefault(
            RECHECK_SLOT,
            {
                "concurrency": settings.getint("GOVHEALTH_RECHECK_CONCURRENCY", 2),
                "delay": settings.getfloat("DOWNLOAD_DELAY", 0.25),
            },
        )
        settings.set("DOWNLOAD_SLOTS", slots, priority="spider")
        if (settings.getpriority("USER_AGENT") or 0) <= SETTINGS_PRIORITIES["project"]:  # -s USER_AGENT=... wins
            contact = settings.get("GOVHEALTH_CONTACT_URL", "")
            settings.set("USER_AGENT", f"govhealth/0.1 (+{contact}; government website health inspection)", "spider")

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> Self:
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.setup(PortalConfig.from_settings(crawler.settings), crawler.settings)
        return spider

    def setup(self, config: PortalConfig, settings: BaseSettings) -> None:
        if self.max_pages_arg is not None:
            if self.max_pages_arg < 1:
                raise ValueError(f"max_pages must be >= 1, got {self.max_pages_arg}")
            config = replace(config, max_pages=self.max_pages_arg)
        self.config = config
        self.site: SiteInfo = self.given_site if self.given_site is not None else self.load_site(config.database_url)
        self.homepage = normalize_url(self.site.url)
        self.ledger = LinkLedger(self.homepage, config.sources_cap)
        self.own_netlocs = {urlsplit(self.homepage).netloc}
        self.netloc_internal: dict[str, bool] = {}  # is_internal per host:port, most targets share a few hosts
        self.own_domains = {_registered_domain(self.homepage), *(d.lower() for d in self.site.domains)} - {""}
        self.pages_scheduled = 0
        self.parsed: set[str] = set()
        self.parsed_bodies: set[bytes] = set()
        self.columns: dict[str, ColumnReading] = {}
        self.column_keys: set[str] = set()
        self.column_pages: dict[str, str] = {}  # column_key(final page URL) -> the column read there
        self.claimed: set[str] = set()  # external targets this crawl checks for the link cache
        self.waiting: set[str] = set()  # external targets another crawl is checking for us
        self.owns_cache = self.link_cache is None and settings.getbool("GOVHEALTH_LINK_CACHE", True)
        if self.owns_cache:
            self.link_cache = LinkCache(config.database_url, **cache_ttls(settings))
        self.homepage_read = False
        self.homepage_latest: date | None = None
        self.homepage_dated = 0

    @functools.cached_property
    def budget(self) -> CrawlBudget:
        """The crawl's budgets (crawler/budgets.py); Scrapy builds extensions after the spider, so looked up late."""
        return CrawlBudget.of(self.crawler)

    @functools.cached_property
    def robots(self) -> RobotsPolicy | None:
        return RobotsPolicy.of(self.crawler)

    def hit_budget(self, name: str) -> None:
        self.budget.hit_budget(name)

    def hit_limit(self, name: str) -> None:
        self.budget.hit_limit(name)

    def load_site(self, database_url: str) -> SiteInfo:
        engine = open_database(database_url)
        try:
            with make_sessionmaker(engine)() as session:
                return get_site(session, self.code)
        finally:
            engine.dispose()

    @property
    def own_hosts(self) -> frozenset[str]:
        """The hosts that may resolve to private addresses (crawler/netguard.py): the homepage's and the registry's."""
        return frozenset({urlsplit(self.homepage).hostname or "", *self.site.domains}) - {""}

    # -- lifecycle -------------------------------------------------------------------------------

    async def closed(self, reason: str) -> None:
        if self.link_cache is not None:
            for url in self.claimed:  # cut short before their outcome: the waiting crawls check them themselves
                for waiter in self.link_cache.abandon(url):
                    waiter(None, None)
            if self.owns_cache:
                self.link_cache.close()
        # Scrapy tells the close reason only with spider_closed, after it closed the pipelines' input, so the
        # end items are handed to the scraper here, its way for items that come from no response
        engine = self.crawler.engine
        assert engine is not None
        for item in self.end_items(reason):
            await engine.scraper.start_itemproc_async(item, response=None)

    def end_items(self, reason: str) -> Iterator[Any]:
        """A LinkItem per checked target, a ColumnItem per column, the HomepageItem, then the CrawlEndItem."""
        self.ledger.mark_unconfirmed()
        for target in self.ledger.checked():
            assert target.verdict is not None
            yield LinkItem(
                url=target.url, resource_type=target.resource_type, internal=target.internal, verdict=target.verdict,
                status=target.status, attempts=target.attempts, link_text=target.link_text,
                sources=tuple(target.sources), source_count=target.source_count, on_homepage=target.on_homepage,
            )
        yield from self.columns.values()
        yield HomepageItem(self.homepage, self.homepage_read, self.homepage_latest, self.homepage_dated)
        yield CrawlEndItem(self.site.id, self.site.code, reason, self.budget.budget_hit, tuple(self.budget.limits))

    async def start(self) -> AsyncIterator[Any]:
        yield CrawlStartItem(self.site.id, self.site.code, self.nightly_id)
        yield self.request_homepage()

    def request_homepage(self) -> Request:
        self.ledger.add(self.homepage, source_url=None, text=None, resource_type=ResourceType.PAGE, internal=True)
        self.pages_scheduled += 1
        request = self.page_request(self.homepage, depth=0)
        request.meta[HOMEPAGE_META] = True  # crawler/robots.py reads robots.txt before it
        return request

    # -- requests ---------------------------------------------------------------------------------

    def page_request(self, url: str, depth: int) -> Request:
        return Request(
            url,
            callback=self.parse_page,
            errback=self.on_error,
            dont_filter=True,
            priority=-depth,
            meta={"handle_httpstatus_list": ERROR_STATUSES, "govhealth_target": url, "govhealth_depth": depth},
        )

    def check_request(self, url: str, method: str = "HEAD", *, recheck: bool = False, depth: int = 0) -> Request:
        meta: dict[str, Any] = {
            "handle_httpstatus_list": ERROR_STATUSES,
            "govhealth_target": url,
            "govhealth_check": True,
            "govhealth_max_bytes": CHECK_BODY_BYTES,
        }
        if recheck:
            meta.update(govhealth_recheck=True, download_slot=RECHECK_SLOT)
        return Request(
            url,
            method=method,
            callback=self.on_check,
            errback=self.on_error,
            dont_filter=True,
            priority=-depth - 1,
            meta=meta,
        )

    def follow(self, link: ExtractedLink, page_url: str, depth: int) -> Iterator[Request]:
        """Record that ``page_url`` links to ``link``; schedule its check the first time it is seen."""
        url = link.url
        if len(url) > MAX_URL_LENGTH:  # a hostile href of 200,000 characters: no browser link, no column fits it
            self.hit_limit("max_url_length")
            return
        if len(self.ledger) >= self.config.max_targets and url not in self.ledger:
            self.hit_budget("max_targets")
            return
        internal = self.is_internal(url)
        if not self.ledger.add(
            url,
            source_url=page_url,
            text=link.text,
            resource_type=link.resource_type,
            internal=internal,
            on_homepage=depth == 1,
        ):
            return
        host = urlsplit(url).hostname or ""
        if not internal and not self.config.allow_private and is_private_address(host):
            self.record(url, Verdict(LinkState.UNVERIFIED, "private_address", f"{host} is a private address; not fetched"))
            return
        if internal and self.robots is not None and self.robots.disallows(url):
            self.record(url, Verdict(LinkState.UNVERIFIED, "robots_disallowed", "robots.txt disallows it"))
            return
        if not internal and self.link_cache is not None and not self.from_cache(url):
            return
        crawlable = internal and link.resource_type in PAGE_TYPES and not is_attachment_url(url)
        if crawlable and depth > self.config.max_depth:
            self.hit_budget("max_depth")
        elif crawlable and self.pages_scheduled >= self.config.max_pages:
            self.hit_budget("max_pages")
        elif crawlable:
            self.pages_scheduled += 1
            yield self.page_request(url, depth)
            return
        yield self.check_request(url, depth=depth)

    def from_cache(self, url: str) -> bool:
        """Use the shared link cache for an external target; True when this crawl must check it itself."""
        cache = self.link_cache
        assert cache is not None
        if (outcome := cache.lookup(url)) is not None:
            self.ledger.record(url, outcome.verdict, outcome.status, cached=True)
            self.crawler.stats.inc_value("govhealth/linkcache/hit")
            return False
        if cache.claim(url):
            self.claimed.add(url)
            self.crawler.stats.inc_value("govhealth/linkcache/miss")
            return True
        self.waiting.add(url)
        cache.wait(url, lambda verdict, status: self.cache_answered(url, verdict, status))
        return False

    def cache_answered(self, url: str, verdict: Verdict | None, status: int | None) -> None:
        """Another crawl finished (or abandoned) the check of a target this crawl waits for."""
        if url not in self.waiting:
            return  # this crawl stopped waiting and checked it itself (GOVHEALTH_LINK_CACHE_WAIT)
        self.waiting.discard(url)
        if verdict is not None:
            self.ledger.record(url, verdict, status, cached=True)
            self.crawler.stats.inc_value("govhealth/linkcache/shared")
        elif self.crawler.engine is not None and self.crawler.crawling:
            self.claimed.add(url)
            self.crawler.engine.crawl(self.check_request(url))

    # -- callbacks -----------------------------------------------------------------------------------

    def parse_page(self, response: Response) -> Iterator[Any]:
        target = response.meta["govhealth_target"]
        depth = response.meta["govhealth_depth"]
        verdict = self.judge(response, target)
        column = self.columns.get(target)
        if verdict.state is not LinkState.OK or not isinstance(response, TextResponse):
            if column is not None:
                column.error = verdict.error or f"not an HTML page ({response.headers.get('Content-Type')!r})"
            return
        if "govhealth_cut" in response.flags:  # inflated past GOVHEALTH_MAX_PAGE_BYTES: the prefix is read
            self.hit_budget("max_page_bytes")
        html = response.text
        doc = Document(html, response.url, response.encoding)
        links = doc.links(limit=self.config.max_links_per_page)  # before the column readers prune the tree
        final = normalize_url(response.url)
        if column is not None:
            alias = column_key(final)
            if self.column_pages.setdefault(alias, target) != target:
                # the same column linked in two URL forms (/tzgg/ and /tzgg/index.html): count it once
                del self.columns[target]
                column = None
            else:
                page = analyse_list_page(html, response.url, self.config.today, self.config.placeholders,
                                         page=doc.column_page)
                yield from self.read_column(column, page, response.url, depth)
        if depth == 0 and not self.homepage_read:
            self.homepage_read = True
            self.homepage_latest, self.homepage_dated = homepage_newest_date(
                html, response.url, self.config.today, page=doc.column_page
            )
            for found in discover_columns(html, response.url, page=doc.column_page):
                yield from self.add_column(found, top_level=True)
        elif depth <= 3 and (column is not None or any(hint in html for hint in BREADCRUMB_HINTS)):
            for found in discover_columns(html, response.url, page=doc.column_page):
                # 二级栏目 in a first-level column's sidebar; the columns a page's breadcrumb names
                sidebar = found.how == "sidebar" and depth == 1 and column is not None
                if sidebar or (found.how == "breadcrumb" and is_column_crumb(found, final)):
                    yield from self.add_column(found, top_level=False)
        digest = hashlib.sha1(response.body, usedforsecurity=False).digest()
        if not self.is_internal(final) or final in self.parsed or digest in self.parsed_bodies:
            return  # redirected off-site, or a page reached before under another URL (/ and /index.html)
        self.parsed.add(final)
        self.parsed_bodies.add(digest)
        self.crawler.stats.inc_value("govhealth/pages")
        yield PageItem(url=final, depth=depth, status=response.status)
        if column is None and 0 < depth <= 3 and column_key(final) not in self.column_keys:
            yield from self.own_column(doc, final, depth)
        if len(links) > self.config.max_links_per_page:
            self.hit_budget("max_links_per_page")
            del links[self.config.max_links_per_page :]
        for link in links:
            yield from self.follow(link, final, depth + 1)
        if fragments := doc.datastore_records():  # Hanweb lists: links a browser sees once jpage renders them
            for link in extract_links("".join(fragments), response.url):
                yield from self.follow(link, final, depth + 1)

    # -- columns ----------------------------------------------------------------------------------

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
        self.columns[url] = column = ColumnReading(url=url, name=found.name, how=found.how, top_level=top_level)
        return column

    def own_column(self, doc: Document, url: str, depth: int) -> Iterator[Any]:
        """A column page that no menu, block, sidebar or breadcrumb links to (ColumnName meta, list detection).

        Registered and read from the page already at hand.
        """
        if not might_be_column(doc.html, doc.url):  # most pages are ruled out before the column reading
            return
        own = page_as_column(doc.html, doc.url, self.config.today, self.config.placeholders, page=doc.column_page)
        if own is None:
            return
        found, page = own
        column = self._register_column(url, found, top_level=False)
        self.column_pages.setdefault(column_key(url), url)
        yield from self.read_column(column, page, url, depth)

    def column_request(
        self, url: str, kind: str, column: ColumnReading, *, method: str = "GET", form: dict[str, str] | None = None
    ) -> Request:
        """A follow-up fetch for a column's list (paging, dataproxy, frame) or for an article's date."""
        column.pending += 1
        meta = {"handle_httpstatus_list": ERROR_STATUSES, "govhealth_column": column.url, "govhealth_extra": kind}
        if form:
            return FormRequest(url, formdata=form, method=method, callback=self.parse_column_extra,
                               errback=self.column_extra_failed, dont_filter=True, meta=meta, priority=-3)
        return Request(url, method=method, callback=self.parse_column_extra, errback=self.column_extra_failed,
                       dont_filter=True, meta=meta, priority=-3)

    def read_column(self, column: ColumnReading, page: ListPage, url: str, depth: int) -> Iterator[Any]:
        column.page_kind, column.placeholder, column.reason = page.kind, page.placeholder, page.reason
        if page.name and page.name != "首页":
            column.name = page.name  # breadcrumb / ColumnName meta beat shortened nav or block titles
        self.add_items(column, page.items)
        for next_page in page.next_pages:  # TRS pager pages: a visitor opens them from the pager links
            yield from self.follow(ExtractedLink(next_page, "分页", ResourceType.PAGE), normalize_url(url), depth + 1)
        if not page.items and page.kind != "single":
            if page.dataproxy is not None and page.total != 0:
                proxy_url, form = page.dataproxy.page(1)
                yield self.column_request(proxy_url, "dataproxy", column, method=page.dataproxy.method, form=form)
            elif frames := [f for f in page.frames if self.is_internal(f)]:
                yield self.column_request(frames[0], "page", column)
            elif page.next_pages:
                yield self.column_request(page.next_pages[0], "page", column)
        yield from self.date_fallback(column, page.items)

    def add_items(self, column: ColumnReading, items: tuple[ListItem, ...] | list[ListItem]) -> None:
        column.item_count += len(items)
        column.dates.extend(item.date for item in items if item.date)
        column.undated += sum(1 for item in items if item.date is None)

    def date_fallback(self, column: ColumnReading, items: tuple[ListItem, ...] | list[ListItem]) -> Iterator[Request]:
        """A list without any date: read the newest items' article pages (as few as needed)."""
        if column.dates or not items:
            return
        for item in [i for i in items if i.url and self.is_internal(i.url)][: self.config.article_probes]:
            yield self.column_request(item.url, "article", column)  # type: ignore[arg-type]

    def parse_column_extra(self, response: Response) -> Iterator[Any]:
        column = self.columns[response.meta["govhealth_column"]]
        column.pending -= 1
        kind = response.meta["govhealth_extra"]
        if response.status >= 400 or not isinstance(response, TextResponse):
            if kind != "article":
                column.reason = f"{kind} fetch failed: HTTP {response.status}"
            return
        if kind == "article":
            found = article_pubdate(response.text, self.config.today) or date_from_url(response.url, self.config.today)
            if found:
                column.dates.append(found)
        elif kind == "dataproxy":
            fragments, total = parse_dataproxy_response(response.text)
            items = items_from_fragments(fragments, response.url, self.config.today)
            for link in extract_links("".join(fragments), column.url):  # the list's links are links too
                yield from self.follow(link, column.url, 2)
            self.add_items(column, items)
            if items:
                column.page_kind, column.reason = "list", "dataproxy"
            elif total == 0:
                column.page_kind, column.reason = "empty", "dataproxy reports 0 records"
            yield from self.date_fallback(column, items)
        else:
            page = analyse_list_page(response.text, response.url, self.config.today, self.config.placeholders)
            self.add_items(column, page.items)
            if page.items:
                column.page_kind, column.reason = "list", f"list on {response.url}"
            yield from self.date_fallback(column, page.items)

    def column_extra_failed(self, failure: Failure) -> None:
        request = failure.request  # type: ignore[attr-defined]
        column = self.columns[request.meta["govhealth_column"]]
        column.pending -= 1
        if request.meta["govhealth_extra"] != "article":
            column.reason = f"{request.meta['govhealth_extra']} fetch failed: {transport_error(failure)}"

    def on_check(self, response: Response) -> Iterator[Request]:
        target = response.meta["govhealth_target"]
        obs = self.observe(response, target)
        if response.request is not None and response.request.method == "HEAD" and needs_get(obs):
            yield self.check_request(target, "GET", recheck=response.meta.get("govhealth_recheck", False))
            return
        self.record(target, classify(obs), response.status, recheck=response.meta.get("govhealth_recheck", False))

    def on_error(self, failure: Failure) -> Iterator[Request]:
        request = failure.request  # type: ignore[attr-defined]
        if self.budget.time_up and isinstance(failure.value, IgnoreRequest):
            return  # dropped unsent at the time budget: left unchecked, not judged
        target = request.meta["govhealth_target"]
        if (column := self.columns.get(target)) is not None and column.page_kind == "pending":
            column.error = transport_error(failure)
        recheck = request.meta.get("govhealth_recheck", False)
        entry = self.ledger.get(target)
        obs = Observation(
            url=target,
            method=request.method,
            status=None,
            error=transport_error(failure),
            expected_type=entry.resource_type if entry else ResourceType.PAGE,
            homepage_url=self.homepage,
            internal=entry.internal if entry else True,
        )
        if request.method == "HEAD" and needs_get(obs):
            yield self.check_request(target, "GET", recheck=recheck)
            return
        self.record(target, classify(obs), None, recheck=recheck)

    def judge(self, response: Response, target: str) -> Verdict:
        verdict = classify(self.observe(response, target))
        self.record(target, verdict, response.status, recheck=response.meta.get("govhealth_recheck", False))
        return verdict

    def record(self, url: str, verdict: Verdict, status: int | None = None, *, recheck: bool = False) -> None:
        self.ledger.record(url, verdict, status, recheck=recheck)
        self.crawler.stats.inc_value(f"govhealth/checks/{verdict.state}")
        target = self.ledger.get(url)
        if url in self.claimed and target is not None and not target.needs_recheck:
            self.claimed.discard(url)  # final: share it with the other crawls and later runs
            self.link_cache.publish(url, target.verdict, target.status)  # type: ignore[union-attr,arg-type]

    def observe(self, response: Response, target: str) -> Observation:
        entry = self.ledger.get(target)
        # every Set-Cookie counts for gate detection (wzws_cid, __jsluid …), not only the last one
        headers = {
            key.decode("latin-1").lower(): "\n".join(v.decode("latin-1") for v in values)
            for key, values in response.headers.items()
            if values
        }
        body = response.text[:CHECK_BODY_BYTES] if isinstance(response, TextResponse) else ""
        assert response.request is not None
        return Observation(
            url=target,
            method=response.request.method,
            status=response.status,
            error=None,
            final_url=response.url,
            redirect_chain=tuple(response.meta.get("redirect_urls", ())),
            headers=headers,
            body=body,
            expected_type=entry.resource_type if entry else ResourceType.PAGE,
            homepage_url=self.homepage,
            internal=entry.internal if entry else True,
        )


    # -- helpers ----------------------------------------------------------------------------------

    def is_internal(self, url: str) -> bool:
        """On the site's own hosts: its registered domain, or one of the registry's extra domains."""
        netloc = urlsplit(url).netloc
        known = self.netloc_internal.get(netloc)
        if known is None:
            known = self.netloc_internal[netloc] = self._internal_netloc(netloc)
        return known

    def _internal_netloc(self, netloc: str) -> bool:
        if netloc in self.own_netlocs:
            return True
        host = urlsplit(f"//{netloc}").hostname or ""
        domain = _registered_domain(f"http://{netloc}/")
        if domain and domain in self.own_domains:
            return True
        return any(host == d or host.endswith("." + d) for d in self.own_domains)


def _registered_domain(url: str) -> str:
    """example.gov.cn for http://www.example.gov.cn/x; "" for IP addresses and bare hosts."""
    return _EXTRACT(url).top_domain_under_public_suffix
