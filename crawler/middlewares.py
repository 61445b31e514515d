"""Downloader middlewares: polite handling of rate limits (429, 503) with Retry-After and backoff; bounded decompression.

Reads GOVHEALTH_RATE_LIMIT_RETRIES, GOVHEALTH_RETRY_AFTER_MAX, GOVHEALTH_BACKOFF_BASE.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Self

from scrapy import Request, Spider, signals
from scrapy.downloadermiddlewares.httpcompression import HttpCompressionMiddleware
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet import defer, task

from crawler.budgets import CrawlBudget
from crawler.decompress import bounded_decode
from pipelines.rules.links import retry_after_seconds

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.http import Response
    from scrapy.settings import BaseSettings

logger = logging.getLogger(__name__)

RATE_LIMIT_STATUSES = frozenset({429, 503})


@dataclass(frozen=True)
class RateLimitConfig:
    """Validated GOVHEALTH_RATE_LIMIT_RETRIES / PAGE_RATE_LIMIT_RETRIES / RETRY_AFTER_MAX / BACKOFF_BASE settings."""

    retries: int
    retry_after_max: float
    backoff_base: float
    page_retries: int = 6

    @classmethod
    def from_settings(cls, settings: BaseSettings) -> RateLimitConfig:
        config = cls(
            settings.getint("GOVHEALTH_RATE_LIMIT_RETRIES", 2),
            settings.getfloat("GOVHEALTH_RETRY_AFTER_MAX", 60.0),
            settings.getfloat("GOVHEALTH_BACKOFF_BASE", 2.0),
            settings.getint("GOVHEALTH_PAGE_RATE_LIMIT_RETRIES", 6),
        )
        for name, value in (
            ("GOVHEALTH_RATE_LIMIT_RETRIES", config.retries),
            ("GOVHEALTH_PAGE_RATE_LIMIT_RETRIES", config.page_retries),
            ("GOVHEALTH_RETRY_AFTER_MAX", config.retry_after_max),
            ("GOVHEALTH_BACKOFF_BASE", config.backoff_base),
        ):
            if value < 0:
                raise ValueError(f"{name} must be >= 0, got {value}")
        return config


class RateLimitMiddleware:
    """Wait out 429/503 answers (Retry-After, else exponential backoff) and try again.

    A server that still refuses after GOVHEALTH_RATE_LIMIT_RETRIES tries, or asks for a wait
    longer than GOVHEALTH_RETRY_AFTER_MAX, gets its answer passed on: the spider then reports
    the target as unverified (rate_limited), and the confirmation re-check tries it once more later.
    A page of the site (a page to crawl, a list page or list data: meta ``govhealth_page``) holds links and
    items nothing else shows, so a rate limit delays it rather than drops it: GOVHEALTH_PAGE_RATE_LIMIT_RETRIES
    tries, the backoff capped at GOVHEALTH_RETRY_AFTER_MAX, and its re-check is a page fetch again.
    Stats: govhealth/rate_limit/retried, govhealth/rate_limit/gave_up.
    """

    def __init__(self, crawler: Crawler, config: RateLimitConfig) -> None:
        self.crawler = crawler
        self.config = config
        self.waits: set[defer.Deferred[None]] = set()

    def cancel_waits(self) -> None:
        """Stop every Retry-After/backoff wait now (the crawl's time budget is spent)."""
        for wait in list(self.waits):
            wait.cancel()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler, RateLimitConfig.from_settings(crawler.settings))

    async def process_response(self, request: Request, response: Response) -> Request | Response:
        if response.status not in RATE_LIMIT_STATUSES or request.meta.get("dont_retry"):
            return response
        stats = self.crawler.stats
        assert stats is not None
        tries = request.meta.get("govhealth_rate_tries", 0)
        header = response.headers.get(b"Retry-After")
        delay = retry_after_seconds(header.decode("latin-1") if header else None, datetime.now(UTC))
        page = bool(request.meta.get("govhealth_page"))
        if delay is None:
            delay = self.config.backoff_base * 2**tries
            if page:
                delay = min(delay, self.config.retry_after_max)
        limit = self.config.page_retries if page else self.config.retries
        if tries >= limit or delay > self.config.retry_after_max:
            stats.inc_value("govhealth/rate_limit/gave_up")
            request.meta["dont_retry"] = True  # RetryMiddleware must not hammer it again
            return response
        stats.inc_value("govhealth/rate_limit/retried")
        logger.debug(
            "HTTP %d on %s: waiting %.1fs before retry %d", response.status, request.url, delay, tries + 1
        )
        from twisted.internet import reactor

        wait = task.deferLater(reactor, delay, lambda: None)
        self.waits.add(wait)
        try:
            await maybe_deferred_to_future(wait)
        except defer.CancelledError:
            return response  # the crawl's time is up: the answer stands (unverified, rate_limited)
        finally:
            self.waits.discard(wait)
        retry = request.replace(dont_filter=True)
        retry.meta["govhealth_rate_tries"] = tries + 1
        return retry


