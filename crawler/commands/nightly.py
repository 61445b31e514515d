"""`scrapy nightly [--codes A,B] [--level L] [--resume] [--workers N]`: inspect every enabled site.

Sites run in parallel (GOVHEALTH_NIGHTLY_PARALLEL at a time), each in its own crawler with its own
politeness limits and budgets, so one slow or huge site cannot starve the others. A site that fails
is recorded and the others go on. `--resume` continues the last unfinished nightly run, skipping the
sites it already finished. Exit status 0 means every selected site was inspected. With GOVHEALTH_REPORT_DIR
set, the visual report (`scrapy report`) is written there at the end. `--workers N` (GOVHEALTH_NIGHTLY_WORKERS,
default one per core) shares the run between N processes (crawler/nightly/workers.py).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import time
from pathlib import Path
from typing import Any

from redis import Redis
from redis.exceptions import RedisError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from scrapy.exceptions import UsageError
from scrapy_redis.connection import get_redis

from crawler import servergate
from crawler.cli import GovHealthCommand
from crawler.config import as_of_date, check_crawl_settings, rules_from_settings
from crawler.distributed import RedisLinkCache, seed_sites, site_queue
from crawler.linkcache import LinkCache, cache_ttls
from crawler.nightly.results import SUMMARY_COLUMNS, SiteResult
from crawler.nightly.scheduler import ProgressView, Scheduler
from crawler.nightly.sources import ListedSites, RedisSites, SiteSource, parse_codes, plan_nightly
from crawler.nightly.workers import (
    WorkerPool,
    effective_workers,
    passthrough_settings,
    private_redis,
    report_line,
    site_report,
    worker_command,
    worker_env,
    worker_parallel,
)
from crawler.notify.config import NotifyConfig
from crawler.notify.service import notify
from crawler.report.build import build_report
from crawler.servergate import LocalServerGate, RedisServerGate, ServerLimitConfig
from crawler.tables import print_table
from models.errors import GovHealthError
from models.nightly import INSPECTED_REASONS
from models.nightly_runs import close_nightly
from models.session import acquire_engine, release_engine
from pipelines.evidence import EvidenceConfig, prune_archives

# The command, and names defined here before the scheduler and the sources moved to crawler.nightly.
__all__ = ["DONE_REASONS", "Command", "ListedSites", "RedisSites", "SiteResult", "SiteSource"]

# A crawl that ended this way inspected its site: --resume does not crawl it again.
DONE_REASONS = INSPECTED_REASONS


class Command(GovHealthCommand):
    requires_crawler_process = True

    def syntax(self) -> str:
        return (
            "[--codes A,B] [--level department|city|county] [--resume] [--parallel N] [--workers N] "
            "[--redis [--seed]] [--notify]"
        )

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
            "--workers",
            type=int,
            help="processes sharing the run (default GOVHEALTH_NIGHTLY_WORKERS; 0: one per core)",
        )
        parser.add_argument("--worker-report", action="store_true", help=argparse.SUPPRESS)  # a pool's worker
        parser.add_argument(
            "--server-share", type=int, default=0, help=argparse.SUPPRESS
        )  # its share of a server
        parser.add_argument(
            "--redis",
            action="store_true",
            help="distributed mode: take sites from the scrapy-redis queue at REDIS_URL",
        )
        parser.add_argument(
            "--seed", action="store_true", help="with --redis: open a nightly run, queue its sites, exit"
        )
        parser.add_argument(
            "--notify", action="store_true", help="at the end, run `scrapy notify` (contacts and supervisor)"
        )

    def handle(self, args: list[str], opts: argparse.Namespace) -> None:
        assert self.settings is not None
        parallel = opts.parallel or self.settings.getint("GOVHEALTH_NIGHTLY_PARALLEL", 16)
        if parallel < 1:
            raise UsageError("--parallel must be >= 1")
        if opts.seed and not opts.redis:
            raise UsageError("--seed goes with --redis")
        workers = opts.workers
        if workers is None:  # a machine of a distributed run starts one worker unless told otherwise
            workers = 1 if opts.redis else self.settings.getint("GOVHEALTH_NIGHTLY_WORKERS", 0)
        if workers < 0:
            raise UsageError("--workers must be >= 0 (0: one per core)")
        opts.workers = workers or os.cpu_count() or 1
        check_crawl_settings(self.settings)  # one error line now, not a failure per site
        evidence = EvidenceConfig.from_settings(self.settings)
        if evidence.enabled and not opts.seed:
            prune_archives(evidence.directory, evidence.days)  # GOVHEALTH_EVIDENCE_DAYS
        notify_config = NotifyConfig.from_settings(self.settings) if opts.notify else None
        engine = acquire_engine(self.database_url)  # one engine for the run: its crawls share it
        try:
            self.inspect(opts, parallel)
            if (
                notify_config is not None and not opts.redis
            ):  # workers of one run would race: notify once, after
                self.notify(notify_config)
        finally:
            release_engine(engine)

    def notify(self, config: NotifyConfig) -> None:
        """`scrapy notify` after the run: a failed send is retried by the next one and changes no exit status."""
        assert self.settings is not None
        outcome = notify(self.session, rules_from_settings(self.settings), as_of_date(self.settings), config)
        print(outcome.summary(), flush=True)

    def inspect(self, opts: argparse.Namespace, parallel: int) -> None:
        assert self.settings is not None
        started = time.monotonic()
        server = self.redis() if opts.redis else None
        if server is not None and not opts.seed:
            nightly_id = None
            queued = len(site_queue(server))
            if not opts.worker_report and (n := effective_workers(opts.workers, queued, parallel)) > 1:
                print(f"== {n} workers: {queued} sites queued", flush=True)
                url = self.settings.get("REDIS_URL") or os.environ.get("GOVHEALTH_REDIS_URL", "")
                self.run_pool(n, parallel, url, started, None, [], owned=False)
                return
            self.install_server_gate(server, opts.server_share)
            source: SiteSource = RedisSites(self.session, server)
            if not opts.worker_report:
                print(f"== worker: {queued} sites queued", flush=True)
        else:
            with self.session(write=True) as session:
                nightly_id, sites, skipped = plan_nightly(
                    session, codes=parse_codes(opts.codes), level=opts.level or "", resume=opts.resume
                )
            if server is not None:
                pushed = seed_sites(server, nightly_id, sites, resume=opts.resume)
                print(f"== nightly run {nightly_id}: queued {pushed} sites for the workers", flush=True)
                return
            n = effective_workers(opts.workers, len(sites), parallel)
            if n > 1 and shutil.which("redis-server") is None:
                print(
                    "redis-server is not installed: one worker (apt-get install redis-server)",
                    file=sys.stderr,
                )
                n = 1
            print(
                f"== nightly run {nightly_id}: {len(sites)} sites to inspect"
                + (f", {skipped} already done" if skipped else "")
                + (f", {n} workers" if n > 1 else ""),
                flush=True,
            )
            if n > 1:
                with private_redis() as url:
                    seed_sites(Redis.from_url(url), nightly_id, sites)
                    self.run_pool(n, parallel, url, started, nightly_id, sites, owned=True)
                return
            source = ListedSites(sites, nightly_id)
        cache = self.link_cache(server)
        assert self.crawler_process is not None
        view: ProgressView = ReportProgress() if opts.worker_report else ConsoleProgress()
        scheduler = Scheduler(self.crawler_process, source, parallel, cache, view, started=started)
        scheduler.run().addBoth(self._stop)
        self.crawler_process.start(stop_after_crawl=False, install_signal_handlers=True)
        hits = lookups = 0
        if cache is not None:
            cache.close()
            hits, lookups = cache.hits, cache.hits + cache.misses
        ids = {nightly_id} if nightly_id is not None else source.nightly_ids()
        if opts.worker_report:  # the pool's parent prints the summary and writes the report
            print(
                report_line(
                    "worker", {"nightly_ids": sorted(ids), "cache_hits": hits, "cache_lookups": lookups}
                )
            )
            results = list(scheduler.results.values())
            self.close_runs(
                ids, results, complete=not scheduler.interrupted and all(r.done for r in results), owned=False
            )
            self.exitcode = 0 if all(r.done for r in results) and not scheduler.interrupted else 1
            return
        print_cache_line(hits, lookups)
        complete = self.finish(
            ids, list(scheduler.results.values()), scheduler.interrupted, owned=nightly_id is not None
        )
        self.exitcode = 0 if complete else 1
        self.write_report()

    def write_report(self) -> None:
        assert self.settings is not None
        if report_dir := self.settings.get("GOVHEALTH_REPORT_DIR"):
            result = build_report(self.settings, self.session, Path(report_dir))
            print(f"report of {result.sites} sites: {result.index.resolve()}")

    def install_server_gate(self, server: Redis, share: int = 0) -> None:
        """The per-server limit of a run shared by workers and machines (crawler/servergate.py).

        The ``share`` workers of one machine's pool, alone on the run, each keep 1/share of every server's limit
        (concurrency, and spacing times ``share``) in their own process: the sum never exceeds it, and no request
        waits for a Redis round trip (which cost a fifth of the CPU of two workers). Workers of a multi-machine
        run, and limits too small to split, take every turn from Redis.
        """
        assert self.settings is not None
        config = ServerLimitConfig.from_settings(self.settings)
        if share > 1 and config.concurrency // share >= 1:
            servergate.install_gate(LocalServerGate(config.concurrency // share, config.delay * share))
            return
        lease = self.settings.getfloat("DOWNLOAD_TIMEOUT", 30) + 15  # a dead worker's turns come back
        servergate.install_gate(RedisServerGate(server, config.concurrency, config.delay, lease))

    def run_pool(
        self,
        n: int,
        parallel: int,
        url: str,
        started: float,
        nightly_id: int | None,
        sites: list[Any],
        *,
        owned: bool,
    ) -> None:
        """Run ``n`` worker processes on the Redis queue at ``url``; one progress display, one summary."""
        settings = passthrough_settings(sys.argv[1:], drop=frozenset({"REDIS_URL"}) if owned else frozenset())
        command = worker_command(worker_parallel(parallel, n), settings, server_share=n if owned else 0)
        pool = WorkerPool(command, worker_env(url), n)
        view = ConsoleProgress()
        results = {s.code: SiteResult(s.code, s.name) for s in sites}  # never started: "not run"
        view.start(len(sites))

        def on_site(result: SiteResult) -> None:
            results[result.code] = result
            done = len(pool.results)
            view.site_finished(result.line(done, len(sites)), done, result)

        def on_status() -> None:
            elapsed = max(time.monotonic() - started, 1e-6)
            pages = sum(r.pages for r in pool.results.values())
            view.status(
                f"sites {len(pool.results)}/{len(sites) or '?'} · {pages / elapsed:.1f} pages/s · {n} workers"
            )

        codes = pool.run(on_site, on_status, view.interval, lambda line: print(line, flush=True))
        view.stop()
        print_cache_line(pool.cache_hits, pool.cache_lookups)
        ids = {nightly_id} if nightly_id is not None else pool.nightly_ids
        interrupted = pool.interrupted or any(code not in (0, 1) for code in codes)
        complete = self.finish(ids, list(results.values()), interrupted, owned=owned)
        self.exitcode = 0 if complete and not any(codes) else 1
        self.write_report()

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
        else:  # nothing to crawl (a worker finding the queue empty): the scheduler ended before the reactor ran
            reactor.callWhenRunning(reactor.stop)
        return result

    def close_runs(self, ids: set[int], results: list[SiteResult], *, complete: bool, owned: bool) -> None:
        with self.session(write=True) as session:
            summary = {r.code: r.summary() for r in results}
            close_nightly(session, ids, summary, complete=complete, owned=owned)

    def finish(self, ids: set[int], results: list[SiteResult], interrupted: bool, *, owned: bool) -> bool:
        """Record the outcome and print the summary table; True if every site was inspected.

        In distributed mode (not ``owned``) a nightly run is complete once every site of it is done.
        """
        complete = not interrupted and all(r.done for r in results)
        self.close_runs(ids, results, complete=complete, owned=owned)
        label = ", ".join(str(i) for i in sorted(ids)) or "-"
        print_table(
            [r.row() for r in results],
            SUMMARY_COLUMNS,
            title=f"nightly run {label}: {'complete' if complete else 'NOT complete'}",
        )
        if not complete:
            print("resume with: scrapy nightly --resume", file=sys.stderr)
        return complete


class ConsoleProgress:
    """A rich progress bar on a terminal; otherwise plain lines on stdout, a status line every 30 s."""

    def __init__(self) -> None:
        self.console = Console(stderr=True)
        self.progress: Progress | None = None
        self.task_id = TaskID(0)

    @property
    def interval(self) -> float:
        return 2.0 if self.console.is_terminal else 30.0

    def start(self, total: int) -> None:
        if not self.console.is_terminal:
            return
        self.progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=self.console,
            transient=False,
        )
        self.progress.start()
        self.task_id = self.progress.add_task("sites", total=total or None)

    def site_finished(self, line: str, done: int, result: SiteResult) -> None:
        if self.progress:
            self.progress.console.print(line)
            self.progress.update(self.task_id, completed=done)
        else:
            print(line, flush=True)

    def status(self, text: str) -> None:
        if self.progress:
            self.progress.update(self.task_id, description=text)
        else:
            print(f"progress: {text}", flush=True)

    def stop(self) -> None:
        if self.progress:
            self.progress.stop()


class ReportProgress:
    """A pool worker's progress: one JSON line per finished site on stdout, for the parent (workers.py)."""

    interval = 30.0

    def start(self, total: int) -> None:
        pass

    def site_finished(self, line: str, done: int, result: SiteResult) -> None:
        print(site_report(result), flush=True)

    def status(self, text: str) -> None:
        pass

    def stop(self) -> None:
        pass


def print_cache_line(hits: int, lookups: int) -> None:
    if lookups:
        print(
            f"link cache: {hits} of {lookups} external targets answered from the cache ({hits / lookups:.0%})"
        )
