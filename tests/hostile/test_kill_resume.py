"""Kill `scrapy nightly` at any moment, then `scrapy nightly --resume`: the findings of an uninterrupted run.

Three small sites on 127.0.0.1 share an external host (broken targets linked by every site, an ok one). Each
site has a page its server holds until the test releases it, so the test knows where the killed run stands;
the store is caught by holding the SQLite write lock. No sleeps: every wait polls with a deadline.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import pytest
import pytest_twisted
from redis import Redis
from scrapy.utils.test import get_crawler
from sqlalchemy import select
from twisted.internet import task

from crawler import distributed
from crawler.demo.server import SiteHandler, SiteServer
from crawler.linkcache import LinkCache, url_hash
from crawler.spiders.portal import PortalSpider
from models.finding import Finding
from models.nightly import NightlyRun
from models.run import CrawlRun
from models.session import make_sessionmaker, open_database
from models.site import Site
from pipelines.evidence import read_records
from pipelines.rules.kinds import LinkState
from pipelines.rules.links import Verdict
from tests.conftest import evidence_dir, register_site, test_settings
from tests.crawler.test_commands import ROOT
from tests.evidence import assert_every_finding_proven

pytestmark = pytest.mark.hostile

MAX_SECONDS = 40  # GOVHEALTH_MAX_SECONDS of every site
DOWNLOAD_TIMEOUT = 10
# a nightly pass of the three sites at --parallel 2 is two rounds of sites, each within its budget; plus
# start-up, the drain of the downloads in flight and the store
RUN_TIMEOUT = 2 * (MAX_SECONDS + DOWNLOAD_TIMEOUT) + 30
WAIT = 30.0  # seconds any one step of a killed run may take before the test gives up
CODES = ("4510990801", "4510990802", "4510990803")

Found = tuple[str, str, str]  # site code, kind, url


class HoldHandler(SiteHandler):
    """The site's files, plus /hold/<n>: a page answered only once the test releases its server."""

    server: HoldServer

    def route_hold(self, method: str, args: list[str]) -> None:
        with self.server.lock:
            self.server.held += 1
        self.server.release.wait(
            timeout=RUN_TIMEOUT
        )  # bounded: a forgotten hold cannot keep a thread forever
        self.send_body(200, page(f"/after-hold-{args[0]}.html"))


class HoldServer(SiteServer):
    def __init__(self, root: Path) -> None:
        super().__init__(root)
        self.RequestHandlerClass = partial(HoldHandler, directory=str(root))
        self.release = threading.Event()
        self.held = 0

    def arm(self) -> None:
        with self.lock:
            self.held = 0
        self.release.clear()


def page(*links: str) -> str:
    anchors = "".join(f'<a href="{url}">链接{n}</a>' for n, url in enumerate(links))
    return f'<html><head><meta charset="utf-8"><title>页面</title></head><body>{anchors}</body></html>'


@dataclass
class World:
    """The external host and three sites, each with internal and external broken links and a held page."""

    external: SiteServer
    sites: list[HoldServer]

    def planted(self, n: int) -> set[str]:
        """The broken links planted on site ``n``: three missing pages, the page behind the hold, three external."""
        own, ext = self.sites[n].base, self.external.base
        return (
            {f"{own}/missing-{n}-{x}.html" for x in "abc"}
            | {f"{own}/after-hold-{n}.html"}
            | {f"{ext}/gone-shared.html", f"{ext}/gone-{n}.html", f"{ext}/gone-p1.html"}
        )


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    ext_root = tmp_path_factory.mktemp("external")
    (ext_root / "ok.html").write_text(page(), encoding="utf-8")
    with SiteServer(ext_root) as ext:
        sites: list[HoldServer] = []
        try:
            for n in range(len(CODES)):
                root = tmp_path_factory.mktemp(f"site{n}")
                sites.append(HoldServer(root).__enter__())
                (root / "index.html").write_text(
                    page(
                        "/p1.html",
                        "/p2.html",
                        f"/missing-{n}-a.html",
                        ext.url("/gone-shared.html"),
                        ext.url(f"/gone-{n}.html"),
                        ext.url("/ok.html"),
                        f"/hold/{n}",
                    ),
                    encoding="utf-8",
                )
                (root / "p1.html").write_text(
                    page(f"/missing-{n}-b.html", ext.url("/gone-shared.html"), ext.url("/gone-p1.html")),
                    encoding="utf-8",
                )
                (root / "p2.html").write_text(
                    page(f"/missing-{n}-c.html", ext.url("/ok.html"), ext.url("/gone-p1.html")),
                    encoding="utf-8",
                )
            yield World(ext, sites)
        finally:
            for server in sites:
                server.release.set()
                server.__exit__()


