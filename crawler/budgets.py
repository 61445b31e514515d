"""The per-site budgets of a portal crawl: the time budget (GOVHEALTH_MAX_SECONDS) and the book of limits.

Reads GOVHEALTH_MAX_SECONDS. Only spiders that set ``govhealth_budgets = True`` (the portal spider) are timed.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any, Self

from scrapy import Spider, signals
from scrapy.exceptions import IgnoreRequest
from scrapy.utils.defer import deferred_from_coro

from crawler import servergate

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from twisted.internet.defer import Deferred
    from twisted.internet.interfaces import IDelayedCall

logger = logging.getLogger(__name__)

CLOSE_REASON = "govhealth_max_seconds"


class CrawlBudget:
    """Close the crawl at its time budget; record every budget and limit that fired, for the run row.

    A budget (pages, depth, targets, seconds, page bytes …) makes the run incomplete; a limit (a cut URL,
    a capped Crawl-delay) is only named. Stats: govhealth/budget/<name>, govhealth/limits/<name>.
    """

    def __init__(self, crawler: Crawler, max_seconds: float) -> None:
        self.crawler = crawler
        self.max_seconds = max_seconds
        self.budget_hit: str | None = None  # the first budget reached
        self.limits: list[str] = []  # every limit that fired, in order (the run row's `limits`)
        self.time_up = False
        self.deadline_at: float | None = (
            None  # time.monotonic(); BudgetTimeoutMiddleware cuts downloads to it
        )
        self._deadline: IDelayedCall | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        budget = cls(crawler, crawler.settings.getfloat("GOVHEALTH_MAX_SECONDS", 3600))
        crawler.signals.connect(budget.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(budget.spider_closed, signal=signals.spider_closed)
        return budget

    @classmethod
    def of(cls, crawler: Crawler) -> CrawlBudget:
        """The crawler's budget extension (crawler/settings.py enables it)."""
        for extension in crawler.extensions.middlewares:
            if isinstance(extension, cls):
                return extension
        raise RuntimeError(
            "the portal spider needs EXTENSIONS['crawler.budgets.CrawlBudget'] (crawler/settings.py)"
        )

    def spider_opened(self, spider: Spider) -> None:
        if not getattr(spider, "govhealth_budgets", False):
            return
        from twisted.internet import reactor

        self._deadline = reactor.callLater(self.max_seconds, self.expire)
        self.deadline_at = time.monotonic() + self.max_seconds

    def spider_closed(self, spider: Spider) -> None:
        if self._deadline is not None and self._deadline.active():
            self._deadline.cancel()

    def hit_budget(self, name: str) -> None:
        """Note that a budget cut the inspection short (the first one reached is kept): the run is incomplete."""
        self.budget_hit = self.budget_hit or name
        self.crawler.stats.inc_value(f"govhealth/budget/{name}")
        self.hit_limit(name)

    def hit_limit(self, name: str) -> None:
        """Count a limit that fired (a budget, a page cut, a capped Crawl-delay) and name it in the run row."""
        self.crawler.stats.inc_value(f"govhealth/limits/{name}")
        if name not in self.limits:
            self.limits.append(name)

    def expire(self) -> Deferred[None]:
        """GOVHEALTH_MAX_SECONDS is over: drop what waits, close the crawl once the downloads in flight end."""
        self.hit_budget("max_seconds")
        self.time_up = True
        logger.warning(
            "%s: GOVHEALTH_MAX_SECONDS reached, stopping the inspection", _code(self.crawler.spider)
        )
        engine = self.crawler.engine
        assert engine is not None
        # Scrapy closes a spider once the requests in the downloader are done: drop those waiting for their
        # slot (a Crawl-delay, AutoThrottle) and the Retry-After waits, so only the downloads in flight remain
        # (each bounded by DOWNLOAD_TIMEOUT)
        for slot in engine.downloader.slots.values():
            while slot.queue:
                _request, deferred = slot.queue.popleft()
                deferred.errback(IgnoreRequest("GOVHEALTH_MAX_SECONDS reached"))
        for middleware in engine.downloader.middleware.middlewares:
            if hasattr(middleware, "cancel_waits"):  # crawler.middlewares.RateLimitMiddleware
                middleware.cancel_waits()
        servergate.cancel_waits(self.crawler)  # requests waiting for their server's turn
        return deferred_from_coro(engine.close_spider_async(reason=CLOSE_REASON))


def _code(spider: Any) -> str:
    return str(getattr(spider, "code", "?"))
