"""`scrapy nightly [--codes A,B] [--level L] [--resume]`: inspect every enabled site in one process.

Sites run in parallel (GOVHEALTH_NIGHTLY_PARALLEL at a time), each in its own crawler with its own
politeness limits and budgets, so one slow or huge site cannot starve the others. A site that fails
is recorded and the others go on. `--resume` continues the last unfinished nightly run, skipping the
sites it already finished. Exit status 0 means every selected site was inspected.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from dataclasses import dataclass, field
from typing import Any

from redis import Redis
from redis.exceptions import RedisError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import UsageError
from scrapy.utils.defer import deferred_from_coro
from scrapy_redis.connection import get_redis
from sqlalchemy import select
from twisted.internet import defer, task
from twisted.python.failure import Failure

from crawler.cli import GovHealthCommand
from crawler.config import check_crawl_settings
from crawler.distributed import RedisLinkCache, pop_site, seed_sites, site_queue
from crawler.linkcache import LinkCache, cache_ttls
from crawler.spiders.portal import PortalSpider
from crawler.tables import print_table
from models.base import utcnow
from models.errors import GovHealthError
from models.nightly import INSPECTED_REASONS, NIGHTLY_COMPLETE, NIGHTLY_INTERRUPTED, NightlyRun
from models.repo import SiteInfo, UnknownSiteError, get_site, list_sites
from models.run import RUN_FAILED, RUN_RUNNING, CrawlRun
from models.site import Site

logger = logging.getLogger(__name__)

# A crawl that ended this way inspected its site: --resume does not crawl it again.
DONE_REASONS = INSPECTED_REASONS


@dataclass
class SiteResult:
    """What the summary table shows of one site."""

    code: str
    name: str
    pages: int = 0
    broken: int = 0
    blank: int = 0
    stale: int = 0
    unverified: int = 0
    seconds: float = 0.0
    budget: str = ""
    error: str = ""
    done: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


class Command(GovHealthCommand):
    requires_crawler_process = True

    def syntax(self) -> str:
        return "[--codes A,B] [--level department|city|county] [--resume] [--parallel N] [--redis [--seed]]"

    def short_desc(self) -> str:
        return "Inspect every enabled site (sites in parallel, each polite); resumable; multi-machine with --redis"

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        parser.add_argument("--codes", help="only these sites, comma-separated")
        parser.add_argument("--level", choices=("department", "city", "county"))
        parser.add_argument("--resume", action="store_true", help="continue the last unfinished nightly run")
        parser.add_argument(
            "--parallel", type=int, help="sites at a time (default GOVHEALTH_NIGHTLY_PARALLEL)"
        )
        parser.add_argument(
            "--redis",
            action="store_true",
            help="distributed mode: take sites from the scrapy-redis queue at REDIS_URL",
        )
        parser.add_argument(
            "--seed", action="store_true", help="with --redis: open a nightly run, queue its sites, exit"
        )

    def handle(self, args: list[str], opts: argparse.Namespace) -> None:
        assert self.settings is not None
        parallel = opts.parallel or self.settings.getint("GOVHEALTH_NIGHTLY_PARALLEL", 8)
        if parallel < 1:
            raise UsageError("--parallel must be >= 1")
        if opts.seed and not opts.redis:
            raise UsageError("--seed goes with --redis")
        check_crawl_settings(self.settings)  # one error line now, not a failure per site
        self.results: dict[str, SiteResult] = {}
        self.started = time.monotonic()
        self.interrupted = False
        server = self.redis() if opts.redis else None
        if server is not None and not opts.seed:
            nightly_id = None
            source: SiteSource = RedisSites(self, server)
            print(f"== worker: {len(site_queue(server))} sites queued", flush=True)
        else:
            nightly_id, sites, skipped = self.prepare(opts)
            if server is not None:
                pushed = seed_sites(server, nightly_id, sites, resume=opts.resume)
                print(f"== nightly run {nightly_id}: queued {pushed} sites for the workers", flush=True)
                return
            print(
                f"== nightly run {nightly_id}: {len(sites)} sites to inspect"
                + (f", {skipped} already done" if skipped else ""),
                flush=True,
            )
            source = ListedSites(sites, nightly_id)
            self.results = {
                s.code: SiteResult(s.code, s.name) for s in sites
            }  # a site never started is not done
        cache = self.link_cache(server)
        runner = Runner(self, source, parallel, cache)
        assert self.crawler_process is not None
        d = runner.run()
        d.addBoth(self._stop)
        self.crawler_process.start(stop_after_crawl=False, install_signal_handlers=True)
        if cache is not None:
            cache.close()
            lookups = cache.hits + cache.misses
            if lookups:
                print(
                    f"link cache: {cache.hits} of {lookups} external targets answered from the cache "
                    f"({cache.hits / lookups:.0%})"
                )
        complete = self.finish(nightly_id if nightly_id is not None else source.nightly_ids())
        self.exitcode = 0 if complete else 1

    def redis(self) -> Redis:
        assert self.settings is not None
        url = self.settings.get("REDIS_URL") or os.environ.get("GOVHEALTH_REDIS_URL")
        if not url:
            raise GovHealthError("--redis needs REDIS_URL (setting) or GOVHEALTH_REDIS_URL (environment)")
        server: Redis = get_redis(url=url)
        try:
            server.ping()
        except RedisError as exc:
            raise GovHealthError(f"cannot reach Redis at {url}: {exc}") from exc
        return server

    def link_cache(self, server: Redis | None) -> LinkCache | None:
        assert self.settings is not None
        if not self.settings.getbool("GOVHEALTH_LINK_CACHE", True):
            return None
        ttls = cache_ttls(self.settings)
        if server is not None:
            return RedisLinkCache(server, self.database_url, **ttls)
        return LinkCache(self.database_url, **ttls)

    def _stop(self, result: Any) -> Any:
        from twisted.internet import reactor

        if reactor.running:
            reactor.stop()
        return result

    def prepare(self, opts: argparse.Namespace) -> tuple[int, list[SiteInfo], int]:
        """Open (or resume) the nightly run and pick the sites still to inspect."""
        codes = [c.strip() for c in (opts.codes or "").split(",") if c.strip()]
        with self.session(write=True) as session:
            if opts.resume:
                # only the newest nightly run: an older one left unfinished was superseded by a later pass
                nightly = session.scalars(select(NightlyRun).order_by(NightlyRun.id.desc())).first()
                if nightly is None or nightly.status == NIGHTLY_COMPLETE:
                    raise GovHealthError("no unfinished nightly run to resume")
                # crawls killed mid-run stored nothing: mark them failed (never reported: see latest_runs) and
                # inspect their sites again
                for run in session.scalars(
                    select(CrawlRun).where(CrawlRun.nightly_id == nightly.id, CrawlRun.status == RUN_RUNNING)
                ):
                    run.status, run.finished_at, run.close_reason = RUN_FAILED, utcnow(), "killed"
                done = set(
                    session.scalars(
                        select(CrawlRun.site_id).where(
                            CrawlRun.nightly_id == nightly.id, CrawlRun.close_reason.in_(DONE_REASONS)
                        )
                    )
                )
                wanted = set(nightly.codes)
                sites = [s for s in list_sites(session, codes=wanted) if s.code in wanted]
                todo = [s for s in sites if s.id not in done]
                nightly.status = "running"
                return nightly.id, todo, len(sites) - len(todo)
            sites = list_sites(session, enabled_only=True, codes=codes, level=opts.level or "")
            if codes and (missing := set(codes) - {s.code for s in sites}):
                raise GovHealthError(f"unknown or disabled site codes: {', '.join(sorted(missing))}")
            if not sites:
                raise GovHealthError(
                    "no enabled sites to inspect: register some with 'scrapy sites import FILE'"
                )
            nightly = NightlyRun(codes=[s.code for s in sites])
            session.add(nightly)
            session.flush()
            return nightly.id, sites, 0

    def finish(self, nightly: int | set[int]) -> bool:
        """Record the outcome; in distributed mode a nightly run is complete once every site of it is done."""
        results = list(self.results.values())
        complete = not self.interrupted and all(r.done for r in results)
        ids = {nightly} if isinstance(nightly, int) else nightly
        with self.session(write=True) as session:
            for nightly_id in ids:
                run = session.get_one(NightlyRun, nightly_id)
                run.summary = {
                    **(run.summary or {}),
                    **{r.code: {"pages": r.pages, "broken": r.broken, "error": r.error} for r in results},
                }
                done_codes = set(
                    session.scalars(
                        select(Site.code)
                        .join(CrawlRun, CrawlRun.site_id == Site.id)
                        .where(CrawlRun.nightly_id == nightly_id, CrawlRun.close_reason.in_(DONE_REASONS))
                    )
                )
                all_done = set(run.codes) <= done_codes
                if isinstance(nightly, int) or all_done:
                    run.finished_at = utcnow()
                    run.status = NIGHTLY_COMPLETE if complete and all_done else NIGHTLY_INTERRUPTED
        rows = [
            [
                r.code,
                r.name,
                str(r.pages),
                str(r.broken),
                str(r.blank),
                str(r.stale),
                str(r.unverified),
                f"{r.seconds:.0f}s",
                r.budget,
                r.error or ("" if r.done else "not run"),
            ]
            for r in results
        ]
        label = ", ".join(str(i) for i in sorted(ids)) or "-"
        print_table(
            rows,
            ("code", "site", "pages", "broken", "blank", "stale", "unverified", "time", "budget", "errors"),
            title=f"nightly run {label}: {'complete' if complete else 'NOT complete'}",
        )
        if not complete:
            print("resume with: scrapy nightly --resume", file=sys.stderr)
        return complete


class Runner:
    """Keep up to ``parallel`` site crawls going until every site is done, and show progress."""

    def __init__(self, command: Command, source: SiteSource, parallel: int, cache: LinkCache | None) -> None:
        self.command = command
        self.cache = cache
        self.source = source
        self.parallel = parallel
        self.active: dict[str, Crawler] = {}
        self.total = source.total
        self.done = 0
        self.console = Console(stderr=True)
        self.progress: Progress | None = None
        self.stopping = False

    def run(self) -> defer.Deferred[None]:
        process = self.command.crawler_process
        assert process is not None
        if self.console.is_terminal:
            self.progress = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=self.console,
                transient=False,
            )
            self.progress.start()
            self.task_id = self.progress.add_task("sites", total=self.total or None)
        self.ticker = task.LoopingCall(self.report)
        self.ticker.start(2.0 if self.progress else 30.0, now=False)
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
        self.command.results.setdefault(site.code, SiteResult(site.code, site.name))
        process = self.command.crawler_process
        assert process is not None
        crawler = process.create_crawler(PortalSpider)
        crawler.signals.connect(self.on_spider_closed, signal=signals.spider_closed)
        self.active[site.code] = crawler
        started = time.monotonic()
        d = deferred_from_coro(
            process.crawl(crawler, code=site.code, nightly_id=str(nightly_id), link_cache=self.cache)
        )
        d.addBoth(self.site_done, site, crawler, started)

    def on_spider_closed(self, spider: Any, reason: str) -> None:
        if reason == "shutdown":  # Ctrl-C / SIGTERM: stop starting new sites
            self.stopping = True
            self.command.interrupted = True

    def site_done(self, outcome: Any, site: SiteInfo, crawler: Crawler, started: float) -> None:
        self.active.pop(site.code, None)
        if self.cache is not None:
            self.cache.flush()
        self.done += 1
        result = self.command.results[site.code]
        result.seconds = time.monotonic() - started
        try:
            stats = crawler.stats.get_stats() if crawler.stats else {}
        except RuntimeError:  # the crawl failed before it started (its spider could not be created)
            stats = {}
        result.pages = stats.get("govhealth/pages", 0)
        result.broken = stats.get("govhealth/findings/broken_link", 0)
        result.blank = stats.get("govhealth/findings/blank_column", 0)
        result.stale = stats.get("govhealth/findings/stale_column", 0)
        result.unverified = stats.get("govhealth/findings/unverified_link", 0) + stats.get(
            "govhealth/findings/unverified_column", 0
        )
        result.budget = "|".join(k.rsplit("/", 1)[-1] for k in stats if k.startswith("govhealth/budget/"))
        reason = stats.get("finish_reason")
        if isinstance(outcome, Failure):
            result.error = f"{type(outcome.value).__name__}: {str(outcome.value)[:80]}"
            logger.error("site %s failed: %s", site.code, outcome.getErrorMessage())
        elif reason not in DONE_REASONS:
            result.error = f"stopped: {reason}"
        else:
            result.done = True
            if stats.get("govhealth/findings/site_unreachable"):
                result.error = "homepage unreachable"
        self.log_site(result)
        self.start_next()

    def log_site(self, result: SiteResult) -> None:
        line = (
            f"[{self.done}/{self.total or '?'}] {result.code} {result.name}: {result.pages} pages, {result.broken} broken, "
            f"{result.blank} blank, {result.stale} stale, {result.unverified} unverified, {result.seconds:.0f}s"
            + (f", ERROR {result.error}" if result.error else "")
        )
        if self.progress:
            self.progress.console.print(line)
            self.progress.update(self.task_id, completed=self.done)
        else:
            print(line, flush=True)

    def report(self) -> None:
        elapsed = max(time.monotonic() - self.command.started, 1e-6)
        pages = sum(r.pages for r in self.command.results.values())
        for crawler in self.active.values():
            pages += crawler.stats.get_value("govhealth/pages", 0) if crawler.stats else 0
        findings = sum(r.broken + r.blank + r.stale for r in self.command.results.values())
        text = (
            f"sites {self.done}/{self.total or '?'} ({len(self.active)} running) · {pages / elapsed:.1f} pages/s · "
            f"{findings} findings so far"
        )
        if self.progress:
            self.progress.update(self.task_id, description=text)
        else:
            print(f"progress: {text}", flush=True)

    def close(self) -> None:
        if self.ticker.running:
            self.ticker.stop()
        if self.progress:
            self.progress.stop()
        self.finished.callback(None)


class SiteSource:
    """Where the runner takes its next site from."""

    total = 0

    def next(self) -> tuple[SiteInfo, int] | None:
        raise NotImplementedError

    def nightly_ids(self) -> set[int]:
        raise NotImplementedError


class ListedSites(SiteSource):
    """The sites of one nightly run on this machine."""

    def __init__(self, sites: list[SiteInfo], nightly_id: int) -> None:
        self.queue, self.nightly_id, self.total = list(sites), nightly_id, len(sites)

    def next(self) -> tuple[SiteInfo, int] | None:
        return (self.queue.pop(0), self.nightly_id) if self.queue else None

    def nightly_ids(self) -> set[int]:
        return {self.nightly_id}


class RedisSites(SiteSource):
    """Sites popped from the shared scrapy-redis queue, until it is empty."""

    def __init__(self, command: Command, server: Redis) -> None:
        self.command, self.server, self.seen_ids = command, server, set[int]()

    def next(self) -> tuple[SiteInfo, int] | None:
        while (entry := pop_site(self.server)) is not None:
            code, nightly_id = entry
            self.seen_ids.add(nightly_id)
            with self.command.session() as session:
                try:
                    return get_site(session, code), nightly_id
                except UnknownSiteError:
                    logger.error("queued site %s is not registered in this database: skipped", code)
        return None

    def nightly_ids(self) -> set[int]:
        return self.seen_ids