def new_database(tmp: Path, name: str, sites: list[HoldServer]) -> str:
    db_url = f"sqlite:///{tmp / name}"
    open_database(db_url).dispose()
    for code, server in zip(CODES, sites, strict=True):
        register_site(db_url, code, server.url("/index.html"), name=f"站点{code[-1]}")
    return db_url


def env_for(db_url: str, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        **extra,
        "GOVHEALTH_DATABASE_URL": db_url,
        "GOVHEALTH_EVIDENCE_DIR": str(evidence_dir(db_url)),
        "GOVHEALTH_ALLOW_PRIVATE_TARGETS": "True",
        "GOVHEALTH_RECHECK_DELAY": "0.2",
        "GOVHEALTH_BACKOFF_BASE": "0.1",
        "GOVHEALTH_MAX_SECONDS": str(MAX_SECONDS),
        "GOVHEALTH_LOG_LEVEL": "INFO",
        "DOWNLOAD_TIMEOUT": str(DOWNLOAD_TIMEOUT),
    }


def nightly_args(*extra: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "scrapy.cmdline",
        "nightly",
        *extra,
        "-s",
        "DOWNLOAD_DELAY=0",
        "-s",
        "AUTOTHROTTLE_ENABLED=0",
        "-s",
        "TWISTED_DNS_RESOLVER=tests.resolver.LoopbackOnlyResolver",
    ]


def start_nightly(db_url: str, log: Path, *extra: str, **env: str) -> subprocess.Popen[bytes]:
    with log.open("wb") as err:
        return subprocess.Popen(
            nightly_args(*extra), cwd=ROOT, env=env_for(db_url, **env), stdout=err, stderr=subprocess.STDOUT
        )


def run_nightly(db_url: str, log: Path, *extra: str, **env: str) -> None:
    """A nightly pass that must end by itself, within the budgets, with every site inspected."""
    started = time.monotonic()
    with log.open("wb") as out:
        done = subprocess.run(
            nightly_args(*extra),
            cwd=ROOT,
            env=env_for(db_url, **env),
            stdout=out,
            stderr=subprocess.STDOUT,
            timeout=RUN_TIMEOUT,
            check=False,
        )
    text = log.read_text("utf-8", "replace")
    assert done.returncode == 0, text[-4000:]
    assert time.monotonic() - started < RUN_TIMEOUT


