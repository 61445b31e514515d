"""Findings keep their identity across crawls: first seen, last seen, runs seen, resolved; `scrapy diff`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest_twisted
from scrapy.utils.test import get_crawler
from sqlalchemy import select

from crawler.demo.server import SiteServer
from crawler.spiders.portal import PortalSpider
from models.finding import FindingHistory
from models.session import make_sessionmaker, open_database
from tests.conftest import register_site, test_settings
from tests.crawler.test_commands import scrapy

CODE = "4510990301"
HOME = """<html><head><meta charset="utf-8"><title>首页</title></head><body>
<a href="/a.html">甲</a> <a href="/b.html">乙</a> <a href="/sub.html">下级页面</a> <span>2018-01-04</span></body></html>"""


def history(db_url: str) -> dict[str, tuple[int, bool]]:
    engine = open_database(db_url)
    try:
        with make_sessionmaker(engine)() as session:
            return {
                h.url.rsplit("/", 1)[-1]: (h.runs_seen, h.resolved_at is not None)
                for h in session.scalars(select(FindingHistory).where(FindingHistory.kind == "broken_link"))
            }
    finally:
        engine.dispose()


@pytest_twisted.inlineCallbacks
def test_new_persisting_fixed_and_an_incomplete_run_resolves_nothing(db_url: str, tmp_path: Path) -> Any:
    (tmp_path / "index.html").write_text(HOME, encoding="utf-8")
    (tmp_path / "sub.html").write_text('<a href="/c.html">丙</a>', encoding="utf-8")
    settings = test_settings(db_url, GOVHEALTH_AS_OF="2018-01-05")
    with SiteServer(tmp_path) as site:
        register_site(db_url, CODE, site.url("/index.html"))
        yield get_crawler(PortalSpider, settings).crawl(code=CODE)  # run 1: a and b broken
        assert history(db_url) == {"a.html": (1, False), "b.html": (1, False), "c.html": (1, False)}

        (tmp_path / "a.html").write_text("<p>修好了</p>", encoding="utf-8")
        yield get_crawler(PortalSpider, settings).crawl(code=CODE)  # run 2: a fixed, b persists
        assert history(db_url) == {"a.html": (1, True), "b.html": (2, False), "c.html": (2, False)}

        # run 3 is cut short by its page budget: sub.html is not crawled, so c is not seen
        yield get_crawler(PortalSpider, settings).crawl(code=CODE, max_pages="1")
        assert history(db_url)["c.html"] == (2, False), "an incomplete run resolves nothing"
        assert history(db_url)["b.html"] == (3, False)

    diff = scrapy("diff", "--code", CODE, "--format", "json", db_url=db_url)
    assert diff.returncode == 0, diff.stderr
    result = json.loads(diff.stdout)
    assert (result["old_run"], result["new_run"]) == (1, 2), "the last two complete runs"
    assert [f["url"].rsplit("/", 1)[-1] for f in result["fixed"]] == ["a.html"]
    assert sorted(f["url"].rsplit("/", 1)[-1] for f in result["persisting"]) == ["b.html", "c.html"]
    assert result["new"] == []

    exported = tmp_path / "out.jsonl"
    assert scrapy("export", "-o", str(exported), "--run", "2", db_url=db_url).returncode == 0
    records = [json.loads(line) for line in exported.read_text(encoding="utf-8").splitlines()]
    (record,) = [r for r in records if r["kind"] == "broken_link" and r["url"].endswith("/b.html")]
    assert record["first_seen"] < record["last_seen"]


def test_diff_needs_two_complete_runs(db_url: str) -> None:
    register_site(db_url, CODE, "http://127.0.0.1:9/index.html")
    done = scrapy("diff", "--code", CODE, db_url=db_url)
    assert done.returncode == 1
    assert done.stderr.strip() == f"error: site {CODE} has 0 complete run(s); a diff needs two"
