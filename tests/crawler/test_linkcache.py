"""The shared link cache: an external target linked from many sites is checked once per nightly run,
and an ok outcome is reused by the next run while a broken one is checked again."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest_twisted
from scrapy.utils.test import get_crawler
from sqlalchemy import event

from crawler import linkcache
from crawler.demo.server import SiteServer
from crawler.spiders.portal import PortalSpider
from models.base import utcnow
from pipelines.rules.kinds import LinkState
from pipelines.rules.links import Verdict
from tests.conftest import register_site, test_settings
from tests.crawler.test_commands import scrapy
from tests.crawler.test_nightly import nightly_env

SITES = 3


def test_external_targets_checked_once_per_run_and_ok_ones_reused(
    db_url: str, tmp_path: Path, external_site: SiteServer
) -> None:
    servers = []
    for n in range(SITES):
        root = tmp_path / f"site{n}"
        root.mkdir()
        (root / "index.html").write_text(
            f'<a href="{external_site.url("/x.html")}">国务院</a><a href="{external_site.url("/gone.html")}">旧链接</a>'
            f'<a href="/p{n}.html">本站</a>',
            encoding="utf-8",
        )
        (root / f"p{n}.html").write_text("<p>本站页面</p>", encoding="utf-8")
        servers.append(SiteServer(root).__enter__())
    try:
        for n, server in enumerate(servers):
            register_site(db_url, f"45109904{n:02d}", server.url("/index.html"), name=f"站点{n}")
        external_site.reset()
        args = ("nightly", "--parallel", str(SITES), "-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=0")
        first = scrapy(*args, db_url=db_url, env_extra=nightly_env(db_url))
        assert first.returncode == 0, first.stderr
        hits = dict(external_site.hits)
        # one check each, as for a single site: a page link is fetched with GET straight away (no HEAD first),
        # and a 404 is re-checked once
        assert hits == {("GET", "/x.html"): 1, ("GET", "/gone.html"): 2}
        assert first.stdout.count("1 broken") == SITES, "every site still gets its own broken-link finding"

        external_site.reset()
        second = scrapy(*args, db_url=db_url, env_extra=nightly_env(db_url))
        assert second.returncode == 0, second.stderr
        assert ("GET", "/x.html") not in external_site.hits, (
            "an ok outcome is reused for GOVHEALTH_LINK_CACHE_OK_HOURS"
        )
        assert external_site.hits[("GET", "/gone.html")] == 2, "a broken one is checked again every run"
        assert "link cache:" in second.stdout
    finally:
        for server in servers:
            server.__exit__()


def test_two_crawls_waiting_on_each_others_failures_do_not_deadlock(
    db_url: str, tmp_path: Path, external_site: SiteServer
) -> None:
    """Site A checks x first, site B checks y first; each then waits for the other's target, and a
    failed target is published only after its re-check: re-checks must go out before the waiting."""
    roots = []
    for n, (first, second) in enumerate((("/a-gone.html", "/b-gone.html"), ("/b-gone.html", "/a-gone.html"))):
        root = tmp_path / f"s{n}"
        root.mkdir()
        # the first target is linked from the homepage, the second only from a page one level down,
        # so each crawl claims its own first and meets the other's later
        (root / "index.html").write_text(
            f'<a href="{external_site.url(first)}">外</a><a href="/p.html">下</a>', encoding="utf-8"
        )
        (root / "p.html").write_text(f'<a href="{external_site.url(second)}">外二</a>', encoding="utf-8")
        roots.append(SiteServer(root).__enter__())
    try:
        for n, server in enumerate(roots):
            register_site(db_url, f"45109906{n:02d}", server.url("/index.html"), name=f"互等站点{n}")
        env = {**nightly_env(db_url), "GOVHEALTH_RECHECK_DELAY": "1", "GOVHEALTH_MAX_SECONDS": "60"}
        done = scrapy(
            "nightly",
            "--parallel",
            "2",
            "-s",
            "DOWNLOAD_DELAY=0",
            "-s",
            "AUTOTHROTTLE_ENABLED=0",
            db_url=db_url,
            env_extra=env,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        assert done.stdout.count("2 broken") == 2, done.stdout  # both sites complete, both targets confirmed
        assert "max_seconds" not in done.stdout
    finally:
        for server in roots:
            server.__exit__()


def test_lookups_query_the_table_only_for_targets_it_holds(db_url: str) -> None:
    """One query loads the hashes of the unexpired rows; unknown targets cost no query, known ones one each,
    and rows written by someone else show up after PRELOAD_REFRESH."""
    hours = timedelta(hours=72)
    writer = linkcache.LinkCache(db_url, hours, hours)
    writer.publish("http://www.gov.cn/a.html", Verdict(LinkState.OK, None, "HTTP 200 on GET"), 200)
    writer.flush()
    reader = linkcache.LinkCache(db_url, hours, hours)
    statements: list[str] = []
    event.listen(reader.engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    try:
        assert reader.lookup("http://www.gov.cn/a.html") is not None
        preload = len(statements)
        assert reader.lookup("http://www.gov.cn/a.html") is not None  # in memory now
        for n in range(50):
            assert reader.lookup(f"http://www.gov.cn/unknown{n}.html") is None
        assert len(statements) == preload, "unknown targets must not be looked up one by one"

        writer.publish("http://www.gov.cn/b.html", Verdict(LinkState.OK, None, "HTTP 200 on GET"), 200)
        writer.flush()
        assert reader.lookup("http://www.gov.cn/b.html") is None, "not seen before the refresh"
        reader._stored_at = utcnow() - linkcache.PRELOAD_REFRESH - timedelta(seconds=1)
        found = reader.lookup("http://www.gov.cn/b.html")
        assert found is not None and found.verdict.state is LinkState.OK
    finally:
        writer.engine.dispose()
        reader.engine.dispose()


@pytest_twisted.inlineCallbacks
def test_a_crawl_stops_waiting_for_a_target_nobody_answers(
    db_url: str, tmp_path: Path, external_site: SiteServer
) -> Iterator[Any]:
    """Another crawl of the run claimed the target and never publishes (stuck, or killed without abandoning):
    after GOVHEALTH_LINK_CACHE_WAIT seconds this crawl checks it itself and finishes, and a late answer
    from the other crawl changes nothing."""
    target = external_site.url("/x.html")
    (tmp_path / "index.html").write_text(f'<a href="{target}">国务院</a>', encoding="utf-8")
    hours = timedelta(hours=72)
    cache = linkcache.LinkCache(db_url, hours, hours)
    assert cache.claim(target)  # the other crawl's claim
    with SiteServer(tmp_path) as server:
        register_site(db_url, "4510990701", server.url("/index.html"), name="等待站点")
        external_site.reset()
        crawler = get_crawler(
            PortalSpider, test_settings(db_url, GOVHEALTH_LINK_CACHE_WAIT=1, GOVHEALTH_MAX_SECONDS=60)
        )
        yield crawler.crawl(code="4510990701", link_cache=cache)
    stats = crawler.stats.get_stats()
    assert stats["govhealth/linkcache/wait_timeouts"] == 1
    assert stats.get("govhealth/budget/max_seconds") is None
    assert external_site.hits[("GET", "/x.html")] == 1, "checked here once the wait ran out"
    spider = crawler.spider
    assert spider.ledger.get(target).verdict.state is LinkState.OK
    cache.publish(target, Verdict(LinkState.BROKEN, "http_error", "HTTP 404 on GET"), 404)  # the late answer
    assert spider.ledger.get(target).verdict.state is LinkState.OK
    cache.engine.dispose()


def test_memory_is_bounded_and_dropped_outcomes_come_back_from_the_table(db_url: str) -> None:
    hours = timedelta(hours=72)
    cache = linkcache.LinkCache(db_url, hours, hours)
    cache.memory_limit = 3
    ok = Verdict(LinkState.OK, None, "HTTP 200 on GET")
    try:
        assert (
            cache.lookup("http://www.gov.cn/warm-up.html") is None
        )  # hashes loaded while the table is empty
        cache.publish(
            "http://www.gov.cn/gone.html", Verdict(LinkState.BROKEN, "http_error", "HTTP 404 on GET"), 404
        )
        for n in range(4):
            cache.publish(f"http://www.gov.cn/{n}.html", ok, 200)
        assert len(cache.memory) == 3
        assert list(cache.memory) == [f"http://www.gov.cn/{n}.html" for n in (1, 2, 3)]
        cache.flush()
        found = cache.lookup("http://www.gov.cn/0.html")  # dropped from memory, kept in the table
        assert found is not None and found.verdict.state is LinkState.OK
        assert cache.lookup("http://www.gov.cn/gone.html") is None, (
            "a dropped broken outcome is checked again"
        )
    finally:
        cache.engine.dispose()


def test_above_the_preload_limit_every_target_is_looked_up(db_url: str, monkeypatch: Any) -> None:
    hours = timedelta(hours=72)
    writer = linkcache.LinkCache(db_url, hours, hours)
    for n in range(3):
        writer.publish(f"http://www.gov.cn/{n}.html", Verdict(LinkState.OK, None, "HTTP 200 on GET"), 200)
    writer.flush()
    monkeypatch.setattr(linkcache, "PRELOAD_LIMIT", 2)
    reader = linkcache.LinkCache(db_url, hours, hours)
    statements: list[str] = []
    event.listen(reader.engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    try:
        assert reader.lookup("http://www.gov.cn/unknown0.html") is None
        after_first = len(statements)
        assert reader.lookup("http://www.gov.cn/unknown1.html") is None
        assert len(statements) == after_first + 1, "too many rows to hold their hashes: one query per target"
        found = reader.lookup("http://www.gov.cn/2.html")
        assert found is not None and found.verdict.state is LinkState.OK
    finally:
        writer.engine.dispose()
        reader.engine.dispose()
