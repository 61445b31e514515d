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

from scrapy import Request, Spider, signals
from scrapy.exceptions import DontCloseSpider
from scrapy.http import Response, TextResponse
from scrapy.settings import SETTINGS_PRIORITIES

from crawler import servergate
from crawler.budgets import CrawlBudget
from crawler.config import PortalConfig
from crawler.evidence import EvidenceRecorder
from crawler.items import CrawlStartItem, PageItem
from crawler.linkcache import MemoryLinkCache
from crawler.portal.checks import ERROR_STATUSES, FRONTIER_META, LinkChecker
from crawler.portal.columns import ColumnReader
from crawler.portal.ending import CrawlEnding
from crawler.portal.frontier import Frontier
from crawler.portal.hosts import SiteHosts
from crawler.recheck import RECHECK_SLOT
from crawler.robots import HOMEPAGE_META, RobotsPolicy
from crawler.transport import transport_error
from models.repo import SiteInfo, get_site
from models.session import acquire_engine, make_sessionmaker, release_engine
from pipelines.rules.cms import DataProxyRequest, JsonListRequest
from pipelines.rules.columns import (
    BREADCRUMB_HINTS,
    analyse_list_page,
    discover_columns,
    homepage_newest_date,
    is_column_crumb,
)
from pipelines.rules.document import Document
from pipelines.rules.judge import ColumnReading
from pipelines.rules.kinds import LinkState, ResourceType
from pipelines.rules.ledger import LinkLedger
from pipelines.rules.links import (
    ExtractedLink,
    Verdict,
    extract_links,
    is_attachment_url,
    is_private_address,
    normalize_url,
)
from pipelines.rules.urls import column_key

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.settings import BaseSettings

__all__ = ["PortalConfig", "PortalSpider", "transport_error"]  # transport_error: tests and older imports

MAX_URL_LENGTH = 2048  # the URL columns of link checks and findings (models/base.py)
PAGE_TYPES = frozenset({ResourceType.PAGE, ResourceType.FRAME})


