"""Fixtures of the hostile crawl tests: the canary, hostile servers, and crawls run as subprocesses.

Every crawl is ``scrapy crawl portal`` in its own process (wall time and peak RSS measured with wait4)
against a fresh SQLite database, with GOVHEALTH_ALLOW_PRIVATE_TARGETS off and the hostile test resolver.
"""

from __future__ import annotations

import os
import subprocess
import threading
import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from models.column import Column
from models.finding import Finding
from models.link import LinkCheck
from models.run import CrawlRun
from models.session import make_sessionmaker, open_database
from tests.conftest import ROOT, evidence_dir, register_site
from tests.hostile.server import Canary, HostileServer

SCRAPY = ROOT / ".venv" / "bin" / "scrapy"
PYTHON = ROOT / ".venv" / "bin" / "python"
# `.venv/bin/scrapy ARGS` that also writes its peak RSS (VmHWM, KiB) to the file named first. ru_maxrss of a
# child also counts the parent's pages it had at fork/exec (the pytest process: 180 MB at times); VmHWM of
# the crawl's own address space does not.
PEAK_RSS_WRAPPER = """
import atexit, sys
from pathlib import Path
report = Path(sys.argv.pop(1))
def peak():
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            report.write_text(line.split()[1])
atexit.register(peak)
sys.argv[0] = "scrapy"
from scrapy.cmdline import execute
sys.exit(execute())
"""
MARGIN = 30.0  # seconds a crawl may take beyond GOVHEALTH_MAX_SECONDS before it counts as hung
MAX_RSS_MB = 600.0
PARALLEL_CRAWLS = 3  # crawls of one module run at the same time (2 cores: most of a crawl is waiting)

BASE_SETTINGS = {
    "GOVHEALTH_ALLOW_PRIVATE_TARGETS": "False",
    "DOWNLOAD_DELAY": "0",
    "AUTOTHROTTLE_ENABLED": "False",
    "GOVHEALTH_RECHECK_DELAY": "0.3",
    "GOVHEALTH_BACKOFF_BASE": "0.1",
    "DOWNLOAD_TIMEOUT": "5",
    "GOVHEALTH_MAX_SECONDS": "20",
    "CONCURRENT_REQUESTS_PER_DOMAIN": "16",
    "LOG_LEVEL": "WARNING",
    "TWISTED_DNS_RESOLVER": "tests.hostile.resolver.HostileResolver",
}


@dataclass
class CrawlResult:
    """One finished crawl subprocess and what it stored."""

    name: str
    code: str
    db_url: str
    settings: dict[str, str]
    returncode: int | None
    wall: float
    max_rss_mb: float
    killed: bool
    stderr: str
    runs: list[CrawlRun] = field(default_factory=list)
    checks: dict[str, LinkCheck] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    columns: list[Column] = field(default_factory=list)

    @property
    def max_seconds(self) -> float:
        return float(self.settings["GOVHEALTH_MAX_SECONDS"])

    @property
    def run(self) -> CrawlRun:
        assert self.runs, f"{self.name}: no crawl run stored\n{self.tail()}"
        return self.runs[-1]

    @property
    def stats(self) -> dict[str, Any]:
        return dict(self.run.stats or {}) if self.runs else {}

    @property
    def limits(self) -> list[str]:
        """Budgets and limits the run names: budget_hit plus the (new) ``limits`` list column."""
        if not self.runs:
            return []
        named = list(getattr(self.run, "limits", None) or [])
        return [self.run.budget_hit, *named] if self.run.budget_hit else named

    def check(self, url: str) -> LinkCheck | None:
        return self.checks.get(url)

    def tail(self, lines: int = 25) -> str:
        return "\n".join(self.stderr.splitlines()[-lines:])

    def describe(self, url: str) -> str:
        found = self.checks.get(url)
        if found is None:
            return f"{url[:150]}: no link check stored"
        return f"{url[:150]}: {found.state} {found.error} (status {found.status}; {found.reason})"

    def summary(self) -> str:
        run = self.runs[-1] if self.runs else None
        state = (
            f"run {run.status} budget_hit={run.budget_hit} limits={getattr(run, 'limits', '<no column>')}"
            if run
            else "no run"
        )
        return (
            f"{self.name}: exit {self.returncode}{' (killed)' if self.killed else ''}, {self.wall:.1f} s, "
            f"{self.max_rss_mb:.0f} MB, {state}, {len(self.checks)} checks"
        )


