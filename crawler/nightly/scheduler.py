"""Crawl a nightly run's sites GOVHEALTH_NIGHTLY_PARALLEL at a time, each in its own crawler, collecting results."""

from __future__ import annotations

import logging
import time
from typing import Any, Protocol

from scrapy import signals
from scrapy.crawler import Crawler, CrawlerProcessBase
from scrapy.utils.defer import deferred_from_coro
from twisted.internet import defer, task
from twisted.python.failure import Failure

from crawler.linkcache import MemoryLinkCache
from crawler.nightly.results import SiteResult
from crawler.nightly.sources import SiteSource
from crawler.spiders.portal import PortalSpider
from models.repo import SiteInfo

logger = logging.getLogger(__name__)


class ProgressView(Protocol):
    """How the scheduler's progress is shown (the command prints it)."""

    @property
    def interval(self) -> float:
        """Seconds between two status updates."""

    def start(self, total: int) -> None: ...
    def site_finished(self, line: str, done: int, result: SiteResult) -> None: ...
    def status(self, text: str) -> None: ...
    def stop(self) -> None: ...


class Scheduler:
    """Keep up to ``parallel`` site crawls going until every site is done, and show progress."""

    def __init__(
        self,
        process: CrawlerProcessBase,
        source: SiteSource,
        parallel: int,
        cache: MemoryLinkCache | None,
        view: ProgressView,
        *,
        started: float,
    ) -> None:
        self.process = process
        self.source = source
        self.parallel = parallel
        self.cache = cache
        self.view = view
        self.started = started  # when the command started: the pages/s rate counts from there
        # a site never started is not done: the summary shows the planned ones as "not run"
        self.results = {s.code: SiteResult(s.code, s.name) for s in source.planned}
        self.active: dict[str, Crawler] = {}
        self.total = source.total
        self.done = 0
        self.stopping = False
        self.interrupted = False

    def run(self) -> defer.Deferred[None]:
        """Start the first ``parallel`` crawls; the Deferred fires once the last one has ended."""
        self.view.start(self.total)
        self.ticker = task.LoopingCall(self.report)
        self.ticker.start(self.view.interval, now=False)
        self.finished: defer.Deferred[None] = defer.Deferred()
        for _ in range(self.parallel):
            self.start_next()
        return self.finished

    def start_next(self) -> None:
        entry = None if self.stopping else self.source.next()
        if entry is None:
            if not self.active and not self.finished.called:
                self.close()
            return
        site, nightly_id = entry
        self.results.setdefault(site.code, SiteResult(site.code, site.name))
        crawler = self.process.create_crawler(PortalSpider)
        crawler.signals.connect(self.on_spider_closed, signal=signals.spider_closed)
        self.active[site.code] = crawler
        started = time.monotonic()
        d = deferred_from_coro(
            self.process.crawl(
                crawler, code=site.code, site=site, nightly_id=str(nightly_id), link_cache=self.cache
            )
        )
        d.addBoth(self.site_done, site, crawler, started)

    def on_spider_closed(self, spider: Any, reason: str) -> None:
        if reason == "shutdown":  # Ctrl-C / SIGTERM: stop starting new sites
            self.stopping = True
            self.interrupted = True

    def site_done(self, outcome: Any, site: SiteInfo, crawler: Crawler, started: float) -> None:
        self.active.pop(site.code, None)
        if self.cache is not None:
            self.cache.flush()
        self.done += 1
        result = self.results[site.code]
        result.seconds = time.monotonic() - started
        try:
            stats = crawler.stats.get_stats() if crawler.stats else {}
        except RuntimeError:  # the crawl failed before it started (its spider could not be created)
            stats = {}
        result.record(outcome, stats)
        if isinstance(outcome, Failure):
            logger.error("site %s failed: %s", site.code, outcome.getErrorMessage())
        self.view.site_finished(result.line(self.done, self.total), self.done, result)
        self.start_next()

    def report(self) -> None:
        elapsed = max(time.monotonic() - self.started, 1e-6)
        pages = sum(r.pages for r in self.results.values())
        for crawler in self.active.values():
            pages += crawler.stats.get_value("govhealth/pages", 0) if crawler.stats else 0
        findings = sum(r.findings for r in self.results.values())
        self.view.status(
            f"sites {self.done}/{self.total or '?'} ({len(self.active)} running) · {pages / elapsed:.1f} pages/s · "
            f"{findings} findings so far"
        )

    def close(self) -> None:
        if self.ticker.running:
            self.ticker.stop()
        self.view.stop()
        self.finished.callback(None)
