"""The end-of-crawl lane: confirm each failed target once more, and wait for targets another crawl checks.

Reads GOVHEALTH_RECHECK_DELAY, GOVHEALTH_LINK_CACHE_WAIT, GOVHEALTH_MAX_SECONDS and DOWNLOAD_TIMEOUT.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any, Protocol, Self

from scrapy import Request, Spider, signals
from scrapy.exceptions import DontCloseSpider

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

    from pipelines.rules.ledger import LinkLedger

logger = logging.getLogger(__name__)

RECHECK_SLOT = (
    "govhealth-recheck"  # its own download slot (GOVHEALTH_RECHECK_CONCURRENCY), so re-checks go slowly
)
IDLE_TICK = 5.0  # seconds between two spider_idle signals of an idle engine (Scrapy's slot heartbeat)


class RecheckSource(Protocol):
    """What the lane needs of the spider: its ledger, the targets it waits for, and how to check one."""

    code: str
    ledger: LinkLedger
    waiting: set[str]

    def check_request(
        self, url: str, method: str | None = None, *, recheck: bool = False, depth: int = 0
    ) -> Request: ...

    def recheck_request(self, url: str) -> Request: ...


class RecheckLane:
    """Keep the crawl open (spider_idle + DontCloseSpider) until its failures are re-checked and shared targets answered.

    Re-checks go out before waiting for targets another crawl is checking: that crawl may itself wait for
    one of ours, which is published only once our re-check confirms it (no deadlock). A crawl stops waiting
    after GOVHEALTH_LINK_CACHE_WAIT, or while there is still time to check those targets itself.
    Only spiders with ``govhealth_budgets = True`` use it. Stats: govhealth/rechecks, govhealth/linkcache/wait_timeouts.
    """

    def __init__(
        self, crawler: Crawler, *, delay: float, cache_wait: float, max_seconds: float, timeout: float
    ) -> None:
        self.crawler = crawler
        self.delay = delay
        self.cache_wait = cache_wait
        # the check, the re-check delay, the confirmation check and an engine idle tick must fit before the budget
        self.margin = delay + 2 * timeout + IDLE_TICK
        self.max_seconds = max_seconds
        self.state = "none"  # none -> waiting -> sent
        self.waiting_since: float | None = None  # when only targets of other crawls were left
        self.stop_waiting_at = float("inf")

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        settings = crawler.settings
        lane = cls(
            crawler,
            delay=settings.getfloat("GOVHEALTH_RECHECK_DELAY", 30),
            cache_wait=settings.getfloat("GOVHEALTH_LINK_CACHE_WAIT", 300),
            max_seconds=settings.getfloat("GOVHEALTH_MAX_SECONDS", 3600),
            timeout=settings.getfloat("DOWNLOAD_TIMEOUT", 180),
        )
        crawler.signals.connect(lane.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(lane.spider_idle, signal=signals.spider_idle)
        return lane

    def spider_opened(self, spider: Spider) -> None:
        self.stop_waiting_at = time.monotonic() + self.max_seconds - self.margin

    def spider_idle(self, spider: Any) -> None:
        if not getattr(spider, "govhealth_budgets", False):
            return
        if self.state == "waiting":
            raise DontCloseSpider
        if spider.ledger.pending_rechecks():
            self.state = "waiting"
            from twisted.internet import reactor

            reactor.callLater(self.delay, self.send_rechecks, spider)
            raise DontCloseSpider
        if spider.waiting:  # another crawl is checking targets this one links to
            now = time.monotonic()
            if self.waiting_since is None:
                self.waiting_since = now
            if now - self.waiting_since >= self.cache_wait or now >= self.stop_waiting_at:
                self.stop_waiting(spider, now - self.waiting_since)
            raise DontCloseSpider

    def send_rechecks(self, spider: RecheckSource) -> None:
        self.state = "sent"  # a later failure (a target another crawl abandoned) gets its own round
        engine = self.crawler.engine
        assert engine is not None
        pending = spider.ledger.pending_rechecks()
        self.crawler.stats.inc_value("govhealth/rechecks", len(pending))
        logger.info("%s: re-checking %d failed targets", spider.code, len(pending))
        for target in pending:
            engine.crawl(spider.recheck_request(target.url))

    def stop_waiting(self, spider: RecheckSource, waited: float) -> None:
        """Check the targets another crawl has not answered for GOVHEALTH_LINK_CACHE_WAIT seconds ourselves."""
        urls, spider.waiting = sorted(spider.waiting), set()
        self.waiting_since = None
        logger.warning(
            "%s: waited %.0f s for %d link targets another crawl is checking; checking them here",
            spider.code,
            waited,
            len(urls),
        )
        self.crawler.stats.inc_value("govhealth/linkcache/wait_timeouts", len(urls))
        engine = self.crawler.engine
        assert engine is not None
        for url in urls:
            engine.crawl(spider.check_request(url))
