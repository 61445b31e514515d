"""A rate limit delays a page of the site, never drops it: its links and its list are still read (issue #15)."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest_twisted
from scrapy.utils.test import get_crawler
from sqlalchemy import select
from twisted.internet import defer

from crawler.demo.server import SiteHandler, SiteServer
from crawler.spiders.portal import PortalSpider
from models.column import Column
from models.finding import Finding
from models.session import make_sessionmaker, open_database
from tests.conftest import register_site, test_settings

CODE = "4510990301"
ROW = '<li><a href="/tzgg/{n}.html">通知{n}</a><span>2018-01-0{n}</span></li>'


class LimitedHandler(SiteHandler):
    """Answers 429 (no Retry-After: the spider backs off) to the first ``limits[path]`` requests of a path."""

    limits: dict[str, int] = {}  # noqa: RUF012 - set per test on a subclass

    def route(self, method: str) -> None:
        path = unquote(urlsplit(self.path).path)
        if path in self.limits and self.counted(path) <= self.limits[path]:
            self.server.hits[(method, path)] += 1
            self.send_body(429, self.page("Too Many Requests"))
        else:
            super().route(method)


def write_site(root: Path) -> None:
    (root / "tzgg").mkdir()
    (root / "index.html").write_text(
        "<html><head><meta charset='utf-8'><title>限流县</title></head><body>"
        "<div class='nav'><a href='/index.html'>首页</a><a href='/tzgg/index.html'>通知公告</a></div>"
        "<p><a href='/home-gone.html'>首页上的失效链接</a></p></body></html>",
        encoding="utf-8",
    )
    rows = "".join(ROW.format(n=n) for n in (1, 2, 3))
    (root / "tzgg" / "index.html").write_text(
        "<html><head><meta charset='utf-8'><title>通知公告</title></head><body><div class='list'><ul>"
        f'{rows}</ul></div><script>createPageHTML(2, 0, "index", "html");</script></body></html>',
        encoding="utf-8",
    )
    (root / "tzgg" / "index_1.html").write_text(
        "<html><head><meta charset='utf-8'><title>通知公告</title></head><body><div class='list'><ul>"
        "<li><a href='/tzgg/gone.html'>已删除的通知</a><span>2017-12-01</span></li>"
        f"{ROW.format(n=4)}</ul></div></body></html>",
        encoding="utf-8",
    )
    for n in (1, 2, 3, 4):
        (root / "tzgg" / f"{n}.html").write_text(f"<p>发布时间：2018-01-0{n}</p>", encoding="utf-8")


def serve(tmp_path: Path, limits: dict[str, int]) -> SiteServer:
    root = tmp_path / "site"
    root.mkdir()
    write_site(root)
    handler = type("Handler", (LimitedHandler,), {"limits": limits})
    server = SiteServer(root)
    server.RequestHandlerClass = partial(handler, directory=str(root))  # type: ignore[assignment]
    return server


def stored(db_url: str) -> dict[str, Any]:
    engine = open_database(db_url)
    try:
        with make_sessionmaker(engine)() as session:
            found = {(f.kind, urlsplit(f.url).path): f.error for f in session.scalars(select(Finding))}
            columns = {c.name: (c.status, c.item_count) for c in session.scalars(select(Column))}
    finally:
        engine.dispose()
    return {"findings": found, "columns": columns}


@defer.inlineCallbacks
def crawl_limited(tmp_path: Path, db_url: str, limits: dict[str, int]) -> Any:
    """Crawl the site with these paths rate-limited; the crawler, for its stats."""
    with serve(tmp_path, limits) as server:
        register_site(db_url, CODE, server.url("/index.html"))
        crawler = get_crawler(PortalSpider, test_settings(db_url, GOVHEALTH_AS_OF="2018-01-05"))
        yield crawler.crawl(code=CODE)
    return crawler


BROKEN = {("broken_link", "/tzgg/gone.html"): "http_error", ("broken_link", "/home-gone.html"): "http_error"}


@pytest_twisted.inlineCallbacks
def test_a_rate_limited_list_page_is_waited_for_and_read(tmp_path: Path, db_url: str) -> Any:
    """Five 429s on TRS page index_1.html (more than a link check would wait for): the page is still read."""
    crawler = yield crawl_limited(tmp_path, db_url, {"/tzgg/index_1.html": 5})
    stats = crawler.stats.get_stats()
    assert stored(db_url)["findings"] == BROKEN
    assert stats["govhealth/rate_limit/retried"] >= 5
    assert "govhealth/rate_limit/gave_up" not in stats


@pytest_twisted.inlineCallbacks
def test_a_homepage_still_limited_after_its_tries_is_read_by_its_recheck(tmp_path: Path, db_url: str) -> Any:
    """Eight 429s: the homepage gives up once (7 tries); its re-check fetches it as a page, which reads it."""
    crawler = yield crawl_limited(tmp_path, db_url, {"/index.html": 8})
    assert crawler.stats.get_value("govhealth/rate_limit/gave_up") == 1
    result = stored(db_url)
    assert result["findings"] == BROKEN  # no site_unreachable, and the homepage's own link is found
    assert result["columns"]["通知公告"] == ("ok", 3)
