"""Limits that hold whatever a site serves: inflated bytes, links per page, targets per site, Crawl-delay,
robots.txt size, the time budget; each named in the run row and counted in the stats."""

from __future__ import annotations

import gzip
import zlib
from typing import Any

import brotli
import pytest
import pytest_twisted
from backports import zstd
from scrapy.utils.test import get_crawler
from sqlalchemy import select

from crawler.spiders.portal import PortalSpider
from models.link import LinkCheck
from models.run import CrawlRun
from models.session import make_sessionmaker, open_database
from tests.conftest import register_site, test_settings
from tests.hostile.routes import RouteServer

pytestmark = pytest.mark.hostile

CODE = "4510990052"
MIB = 1024 * 1024
ENCODERS = {
    "gzip": gzip.compress,
    "deflate": zlib.compress,
    "br": lambda data: brotli.compress(data, quality=1),
    "zstd": zstd.compress,
    "gzip, gzip": lambda data: gzip.compress(gzip.compress(data)),
}


def results(db_url: str) -> tuple[dict[str, LinkCheck], CrawlRun]:
    engine = open_database(db_url)
    try:
        with make_sessionmaker(engine)() as session:
            checks = {c.url: c for c in session.scalars(select(LinkCheck))}
            (run,) = session.scalars(select(CrawlRun))
            return checks, run
    finally:
        engine.dispose()


def crawl(db_url: str, routes: dict[str, Any], **settings: Any) -> Any:
    """Crawl a site made of ``routes`` (its homepage /index.html); the Deferred's result is (server, crawler)."""
    site = RouteServer("127.0.0.1", routes).__enter__()
    register_site(db_url, CODE, f"{site.base}/index.html")
    crawler = get_crawler(PortalSpider, test_settings(db_url, **settings))
    d = crawler.crawl(code=CODE)

    def done(result: Any) -> Any:
        site.__exit__()
        return result

    d.addBoth(done)
    d.addCallback(lambda _: (site, crawler))
    return d


@pytest_twisted.inlineCallbacks
@pytest.mark.parametrize("encoding", list(ENCODERS))
def test_a_decompression_bomb_is_cut_at_the_page_limit_and_its_first_links_checked(
    db_url: str, encoding: str
) -> Any:
    page = b'<html><body><a href="/missing-early.html">early</a>' + b'<a href="/x">x</a>' * (24 * MIB // 18)
    body = ENCODERS[encoding](page)
    assert len(body) < 300_000  # a small answer on the wire
    routes = {"/index.html": (200, {"Content-Encoding": encoding}, body)}
    site, crawler = yield crawl(db_url, routes, GOVHEALTH_MAX_PAGE_BYTES=MIB)
    checks, run = results(db_url)
    assert (checks[site.base + "/missing-early.html"].state, run.status) == ("broken", "incomplete")
    assert crawler.stats.get_value("govhealth/limits/inflated") == 1
    assert "max_page_bytes" in run.limits


@pytest_twisted.inlineCallbacks
def test_links_per_page_and_targets_per_site_are_bounded(db_url: str) -> Any:
    links = "".join(f'<a href="/p{n}.html">{n}</a>' for n in range(300))
    routes = {"/index.html": (200, {}, f"<html><body>{links}</body></html>")}
    _, crawler = yield crawl(db_url, routes, GOVHEALTH_MAX_LINKS_PER_PAGE=100, GOVHEALTH_MAX_PAGES=1)
    checks, run = results(db_url)
    assert len(checks) == 101  # the homepage and its first 100 links
    assert (run.status, run.budget_hit) == ("incomplete", "max_links_per_page")
    assert crawler.stats.get_value("govhealth/limits/max_links_per_page") == 1


@pytest_twisted.inlineCallbacks
def test_distinct_targets_per_site_are_bounded(db_url: str) -> Any:
    links = "".join(f'<a href="/p{n}.html">{n}</a>' for n in range(300))
    routes = {"/index.html": (200, {}, f"<html><body>{links}</body></html>")}
    yield crawl(db_url, routes, GOVHEALTH_MAX_TARGETS=50)
    checks, run = results(db_url)
    assert len(checks) == 50
    assert (run.status, run.budget_hit, run.limits) == ("incomplete", "max_targets", ["max_targets"])


@pytest_twisted.inlineCallbacks
def test_a_huge_crawl_delay_is_capped_and_a_huge_robots_txt_is_cut(db_url: str) -> Any:
    robots = "User-agent: *\nCrawl-delay: 100000\n" + "Disallow: /nothing-here/\n" * 500_000  # 12 MB
    routes = {
        "/robots.txt": (200, {"Content-Type": "text/plain"}, robots),
        "/index.html": (200, {}, '<html><body><a href="/missing.html">断链</a></body></html>'),
    }
    site, crawler = yield crawl(db_url, routes, GOVHEALTH_MAX_CRAWL_DELAY=0.2)
    checks, run = results(db_url)
    assert crawler.stats.get_value("govhealth/robots/crawl_delay") == 0.2
    assert checks[site.base + "/missing.html"].state == "broken"
    assert run.status == "complete" and run.limits == ["max_robots_bytes", "max_crawl_delay"]


@pytest_twisted.inlineCallbacks
def test_the_time_budget_holds_with_requests_waiting_behind_a_crawl_delay(db_url: str) -> Any:
    links = "".join(f'<a href="/p{n}.html">{n}</a>' for n in range(20))
    routes = {
        "/robots.txt": (200, {"Content-Type": "text/plain"}, "User-agent: *\nCrawl-delay: 100000\n"),
        "/index.html": (200, {}, f"<html><body>{links}</body></html>"),
    }
    # the Crawl-delay is honoured in full here: 19 of the 20 links would wait for days; the budget closes it
    _, crawler = yield crawl(db_url, routes, GOVHEALTH_MAX_CRAWL_DELAY=100000, GOVHEALTH_MAX_SECONDS=3)
    _, run = results(db_url)
    assert (run.status, run.budget_hit, run.close_reason) == (
        "incomplete",
        "max_seconds",
        "govhealth_max_seconds",
    )
    assert crawler.stats.get_value("govhealth/robots/crawl_delay") == 100000


@pytest_twisted.inlineCallbacks
def test_a_link_early_on_a_60_mb_page_is_checked(db_url: str) -> Any:
    page = b'<html><body><a href="/missing-early.html">early</a>' + b"<p>padding</p>" * (60 * MIB // 14)
    routes = {"/index.html": (200, {}, page)}  # with its Content-Length: 60 MB, over DOWNLOAD_MAXSIZE
    site, crawler = yield crawl(db_url, routes)
    checks, run = results(db_url)
    assert checks[site.base + "/missing-early.html"].state == "broken"
    assert run.limits == ["max_page_bytes"] and crawler.stats.get_value("govhealth/pages_truncated") == 1
