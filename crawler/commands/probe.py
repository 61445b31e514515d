"""`scrapy probe [--codes A,B] [--level L]`: one availability pass over every enabled homepage (cron, every 5 min).

Each homepage gets one GET (redirects followed, no retries) within GOVHEALTH_PROBE_TIMEOUT (15 s), the
national rule's "fails to open within 15 s"; the pass is stored as `Probe` rows in one transaction and
feeds the 7-day ratio of the `site_unreachable` veto and `homepage_availability`.

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
from typing import Any

from scrapy import signals
from scrapy.exceptions import UsageError
from sqlalchemy import insert

from crawler.cli import GovHealthCommand
from crawler.spiders.probe import ProbeConfig, ProbeItem, ProbeSpider
from models.errors import GovHealthError
from models.probe import Probe
from models.repo import list_sites

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
            "ITEM_PIPELINES": {},  # the command stores the pass itself, in one transaction
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
        items: list[ProbeItem] = []
        assert self.crawler_process is not None
        crawler = self.crawler_process.create_crawler(ProbeSpider)
        crawler.signals.connect(lambda item, **_: items.append(item), signal=signals.item_scraped, weak=False)
        self.crawler_process.crawl(crawler, sites=sites)
        self.crawler_process.start()
        if len(items) != len(sites):
            raise GovHealthError(f"the probe pass stopped early ({len(items)} of {len(sites)} sites): nothing stored")
        with self.session(write=True) as session:
            session.execute(insert(Probe), [
                {"site_id": i.site_id, "at": i.at, "ok": i.ok, "status": i.status, "elapsed_ms": i.elapsed_ms,
                 "error": i.error} for i in items
            ])
        report(sorted(items, key=lambda i: i.code))


def report(items: list[ProbeItem]) -> None:
    """The summary line, then one line per failed site."""
    failed = [i for i in items if not i.ok]
    times = [i.elapsed_ms for i in items if i.elapsed_ms is not None] or [0]
    print(f"probed {len(items)} homepages: {len(items) - len(failed)} ok, {len(failed)} failed "
          f"(p50 {round(statistics.median(times))} ms, max {max(times)} ms)")
    for i in failed:
        print(f"  {i.code} {i.name}: {i.error}" + (f" (HTTP {i.status})" if i.status else ""))
    sys.stdout.flush()
