"""`scrapy probe [--codes A,B] [--level L]`: one availability pass over every enabled homepage (cron, every 5 min).

Each homepage gets one GET (redirects followed, no retries) within GOVHEALTH_PROBE_TIMEOUT (15 s), the
national rule's "fails to open within 15 s"; the spider's only pipeline (pipelines/probe.py) stores the pass
as `Probe` rows in one transaction, which feed the 7-day ratio of the `site_unreachable` veto and
`homepage_availability`.

ok = a 2xx (after any redirects) within the budget. Failures carry an error code: http_error (4xx/5xx,
or a final 3xx), timeout, dns, connection_refused, connection_reset, ssl, too_many_redirects,
redirect_loop, other. An anti-bot gate's answer (瑞数 412, 加速乐 521, a WAF page ...) counts as ok with
error="anti_bot_gate": the server answered within the budget, and a browser would open the site.
Exit status 0 whenever the pass ran, however many sites failed: failures are data.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
from typing import TYPE_CHECKING, Any

from scrapy.exceptions import UsageError

from crawler.cli import GovHealthCommand
from crawler.spiders.probe import ProbeConfig, ProbeItem, ProbeSpider
from models.errors import GovHealthError
from models.repo import list_sites
from pipelines.probe import ProbePipeline, ProbeStoreConfig

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

CONCURRENCY = 64  # one request per site; a pass over 200 homepages takes about one budget at worst


class Command(GovHealthCommand):
    requires_crawler_process = True

    def syntax(self) -> str:
        return "[--codes A,B] [--level department|city|county]"

    def short_desc(self) -> str:
        return "Time one GET of every enabled homepage (15 s budget) and store it for the 7-day availability ratio"

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        parser.add_argument("--codes", help="only these sites, comma-separated")
        parser.add_argument("--level", choices=("department", "city", "county"))

    def process_options(self, args: list[str], opts: argparse.Namespace) -> None:
        super().process_options(args, opts)  # -s NAME=value lands at "cmdline" priority and wins below
        assert self.settings is not None
        try:
            config = ProbeConfig.from_settings(self.settings)
            ProbeStoreConfig.from_settings(
                self.settings
            )  # the pipeline's turn comes after the pass: check it now
        except ValueError as exc:
            raise UsageError(str(exc), print_help=False) from None
        probe_settings: dict[str, Any] = {
            "CONCURRENT_REQUESTS": CONCURRENCY,
            "REACTOR_THREADPOOL_MAXSIZE": CONCURRENCY,  # DNS lookups run there: none may wait for a thread
            "DOWNLOAD_TIMEOUT": config.timeout,
            "RETRY_ENABLED": False,
            "AUTOTHROTTLE_ENABLED": False,
            "DOWNLOAD_DELAY": 0,
            "ROBOTSTXT_OBEY": False,
            "DOWNLOADER_MIDDLEWARES": {"crawler.middlewares.RateLimitMiddleware": None},  # no 429/503 retries
        }
        if "GOVHEALTH_LOG_LEVEL" not in os.environ:  # quiet under cron; -L / -s LOG_LEVEL still win
            probe_settings["LOG_LEVEL"] = "WARNING"
        # "project", not "command": settings.py sets most of these at "project" priority, which "command" loses to
        self.settings.setdict(probe_settings, priority="project")

    def handle(self, args: list[str], opts: argparse.Namespace) -> None:
        if args:
            raise UsageError("scrapy probe takes no arguments")
        codes = [c.strip() for c in (opts.codes or "").split(",") if c.strip()]
        with self.session() as session:
            sites = list_sites(session, enabled_only=True, codes=codes, level=opts.level or "")
        if codes and (missing := set(codes) - {s.code for s in sites}):
            raise GovHealthError(f"unknown or disabled site codes: {', '.join(sorted(missing))}")
        if not sites:
            raise GovHealthError("no enabled sites to probe: register some with 'scrapy sites import FILE'")
        assert self.crawler_process is not None
        crawler = self.crawler_process.create_crawler(ProbeSpider)
        self.crawler_process.crawl(crawler, sites=sites)
        self.crawler_process.start()
        pipeline = probe_pipeline(crawler)
        items = pipeline.probes if pipeline is not None else []
        if len(items) != len(sites):
            raise GovHealthError(
                f"the probe pass stopped early ({len(items)} of {len(sites)} sites): nothing stored"
            )
        if pipeline is None or not pipeline.stored:
            raise GovHealthError(
                f"the probe pass ({len(items)} sites) could not be stored: see the log above"
            )
        report(sorted(items, key=lambda i: i.code))


def probe_pipeline(crawler: Crawler) -> ProbePipeline | None:
    """The crawl's ProbePipeline, which holds the pass, or None if the crawl failed before it existed."""
    try:
        return crawler.get_item_pipeline(ProbePipeline)
    except RuntimeError:  # no engine: the crawl could not even start
        return None


def report(items: list[ProbeItem]) -> None:
    """The summary line, then one line per failed site."""
    failed = [i for i in items if not i.ok]
    times = [i.elapsed_ms for i in items if i.elapsed_ms is not None] or [0]
    print(
        f"probed {len(items)} homepages: {len(items) - len(failed)} ok, {len(failed)} failed "
        f"(p50 {round(statistics.median(times))} ms, max {max(times)} ms)"
    )
    for i in failed:
        print(f"  {i.code} {i.name}: {i.error}" + (f" (HTTP {i.status})" if i.status else ""))
    sys.stdout.flush()
