"""Bounded downloads: a link check reads only the first bytes it needs, a page at most GOVHEALTH_MAX_PAGE_BYTES.

Reads GOVHEALTH_MAX_PAGE_BYTES; a request may set its own limit in the ``govhealth_max_bytes`` meta.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Self

from scrapy import Request, Spider, signals
from scrapy.exceptions import StopDownload

from crawler.budgets import CrawlBudget

if TYPE_CHECKING:
    from scrapy.crawler import Crawler


class BodyCap:
    """Stop downloads at their byte limit (hostile, huge or endless pages) and non-HTML checks after the headers.

    Requests of a check carry ``govhealth_check``; robots.txt carries ``govhealth_robots``. A page cut at
    the limit makes the run incomplete (budget max_page_bytes); robots.txt only names max_robots_bytes.
    Stats: govhealth/pages_truncated, govhealth/limits/<name>.
    """

    def __init__(self, crawler: Crawler, max_page_bytes: int) -> None:
        self.crawler = crawler
        self.max_page_bytes = max_page_bytes

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        limit = crawler.settings.getint("GOVHEALTH_MAX_PAGE_BYTES", 4 * 1024 * 1024)
        if limit < 1:
            raise ValueError(f"GOVHEALTH_MAX_PAGE_BYTES must be >= 1, got {limit}")
        cap = cls(crawler, limit)
        crawler.signals.connect(cap.headers_received, signal=signals.headers_received)
        crawler.signals.connect(cap.bytes_received, signal=signals.bytes_received)
        return cap

    def headers_received(self, headers: Any, body_length: int, request: Request, spider: Spider) -> None:
        """Checks of non-HTML resources need only the headers: stop before the body."""
        if request.meta.get("govhealth_check") and request.method == "GET":
            content_type = (headers.get(b"Content-Type") or b"").lower()
            if content_type and b"html" not in content_type and b"text/" not in content_type:
                raise StopDownload(fail=False)

    def bytes_received(self, data: bytes, request: Request, spider: Spider) -> None:
        """Stream only the first bytes of a check, and cap hostile (huge, endless) pages."""
        if not getattr(spider, "govhealth_budgets", False):
            return
        received = request.meta["govhealth_bytes"] = request.meta.get("govhealth_bytes", 0) + len(data)
        if received > (request.meta.get("govhealth_max_bytes") or self.max_page_bytes):
            budget = CrawlBudget.of(self.crawler)
            if request.meta.get("govhealth_robots"):
                budget.hit_limit("max_robots_bytes")
            elif not request.meta.get("govhealth_check"):
                self.crawler.stats.inc_value("govhealth/pages_truncated")
                budget.hit_budget("max_page_bytes")
            raise StopDownload(fail=False)
