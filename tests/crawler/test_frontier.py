"""The portal spider's frontier: Scrapy's breadth-first order, a window of requests at a time."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import pytest_twisted
from scrapy.utils.test import get_crawler

from crawler.demo.server import SiteServer
from crawler.portal import frontier as frontier_module
from crawler.portal.frontier import Frontier
from crawler.spiders.portal import PortalSpider
from models.session import open_database
from tests.conftest import register_site, test_settings
from tests.crawler.test_portal import CODE, load


def test_breadth_first_order_and_the_window() -> None:
    frontier = Frontier(window=3)
    frontier.push("http://a/p2.html", 2, page=True)  # rank 2
    frontier.push("http://a/img.png", 1, page=False)  # a check of depth 1: rank 2, found after p2
    frontier.push("http://a/p1.html", 1, page=True)  # rank 1
    frontier.push("http://a/x.pdf", 0, page=False)  # a check of depth 0: rank 1, found after p1
    frontier.push("http://a/p3.html", 3, page=True)
    taken = list(frontier.take())
    assert taken == [
        ("http://a/p1.html", 1, True),
        ("http://a/x.pdf", 0, False),
        ("http://a/p2.html", 2, True),
    ]
    assert list(frontier.take()) == [], "the window is full until an answer comes"
    frontier.answered()
    assert list(frontier.take()) == [("http://a/img.png", 1, False)]
    frontier.idle()
    assert list(frontier.take()) == [("http://a/p3.html", 3, True)]
    assert not frontier and frontier.peak == 5


@pytest_twisted.inlineCallbacks
def test_a_crawl_through_a_window_of_two_checks_every_target_as_an_unbounded_one(
    db_url: str, site: SiteServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Any:
    narrow_db = f"sqlite:///{tmp_path / 'narrow.sqlite3'}"
    open_database(narrow_db).dispose()
    for url in (db_url, narrow_db):
        register_site(url, CODE, site.url("/index.html"))
    whole = get_crawler(PortalSpider, test_settings(db_url))
    yield whole.crawl(code=CODE)
    monkeypatch.setattr(frontier_module, "WINDOW", 2)
    narrow = get_crawler(PortalSpider, test_settings(narrow_db))
    yield narrow.crawl(code=CODE)
    spider = narrow.spider
    assert spider.frontier.window == 2 and spider.frontier.peak > 2
    assert spider.ledger.unchecked_count() == 0
    assert checks(narrow_db) == checks(db_url)


def checks(db_url: str) -> dict[str, tuple[str, str | None]]:
    return {url: (c.state, c.error) for url, c in load(db_url)["checks"].items()}
