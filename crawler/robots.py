"""robots.txt of the inspected site: read once before its homepage; Crawl-delay slows the crawl, never speeds it.

Reads GOVHEALTH_OBEY_ROBOTS, GOVHEALTH_MAX_CRAWL_DELAY, GOVHEALTH_MAX_ROBOTS_BYTES and USER_AGENT.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Self
from urllib.parse import urlsplit

from protego import Protego
from scrapy import Request
from scrapy.http import TextResponse

from crawler.budgets import CrawlBudget
from crawler.recheck import RECHECK_SLOT

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)

HOMEPAGE_META = "govhealth_homepage"  # the request that first needs robots.txt read


class RobotsPolicy:
    """A downloader middleware: before the homepage request (meta ``govhealth_homepage``) goes out, fetch robots.txt.

    Its Crawl-delay raises the site's download delay and AutoThrottle's floor, up to GOVHEALTH_MAX_CRAWL_DELAY
    (the re-check slot keeps its own). With GOVHEALTH_OBEY_ROBOTS the spider asks ``disallows(url)`` and
    reports such links unverified instead of fetching them. A robots.txt that cannot be read disallows
    nothing. Stats: govhealth/robots/crawl_delay, govhealth/limits/max_crawl_delay.
    """

    def __init__(self, crawler: Crawler, *, obey: bool, max_delay: float, max_bytes: int) -> None:
        self.crawler = crawler
        self.obey = obey
        self.max_delay = max_delay
        self.max_bytes = max_bytes
        self.parser: Protego | None = None
        self.read = False

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        settings = crawler.settings
        return cls(
            crawler,
            obey=settings.getbool("GOVHEALTH_OBEY_ROBOTS", False),
            max_delay=settings.getfloat("GOVHEALTH_MAX_CRAWL_DELAY", 30),
            max_bytes=settings.getint("GOVHEALTH_MAX_ROBOTS_BYTES", 512 * 1024),
        )

    @classmethod
    def of(cls, crawler: Crawler) -> RobotsPolicy | None:
        """The crawler's robots middleware, if enabled (crawler/settings.py enables it)."""
        assert crawler.engine is not None
        for middleware in crawler.engine.downloader.middleware.middlewares:
            if isinstance(middleware, cls):
                return middleware
        return None

    @property
    def agent(self) -> str:
        return str(self.crawler.settings.get("USER_AGENT"))

    async def process_request(self, request: Request) -> None:
        if self.read or not request.meta.get(HOMEPAGE_META):
            return
        self.read = True
        parts = urlsplit(request.url)
        robots = Request(
            f"{parts.scheme}://{parts.netloc}/robots.txt",
            dont_filter=True,
            priority=100,
            meta={"dont_retry": True, "govhealth_robots": True, "govhealth_max_bytes": self.max_bytes},
        )
        engine = self.crawler.engine
        assert engine is not None
        try:
            response = await engine.download_async(robots)
        except Exception:  # unreadable robots.txt (refused, reset, timeout, guard): it disallows nothing
            logger.debug("robots.txt of %s could not be read", parts.netloc, exc_info=True)
            return
        if response.status == 200 and isinstance(response, TextResponse):
            self.parser = Protego.parse(response.text)
            delay = self.parser.crawl_delay(self.agent) or self.parser.crawl_delay("*")
            if delay:
                self.apply_crawl_delay(float(delay), parts.netloc)

    def disallows(self, url: str) -> bool:
        """GOVHEALTH_OBEY_ROBOTS is on and the site's robots.txt disallows ``url`` for our user agent."""
        return self.obey and self.parser is not None and not self.parser.can_fetch(url, self.agent)

    def apply_crawl_delay(self, delay: float, site: str) -> None:
        """robots.txt Crawl-delay raises the site's download delay (never lowers it), up to GOVHEALTH_MAX_CRAWL_DELAY."""
        if delay > self.max_delay:
            logger.warning(
                "%s: robots.txt asks for a Crawl-delay of %.0fs; honouring %.0fs (GOVHEALTH_MAX_CRAWL_DELAY)",
                site,
                delay,
                self.max_delay,
            )
            delay = self.max_delay
            CrawlBudget.of(self.crawler).hit_limit("max_crawl_delay")
        engine = self.crawler.engine
        assert engine is not None
        for key, slot in engine.downloader.slots.items():
            if key != RECHECK_SLOT:
                slot.delay = max(slot.delay, delay)
        for ext in self.crawler.extensions.middlewares:
            if hasattr(ext, "mindelay"):  # AutoThrottle must not go below Crawl-delay
                ext.mindelay = max(ext.mindelay, delay)
        self.crawler.stats.set_value("govhealth/robots/crawl_delay", delay)
        logger.info("%s: robots.txt Crawl-delay %.1fs honoured", site, delay)