class PortalSpider(CrawlEnding, LinkChecker, ColumnReader, Spider):
    """Crawl one site breadth-first within its budgets; check each distinct link target once.

    Stats: govhealth/pages, govhealth/targets, govhealth/budget/<name>, govhealth/rechecks,
    govhealth/site/declared_code and govhealth/site/code_mismatch (the homepage's SiteIDCode meta).
    """

    name = "portal"
    govhealth_budgets = True  # timed and capped by crawler/budgets.py, bodycap.py and recheck.py

    def __init__(
        self,
        code: str = "",
        max_pages: str | None = None,
        link_cache: MemoryLinkCache | None = None,
        site: SiteInfo | None = None,
        nightly_id: str | int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        # shared by `scrapy nightly`; else crawler/linkcache.py's LinkCacheComponent gives the crawl its own
        self.link_cache = link_cache
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
        if (settings.getpriority("USER_AGENT") or 0) <= SETTINGS_PRIORITIES[
            "project"
        ]:  # -s USER_AGENT=... wins
            contact = settings.get("GOVHEALTH_CONTACT_URL", "")
            settings.set(
                "USER_AGENT", f"govhealth/0.1 (+{contact}; government website health inspection)", "spider"
            )

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> Self:
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.setup(PortalConfig.from_settings(crawler.settings), crawler.settings)
        crawler.signals.connect(spider.refill, signal=signals.spider_idle)
        return spider

    def setup(self, config: PortalConfig, settings: BaseSettings) -> None:
        if self.max_pages_arg is not None:
            if self.max_pages_arg < 1:
                raise ValueError(f"max_pages must be >= 1, got {self.max_pages_arg}")
            config = replace(config, max_pages=self.max_pages_arg)
        self.config = config
        self.site: SiteInfo = (
            self.given_site if self.given_site is not None else self.load_site(config.database_url)
        )
        self.homepage = normalize_url(self.site.url)
        self.ledger = LinkLedger(self.homepage, config.sources_cap)
        self.hosts = SiteHosts(self.homepage, self.site.domains)
        servergate.KEYS.register(self.hosts.own_hosts, self.site.platform)  # one server limit for a platform
        self.pages_scheduled = 0
        self.parsed: set[str] = set()
        self.parsed_bodies: set[bytes] = set()
        self.columns: dict[str, ColumnReading] = {}
        self.column_keys: set[str] = set()
        self.column_pages: dict[str, str] = {}  # column_key(final page URL) -> the column read there
        self.proxies: dict[str, DataProxyRequest] = {}  # column URL -> its jcms dataproxy (later pages)
        self.json_lists: dict[str, JsonListRequest] = {}  # column URL -> its JSON list request (later pages)
        self.claimed: set[str] = set()  # external targets this crawl checks for the link cache
        self.waiting: set[str] = set()  # external targets another crawl is checking for us
        self.homepage_read = False
        self.declared_code: str | None = None  # the homepage's <meta name="SiteIDCode">
        self.homepage_latest: date | None = None
        self.homepage_dated = 0
        self.homepage_evidence: tuple[int, ...] = ()
        self.page_depths: dict[str, int] = {}  # pages requested to be read, by depth
        self.frontier = Frontier()  # found, not yet requested (crawler/portal/frontier.py)

    @functools.cached_property
    def budget(self) -> CrawlBudget:
        """The crawl's budgets (crawler/budgets.py); Scrapy builds extensions after the spider, so looked up late."""
        return CrawlBudget.of(self.crawler)

    @functools.cached_property
    def evidence(self) -> EvidenceRecorder | None:
        """The crawl's evidence spool (crawler/evidence.py), None when GOVHEALTH_EVIDENCE is off."""
        return EvidenceRecorder.of(self.crawler)

    @functools.cached_property
    def robots(self) -> RobotsPolicy | None:
        return RobotsPolicy.of(self.crawler)

    def hit_budget(self, name: str) -> None:
        self.budget.hit_budget(name)

    def hit_limit(self, name: str) -> None:
        self.budget.hit_limit(name)

    def load_site(self, database_url: str) -> SiteInfo:
        engine = acquire_engine(database_url)
        try:
            with make_sessionmaker(engine)() as session:
                return get_site(session, self.code)
        finally:
            release_engine(engine)

    @property
    def own_hosts(self) -> frozenset[str]:
        """The hosts that may resolve to private addresses (crawler/netguard.py): the homepage's and the registry's."""
        return self.hosts.own_hosts

    def is_internal(self, url: str) -> bool:
        return self.hosts.is_internal(url)

    # -- lifecycle -------------------------------------------------------------------------------

    async def start(self) -> AsyncIterator[Any]:
        yield CrawlStartItem(self.site.id, self.site.code, self.nightly_id)
        yield self.request_homepage()

    def request_homepage(self) -> Request:
        self.ledger.add(
            self.homepage, source_url=None, text=None, resource_type=ResourceType.PAGE, internal=True
        )
        self.pages_scheduled += 1
        request = self.page_request(self.homepage, depth=0)
        request.meta[HOMEPAGE_META] = True  # crawler/robots.py reads robots.txt before it
        return request

    # -- requests ---------------------------------------------------------------------------------

    def page_request(self, url: str, depth: int) -> Request:
        self.page_depths[url] = depth  # its re-check is a page fetch again (recheck_request)
        return Request(
            url,
            callback=self.parse_page,
            errback=self.on_error,
            dont_filter=True,
            priority=-depth,
            meta={
                "handle_httpstatus_list": ERROR_STATUSES,
                "govhealth_target": url,
                "govhealth_depth": depth,
                "govhealth_page": True,  # a rate limit delays a page, never drops it (crawler/middlewares.py)
            },
        )

    def recheck_request(self, url: str) -> Request:
        """The confirmation re-check of a failed target: a page is fetched to be read again (a rate limit
        or an outage must not hide its links and list), anything else is checked."""
        depth = self.page_depths.get(url)
        if depth is None:
            return self.check_request(url, "GET", recheck=True)
        request = self.page_request(url, depth)
        request.meta.update(govhealth_recheck=True, download_slot=RECHECK_SLOT)
        return request

    def follow(
        self, link: ExtractedLink, page_url: str, depth: int, found_in: int | None = None
    ) -> Iterator[Request]:
        """Record that ``page_url`` links to ``link``; schedule its check the first time it is seen.

        ``found_in``: the spool reference of the page (or list data) read at ``page_url``, for the evidence.
        """
        url = link.url
        if (
            len(url) > MAX_URL_LENGTH
        ):  # a hostile href of 200,000 characters: no browser link, no column fits it
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
            found_in=found_in,
        ):
            return
        host = urlsplit(url).hostname or ""
        if not internal and not self.config.allow_private and is_private_address(host):
            self.record(
                url,
                Verdict(LinkState.UNVERIFIED, "private_address", f"{host} is a private address; not fetched"),
            )
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
            self.frontier.push(url, depth, page=True)
            yield from self.feed()
            return
        self.frontier.push(url, depth, page=False)
        yield from self.feed()

    def feed(self) -> Iterator[Request]:
        """Requests for the frontier's next targets, while its window has room."""
        for url, depth, page in self.frontier.take():
            request = self.page_request(url, depth) if page else self.check_request(url, depth=depth)
            request.meta[FRONTIER_META] = True
            yield request

    def refill(self, spider: Spider) -> None:
        """spider_idle: nothing is in flight, so the window is empty; hand Scrapy the frontier's next targets."""
        if spider is not self or not self.frontier or self.budget.time_up:
            return
        self.frontier.idle()
        engine = self.crawler.engine
        assert engine is not None
        for request in self.feed():
            engine.crawl(request)
        raise DontCloseSpider

    # -- callbacks -----------------------------------------------------------------------------------

    def parse_page(self, response: Response) -> Iterator[Any]:
        if response.meta.get(FRONTIER_META):
            self.frontier.answered()
        yield from self.read_page(response)
        yield from self.feed()

    def read_page(self, response: Response) -> Iterator[Any]:
        target = response.meta["govhealth_target"]
        depth = response.meta["govhealth_depth"]
        verdict = self.judge(response, target)
        column = self.columns.get(target)
        if verdict.state is not LinkState.OK or not isinstance(response, TextResponse):
            if column is not None:
                column.error = verdict.error or f"not an HTML page ({response.headers.get('Content-Type')!r})"
            return
        if column is not None:
            column.error = None  # read now (a re-check after a rate limit or an outage)
        if "govhealth_cut" in response.flags:  # inflated past GOVHEALTH_MAX_PAGE_BYTES: the prefix is read
            self.hit_budget("max_page_bytes")
        # kept aside until the verdicts say whether it proves one (a link's source, a column, the homepage)
        ref = self.keep_page(response)
        html, encoding = self.page_text(response)  # a wrong header or meta charset is corrected
        doc = Document(html, response.url, encoding)
        links = doc.links(limit=self.config.max_links_per_page)  # before the column readers prune the tree
        final = normalize_url(response.url)
        if column is not None:
            alias = column_key(final)
            if self.column_pages.setdefault(alias, target) != target:
                # the same column linked in two URL forms (/tzgg/ and /tzgg/index.html): count it once
                del self.columns[target]
                column = None
            else:
                if ref is not None:
                    column.evidence.append(ref)
                page = analyse_list_page(
                    html, response.url, self.config.today, self.config.placeholders, page=doc.column_page
                )
                yield from self.read_column(column, page, response.url, depth, ref)
        if depth == 0 and not self.homepage_read:
            self.homepage_read = True
            self.homepage_evidence = (ref,) if ref is not None else ()
            self.declare_site(html)
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
            yield from self.own_column(doc, final, depth, ref)
        if len(links) > self.config.max_links_per_page:
            self.hit_budget("max_links_per_page")
            del links[self.config.max_links_per_page :]
        for link in links:
            yield from self.follow(link, final, depth + 1, ref)
        if fragments := doc.datastore_records():  # Hanweb lists: links a browser sees once jpage renders them
            for link in extract_links("".join(fragments), response.url):
                yield from self.follow(link, final, depth + 1, ref)