class BudgetTimeoutMiddleware:
    """No download outlives the site's time budget: each request's ``download_timeout`` is cut to the time left.

    Scrapy closes a spider only when the downloads in flight are over, so a hanging connection with a
    DOWNLOAD_TIMEOUT longer than what is left of GOVHEALTH_MAX_SECONDS would keep the crawl open past it.
    The deadline is the crawl budget's ``deadline_at`` (crawler/budgets.py).
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.timeout = crawler.settings.getfloat("DOWNLOAD_TIMEOUT", 180)
        self.budget: CrawlBudget | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        middleware = cls(crawler)
        crawler.signals.connect(middleware.spider_opened, signal=signals.spider_opened)
        return middleware

    def spider_opened(self, spider: Spider) -> None:
        self.budget = CrawlBudget.of(self.crawler) if getattr(spider, "govhealth_budgets", False) else None

    def process_request(self, request: Request) -> None:
        deadline = self.budget.deadline_at if self.budget is not None else None
        if deadline is not None:
            left = deadline - time.monotonic() + 1.0
            request.meta["download_timeout"] = max(
                1.0, min(float(request.meta.get("download_timeout", self.timeout)), left)
            )


class BoundedDecompressionMiddleware(HttpCompressionMiddleware):
    """Scrapy's HttpCompressionMiddleware, inflating each body only up to its limit and keeping that prefix.

    The limit is the request's ``govhealth_max_bytes`` meta (the spider sets it per request kind), else
    GOVHEALTH_MAX_PAGE_BYTES. A cut response carries the flag ``govhealth_cut``; stat govhealth/limits/inflated.
    """

    def __init__(self, *args: Any, page_limit: int = 4 * 1024 * 1024, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.page_limit = page_limit
        self._limit = page_limit
        self._cut = False

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        middleware = super().from_crawler(crawler)
        middleware.page_limit = crawler.settings.getint("GOVHEALTH_MAX_PAGE_BYTES", 4 * 1024 * 1024)
        return middleware

    def process_response(
        self, request: Request, response: Response, *args: Any, **kwargs: Any
    ) -> Request | Response:
        # synchronous from here to the return: the per-response limit can live on the instance meanwhile
        self._limit, self._cut = int(request.meta.get("govhealth_max_bytes") or self.page_limit), False
        decoded = super().process_response(request, response, *args, **kwargs)
        if self._cut and not isinstance(decoded, Request):
            decoded.flags.append("govhealth_cut")
            if self.stats:
                self.stats.inc_value("govhealth/limits/inflated")
        return decoded

    def _decode(self, body: bytes, encoding: bytes, max_size: int) -> bytes:  # type: ignore[override]
        limit = min(self._limit, max_size) if max_size else self._limit
        decoded, cut = bounded_decode(body, encoding, limit)
        self._cut = self._cut or cut
        return decoded