def run_crawl(name: str, code: str, db_url: str, settings: dict[str, str], log_dir: Path) -> CrawlResult:
    """``scrapy crawl portal -a code=CODE`` with ``settings``; killed at GOVHEALTH_MAX_SECONDS + MARGIN."""
    values = {
        **BASE_SETTINGS,
        "GOVHEALTH_DATABASE_URL": db_url,
        "GOVHEALTH_EVIDENCE_DIR": str(evidence_dir(db_url)),
        **settings,
    }
    peak_file = log_dir / f"{name}.peak"
    args = [str(PYTHON), "-c", PEAK_RSS_WRAPPER, str(peak_file), "crawl", "portal", "-a", f"code={code}"]
    for key, value in values.items():
        args += ["-s", f"{key}={value}"]
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("GOVHEALTH_")},
        "GOVHEALTH_ALLOW_PRIVATE_TARGETS": "False",
        "PYTHONPATH": str(ROOT),
    }
    log = log_dir / f"{name}.stderr"
    limit = float(values["GOVHEALTH_MAX_SECONDS"]) + MARGIN
    with log.open("wb") as err:
        started = time.monotonic()
        proc = subprocess.Popen(args, cwd=ROOT, env=env, stdout=err, stderr=subprocess.STDOUT)
    killed = threading.Event()

    def kill() -> None:
        killed.set()
        proc.kill()

    timer = threading.Timer(limit, kill)
    timer.start()
    try:
        _, status, usage = os.wait4(proc.pid, 0)  # ru_maxrss: the upper bound when the crawl was killed
    finally:
        timer.cancel()
    wall = time.monotonic() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    result = CrawlResult(
        name=name,
        code=code,
        db_url=db_url,
        settings=values,
        returncode=proc.returncode,
        wall=wall,
        max_rss_mb=int(peak_file.read_text()) / 1024 if peak_file.exists() else usage.ru_maxrss / 1024,
        killed=killed.is_set(),
        stderr=log.read_text("utf-8", "replace"),
    )
    load_results(result)
    return result


def load_results(result: CrawlResult) -> None:
    engine = open_database(result.db_url)
    try:
        with make_sessionmaker(engine)() as session:
            result.runs = list(session.scalars(select(CrawlRun).order_by(CrawlRun.id)))
            result.checks = {c.url: c for c in session.scalars(select(LinkCheck))}
            result.findings = list(session.scalars(select(Finding)))
            result.columns = list(session.scalars(select(Column)))
            session.expunge_all()
    finally:
        engine.dispose()


class Launcher:
    """Starts crawls in the background, a few at a time; ``result(name)`` waits for one."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.pool = ThreadPoolExecutor(max_workers=PARALLEL_CRAWLS, thread_name_prefix="crawl")
        self.futures: dict[str, Future[CrawlResult]] = {}

    def start(
        self, name: str, code: str, homepage: str, settings: dict[str, str], domains: tuple[str, ...] = ()
    ) -> None:
        db_url = f"sqlite:///{self.tmp / f'{name}.sqlite3'}"
        open_database(db_url).dispose()
        register_site(db_url, code, homepage, name=f"敌意测试站点 {name}", domains=domains)
        self.futures[name] = self.pool.submit(run_crawl, name, code, db_url, settings, self.tmp)

    def result(self, name: str) -> CrawlResult:
        return self.futures[name].result()

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)


@pytest.fixture(scope="session")
def canary() -> Iterator[Canary]:
    """127.0.0.2 and ::1: nothing in these tests may ever connect to it."""
    server = Canary()
    server.start()
    try:
        yield server
    finally:
        server.stop()


def assert_canary_untouched(canary: Canary) -> None:
    seen = canary.seen()
    assert not seen, "the canary (a private address that is not the site's) was contacted:\n" + "\n".join(
        seen[:20]
    )


def assert_bounded(result: CrawlResult) -> None:
    """The crawl ended by itself, within its time budget (+ margin) and memory budget, and stored its run."""
    assert not result.killed, f"{result.summary()}: killed after {result.wall:.0f} s\n{result.tail()}"
    assert result.wall <= result.max_seconds + MARGIN, result.summary()
    assert result.max_rss_mb <= MAX_RSS_MB, result.summary()
    assert result.returncode == 0, f"{result.summary()}\n{result.tail()}"
    assert result.runs, f"{result.summary()}: no run stored\n{result.tail()}"
    assert result.run.status in ("complete", "incomplete"), result.summary()


CRASH_MARKS = (
    "Traceback (most recent call last)",
    "Spider error processing",
    "Error processing",
    "Error caught on signal handler",
    "Unhandled error",
    "Unhandled Error",
    "Error downloading",
    "] CRITICAL:",
)


def error_lines(result: CrawlResult) -> list[str]:
    """Log lines of a crash: a traceback, a callback or signal handler that raised, an unhandled error.

    Not RetryMiddleware's "Gave up retrying" ERROR records: those are outcomes, reported as link checks.
    """
    return [line for line in result.stderr.splitlines() if any(mark in line for mark in CRASH_MARKS)]


def host_of(url: str) -> str:
    return urlsplit(url).hostname or ""


@pytest.fixture(scope="module")
def launcher(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Launcher]:
    crawls = Launcher(tmp_path_factory.mktemp("crawls"))
    try:
        yield crawls
    finally:
        crawls.close()


def serve(server: HostileServer) -> Iterator[HostileServer]:
    server.start()
    try:
        yield server
    finally:
        server.stop()