def exported(db_url: str, tmp: Path) -> tuple[list[Found], dict[str, int]]:
    """What `scrapy export --format jsonl` reports: the findings, and the run each site's score card is about."""
    out = tmp / f"export-{time.monotonic_ns()}.jsonl"
    done = subprocess.run(
        [sys.executable, "-m", "scrapy.cmdline", "export", "--format", "jsonl", "-o", str(out)],
        cwd=ROOT,
        env={**env_for(db_url), "GOVHEALTH_LOG_LEVEL": "WARNING"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    found = [
        (r["site_code"], r["kind"], r["url"]) for r in map(json.loads, out.read_text("utf-8").splitlines())
    ]
    cards = out.with_name(f"{out.stem}.scores.jsonl").read_text("utf-8").splitlines()
    return found, {c["site_code"]: c["run_id"] for c in map(json.loads, cards) if c["run_id"] is not None}


@dataclass(frozen=True)
class RunRow:
    """A crawl_runs row and its site's code."""

    code: str
    id: int
    status: str
    close_reason: str | None
    budget_hit: str | None
    started_at: datetime
    finished_at: datetime | None


def runs(db_url: str) -> list[RunRow]:
    engine = open_database(db_url)
    try:
        with make_sessionmaker(engine)() as session:
            query = (
                select(
                    Site.code,
                    CrawlRun.id,
                    CrawlRun.status,
                    CrawlRun.close_reason,
                    CrawlRun.budget_hit,
                    CrawlRun.started_at,
                    CrawlRun.finished_at,
                )
                .join(Site, Site.id == CrawlRun.site_id)
                .order_by(CrawlRun.id)
            )
            return [RunRow(*row) for row in session.execute(query)]
    finally:
        engine.dispose()


def stored(db_url: str, code: str) -> bool:
    return any(r.code == code and r.status == "complete" for r in runs(db_url))


def wait_for(what: str, condition: Callable[[], Any], proc: subprocess.Popen[bytes] | None = None) -> None:
    deadline = time.monotonic() + WAIT
    while not condition():
        assert proc is None or proc.poll() is None, f"the nightly run ended before {what}"
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


def kill(proc: subprocess.Popen[bytes]) -> None:
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=WAIT)


def per_site(found: list[Found]) -> dict[str, set[Found]]:
    result: dict[str, set[Found]] = {}
    for item in found:
        result.setdefault(item[0], set()).add(item)
    return result


def assert_no_partial_report(db_url: str, tmp: Path, expected: list[Found]) -> list[Found]:
    """Between a kill and the resume: a site is reported with all of its findings, or not at all."""
    found, cards = exported(db_url, tmp)
    assert len(found) == len(set(found))
    inspected = {r.id: r.code for r in runs(db_url) if r.close_reason == "finished"}
    assert all(inspected.get(run_id) == code for code, run_id in cards.items()), "a run cut short is reported"
    want = per_site(expected)
    assert per_site(found) == {code: want[code] for code in cards}
    return found


@pytest.fixture(scope="module")
def uninterrupted(world: World, tmp_path_factory: pytest.TempPathFactory) -> list[Found]:
    """Database A: the findings of a nightly run nobody killed."""
    tmp = tmp_path_factory.mktemp("uninterrupted")
    db_url = new_database(tmp, "a.sqlite3", world.sites)
    for server in world.sites:
        server.release.set()
    run_nightly(db_url, tmp / "nightly.log", "--parallel", "2")
    found, cards = exported(db_url, tmp)
    assert len(found) == len(set(found))
    assert set(cards) == set(CODES)
    by_site = per_site(found)
    for n, code in enumerate(CODES):
        assert {url for _, kind, url in by_site[code] if kind == "broken_link"} == world.planted(n)
    return found


# -- kill points: the killed run goes one site at a time, so that each point is reached deterministically ------


def before_first_site(
    db_url: str, sites: list[HoldServer], proc: subprocess.Popen[bytes], log: Path, expected: list[Found]
) -> None:
    wait_for("the first site's held page", lambda: sites[0].held, proc)
    kill(proc)
    assert {r.status for r in runs(db_url)} == {"running"}


def mid_site(
    db_url: str, sites: list[HoldServer], proc: subprocess.Popen[bytes], log: Path, expected: list[Found]
) -> None:
    wait_for("the first site's held page", lambda: sites[0].held, proc)
    sites[0].release.set()
    wait_for(
        "the first site stored, the second one held", lambda: sites[1].held and stored(db_url, CODES[0]), proc
    )
    kill(proc)


def during_store(
    db_url: str, sites: list[HoldServer], proc: subprocess.Popen[bytes], log: Path, expected: list[Found]
) -> None:
    wait_for("the first site's held page", lambda: sites[0].held, proc)
    lock = sqlite3.connect(db_url.removeprefix("sqlite:///"), timeout=WAIT, isolation_level=None)
    try:
        lock.execute("BEGIN IMMEDIATE")  # the store of the first site waits for this write lock
        sites[0].release.set()
        wait_for(
            "the first site's store",
            lambda: "Closing spider (finished)" in log.read_text("utf-8", "replace"),
            proc,
        )
        kill(proc)
    finally:
        lock.close()
    assert not stored(db_url, CODES[0])


def sigterm_mid_site(
    db_url: str, sites: list[HoldServer], proc: subprocess.Popen[bytes], log: Path, expected: list[Found]
) -> None:
    """`kill` (SIGTERM): Scrapy shuts down gracefully and stores what the crawls had seen as partial runs."""
    wait_for("the first site's held page", lambda: sites[0].held, proc)
    sites[0].release.set()
    wait_for(
        "the first site stored, the second one held", lambda: sites[1].held and stored(db_url, CODES[0]), proc
    )
    proc.send_signal(signal.SIGTERM)
    wait_for(
        "the graceful shutdown", lambda: "shutting down gracefully" in log.read_text("utf-8", "replace"), proc
    )
    sites[1].release.set()  # the held download may end now: the crawl is closing with reason "shutdown"
    assert proc.wait(timeout=WAIT) != 0
    assert [(r.code, r.close_reason) for r in runs(db_url)] == [
        (CODES[0], "finished"),
        (CODES[1], "shutdown"),
    ]


def resume_killed_too(
    db_url: str, sites: list[HoldServer], proc: subprocess.Popen[bytes], log: Path, expected: list[Found]
) -> None:
    """Killed mid-site, then the resume is killed mid-site as well: the killed runs are never reported."""
    mid_site(db_url, sites, proc, log, expected)
    assert_no_partial_report(db_url, log.parent, expected)
    resumed = start_nightly(db_url, log.with_suffix(".resume1.log"), "--resume", "--parallel", "1")
    try:
        wait_for("the second site held again", lambda: sites[1].held >= 2, resumed)
    finally:
        kill(resumed)
    assert [(r.code, r.status) for r in runs(db_url)] == [
        (CODES[0], "complete"),
        (CODES[1], "failed"),
        (CODES[1], "running"),
    ]


@pytest.mark.parametrize(
    "kill_point",
    [before_first_site, mid_site, during_store, sigterm_mid_site, resume_killed_too],
    ids=lambda f: f.__name__.replace("_", "-"),
)
def test_resume_after_a_kill_reports_what_an_uninterrupted_run_reports(
    kill_point: Callable[..., None], world: World, uninterrupted: list[Found], tmp_path: Path
) -> None:
    db_url = new_database(tmp_path, "b.sqlite3", world.sites)
    for server in world.sites:
        server.arm()
    log = tmp_path / "killed.log"
    proc = start_nightly(db_url, log, "--parallel", "1")
    try:
        kill_point(db_url, world.sites, proc, log, uninterrupted)
    finally:
        if proc.poll() is None:
            kill(proc)
    before = assert_no_partial_report(db_url, tmp_path, uninterrupted)
    for server in world.sites:
        server.release.set()

    resumed_from = max(r.id for r in runs(db_url))
    run_nightly(db_url, tmp_path / "resumed.log", "--resume", "--parallel", "2")
    after, cards = exported(db_url, tmp_path)
    assert len(after) == len(set(after)), "no finding is reported twice"
    assert sorted(after) == sorted(uninterrupted)
    assert set(before) <= set(after), "nothing found before the kill is lost"
    assert set(cards) == set(CODES)
    resumed = [r for r in runs(db_url) if r.id > resumed_from]
    assert resumed, "the resume inspected the sites the kill cut short"
    for run in resumed:
        assert (run.status, run.close_reason, run.budget_hit) == ("complete", "finished", None)
        assert run.finished_at is not None
        assert (run.finished_at - run.started_at).total_seconds() < MAX_SECONDS
    finished = {r.code for r in runs(db_url) if r.id <= resumed_from and r.status == "complete"}
    assert not finished & {r.code for r in resumed}, "a site the killed run finished is not crawled again"
    assert_archives_readable(db_url, {r.id for r in resumed})
    engine = open_database(db_url)
    try:
        with make_sessionmaker(engine)() as session:
            assert [n.status for n in session.scalars(select(NightlyRun))] == ["complete"]
    finally:
        engine.dispose()


@pytest.mark.redis
def test_a_killed_worker_s_sites_are_queued_again_by_a_resume_seed(
    world: World, uninterrupted: list[Found], tmp_path: Path, redis_url: str
) -> None:
    """--redis: the killed worker had popped its site off the queue; `--seed --resume` queues it again (the
    nightly run's de-duplication of the queue does not stop it) and a worker finishes the run."""
    db_url = new_database(tmp_path, "b.sqlite3", world.sites)
    for server in world.sites:
        server.arm()
    run_nightly(db_url, tmp_path / "seed.log", "--redis", "--seed", GOVHEALTH_REDIS_URL=redis_url)
    log = tmp_path / "worker.log"
    worker = start_nightly(db_url, log, "--redis", "--parallel", "1", GOVHEALTH_REDIS_URL=redis_url)
    try:
        mid_site(db_url, world.sites, worker, log, uninterrupted)
    finally:
        if worker.poll() is None:
            kill(worker)
    assert_no_partial_report(db_url, tmp_path, uninterrupted)
    for server in world.sites:
        server.release.set()
    run_nightly(
        db_url, tmp_path / "reseed.log", "--redis", "--seed", "--resume", GOVHEALTH_REDIS_URL=redis_url
    )
    run_nightly(db_url, tmp_path / "worker2.log", "--redis", "--parallel", "2", GOVHEALTH_REDIS_URL=redis_url)
    after, cards = exported(db_url, tmp_path)
    assert sorted(after) == sorted(uninterrupted)
    assert set(cards) == set(CODES)
    assert sorted((r.code, r.status) for r in runs(db_url)) == [
        (CODES[0], "complete"),
        (CODES[1], "complete"),
        (CODES[1], "failed"),
        (CODES[2], "complete"),
    ]


@pytest_twisted.inlineCallbacks
def test_a_claim_nobody_answers_is_checked_here_within_the_time_budget(
    db_url: str, tmp_path: Path
) -> Iterator[Any]:
    """A target another crawl claimed and never answers (a crawl killed with its claims held, as Redis keeps them for
    a killed worker): the crawl waits for it only while there is time left to check it itself, so the budget never
    drops it unchecked, whatever GOVHEALTH_LINK_CACHE_WAIT says."""
    ext = tmp_path / "ext"
    ext.mkdir()
    site = tmp_path / "site"
    site.mkdir()
    with SiteServer(ext) as external, SiteServer(site) as server:
        target = external.url("/gone.html")
        (site / "index.html").write_text(page(target, "/missing.html"), encoding="utf-8")
        cache = LinkCache(db_url, timedelta(hours=72), timedelta(hours=6))
        assert cache.claim(target)  # the claim of the crawl that will never answer
        register_site(db_url, "4510990811", server.url("/index.html"), name="等待中的站点")
        budget = 20
        settings = test_settings(
            db_url, GOVHEALTH_MAX_SECONDS=budget, GOVHEALTH_LINK_CACHE_WAIT=300, DOWNLOAD_TIMEOUT=5
        )
        crawler = get_crawler(PortalSpider, settings)
        started = time.monotonic()
        yield crawler.crawl(code="4510990811", link_cache=cache)
        took = time.monotonic() - started
        cache.engine.dispose()
    stats = crawler.stats.get_stats()
    assert stats["finish_reason"] == "finished", stats
    assert took < budget
    assert stats["govhealth/linkcache/wait_timeouts"] == 1
    verdict = crawler.spider.ledger.get(target).verdict
    assert verdict is not None and verdict.state is LinkState.BROKEN, (
        "checked here and confirmed, not dropped"
    )
    assert stats["govhealth/findings/broken_link"] == 2


@pytest.mark.redis
@pytest_twisted.inlineCallbacks
def test_the_claims_of_a_killed_worker_expire_and_their_targets_are_checked_here(
    db_url: str, redis_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Any]:
    """A worker killed with a claim leaves its last renewal in Redis: it expires within CLAIM_SECONDS and the
    crawl waiting for it checks the target itself, long before GOVHEALTH_LINK_CACHE_WAIT or its budget."""
    assert distributed.CLAIM_SECONDS <= 60, "the claims of a killed worker must not outlive a site's budget"
    monkeypatch.setattr(distributed, "CLAIM_SECONDS", 2)
    redis = Redis.from_url(redis_url)
    ext = tmp_path / "ext"
    ext.mkdir()
    site = tmp_path / "site"
    site.mkdir()
    try:
        with SiteServer(ext) as external, SiteServer(site) as server:
            target = external.url("/gone.html")
            (site / "index.html").write_text(page(target), encoding="utf-8")
            dead = distributed.RedisLinkCache(redis, db_url, timedelta(hours=72), timedelta(hours=6))
            assert dead.claim(target)
            dead.close()  # killed: no publish, no abandon, no more renewals
            cache = distributed.RedisLinkCache(redis, db_url, timedelta(hours=72), timedelta(hours=6))
            register_site(db_url, "4510990812", server.url("/index.html"), name="等待死去的认领")
            settings = test_settings(
                db_url, GOVHEALTH_MAX_SECONDS=120, GOVHEALTH_LINK_CACHE_WAIT=300, DOWNLOAD_TIMEOUT=5
            )
            crawler = get_crawler(PortalSpider, settings)
            started = time.monotonic()
            yield crawler.crawl(code="4510990812", link_cache=cache)
            took = time.monotonic() - started
            cache.close()
    finally:
        redis.close()
    stats = crawler.stats.get_stats()
    assert stats["finish_reason"] == "finished"
    assert "govhealth/linkcache/wait_timeouts" not in stats, (
        "released by the claim's expiry, not by the wait limit"
    )
    assert took < 15
    verdict = crawler.spider.ledger.get(target).verdict
    assert verdict is not None and verdict.state is LinkState.BROKEN


@pytest.mark.redis
@pytest_twisted.inlineCallbacks
def test_a_live_worker_renews_its_claims_until_it_publishes(
    db_url: str, redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Any]:
    from twisted.internet import reactor

    monkeypatch.setattr(distributed, "CLAIM_SECONDS", 1)
    redis = Redis.from_url(redis_url)
    url = "http://www.gov.cn.example/gone.html"
    key = distributed.LINK_KEY.format(hash=url_hash(url))
    cache = distributed.RedisLinkCache(redis, db_url, timedelta(hours=72), timedelta(hours=6))
    try:
        assert cache.claim(url)
        yield task.deferLater(reactor, 2.5, lambda: None)  # past two lifetimes of an unrenewed claim
        assert redis.get(key) == distributed.PENDING
        cache.publish(url, Verdict(LinkState.BROKEN, "http_error", "HTTP 404 on GET"), 404)
        assert json.loads(redis.get(key))["state"] == "broken"
        assert redis.ttl(key) > 3600, "the outcome keeps its own lifetime"
    finally:
        cache.close()
        redis.close()


def assert_archives_readable(db_url: str, resumed: set[int]) -> None:
    """No torn archive after a kill: every file reads to its end, and each resumed run's findings are proven."""
    root = evidence_dir(db_url)
    partial = {int(p.name.split(".")[0]) for p in root.glob("*/*.warc.gz.part")}
    assert not partial & resumed, "the resumed runs finished their archives"
    for path in root.glob("*/*.warc.gz"):
        assert list(read_records(path)), path
    engine = open_database(db_url)
    try:
        with make_sessionmaker(engine)() as session:
            findings = list(session.scalars(select(Finding).where(Finding.run_id.in_(resumed))))
    finally:
        engine.dispose()
    assert findings
    assert_every_finding_proven(findings, root)
