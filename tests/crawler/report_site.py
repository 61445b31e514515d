"""A small province crawled twice for the report's tests: a county site with a hostile link text, a city site
that cannot be reached, a department site never crawled; evidence columns set by hand on one finding, cleared on another."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest_twisted
from scrapy.utils.test import get_crawler
from sqlalchemy import select, update

from crawler.demo.server import SiteServer
from crawler.spiders.portal import PortalSpider
from models.finding import Finding
from models.repo import upsert_sites
from models.session import make_sessionmaker, open_database
from pipelines.rules.registry import SiteRow
from tests.conftest import test_settings

COUNTY = "4510990401"
CITY = "4510990402"
DEPARTMENT = "4500000403"
AS_OF = "2018-01-05"
HOSTILE = "<script>window.__pwned=1</script>坏链"
HOME = """<html><head><meta charset="utf-8"><title>首页</title></head><body>
<a href="/a.html">甲</a> <a href="/b.html">&lt;script&gt;window.__pwned=1&lt;/script&gt;坏链</a>
<a href="/sub.html">下级页面</a> <a href="/gate/ruishu">网上办事</a> <img src="/lost.png" alt="丢失的图片">
<div class="block"><div class="block-hd"><h3>通知公告</h3><a class="more" href="/tzgg/index.html">更多>></a></div>
<ul><li><a href="/tzgg/t1.html">关于做好冬季安全工作的通知</a><span>2018-01-04</span></li></ul></div>
</body></html>"""
NOTICES = """<html><head><meta charset="utf-8"><title>通知公告</title></head><body>
<div class="crumb">当前位置：首页 &gt; 通知公告</div><ul class="list">
<li><a href="/tzgg/t1.html">关于做好冬季安全工作的通知</a><span>2018-01-04</span></li>
<li><a href="/tzgg/t2.html">关于开展消防检查的通知</a><span>2017-12-20</span></li>
<li><a href="/tzgg/t3.html">关于元旦放假安排的通知</a><span>2017-12-01</span></li></ul></body></html>"""
EVIDENCE = {
    "evidence_file": f"{COUNTY}/2.warc.gz",
    "evidence_record": "<urn:uuid:0f3c1d2e-1111-2222-3333-444455556666>",
    "evidence_digest": "sha256:" + "ab" * 32,
}


def register(db_url: str, code: str, url: str, name: str, level: str) -> None:
    engine = open_database(db_url)
    try:
        with make_sessionmaker(engine).begin() as session:
            upsert_sites(session, [SiteRow(code, name, url, level, None, (), True, 2)])  # type: ignore[arg-type]
    finally:
        engine.dispose()


def write_pages(root: Path) -> None:
    (root / "index.html").write_text(HOME, encoding="utf-8")
    (root / "sub.html").write_text('<a href="/b.html">乙</a>', encoding="utf-8")
    (root / "tzgg").mkdir(exist_ok=True)
    (root / "tzgg" / "index.html").write_text(NOTICES, encoding="utf-8")
    for name in ("t1", "t2", "t3"):
        (root / "tzgg" / f"{name}.html").write_text("<p>正文</p>", encoding="utf-8")


def crawl_province(root: Path, db_url: str, site: SiteServer | None = None) -> dict[str, Any]:
    """Run 1: a.html and b.html broken; run 2: a.html fixed, c.html newly broken; the city site unreachable.

    ``site`` serves ``root`` (a server of its own, closed after the crawls, when None).
    """
    if site is None:
        with SiteServer(root) as own:
            return crawl_province(root, db_url, own)
    write_pages(root)
    settings = test_settings(db_url, GOVHEALTH_AS_OF=AS_OF)
    register(db_url, COUNTY, site.url("/index.html"), "报告测试县人民政府", "county")
    register(db_url, CITY, "http://127.0.0.1:9/index.html", "无法访问市人民政府", "city")
    register(db_url, DEPARTMENT, "http://127.0.0.1:9/bm.html", "从未检查的厅", "department")
    pytest_twisted.blockon(get_crawler(PortalSpider, settings).crawl(code=COUNTY))
    (root / "a.html").write_text("<p>修好了</p>", encoding="utf-8")
    (root / "sub.html").write_text('<a href="/b.html">乙</a><a href="/c.html">丙</a>', encoding="utf-8")
    pytest_twisted.blockon(get_crawler(PortalSpider, settings).crawl(code=COUNTY))
    pytest_twisted.blockon(get_crawler(PortalSpider, settings).crawl(code=CITY))
    base = site.base
    engine = open_database(db_url)
    try:
        with make_sessionmaker(engine).begin() as session:
            gone = session.scalar(
                select(Finding.id).where(Finding.url == f"{base}/b.html", Finding.run_id == 2)
            )
            session.execute(update(Finding).where(Finding.id == gone).values(**EVIDENCE))
            # c.html as a run with GOVHEALTH_EVIDENCE off stores it: no archived proof to link
            session.execute(
                update(Finding)
                .where(Finding.url == f"{base}/c.html", Finding.run_id == 2)
                .values(evidence_file=None, evidence_record=None, evidence_digest=None)
            )
            # a javascript: page address (not something the crawler stores: it must still never be a link)
            lost = session.scalar(
                select(Finding.id).where(Finding.url == f"{base}/lost.png", Finding.run_id == 2)
            )
            session.execute(
                update(Finding)
                .where(Finding.id == lost)
                .values(sources=["javascript:alert(1)", f"{base}/index.html"], source_count=2)
            )
    finally:
        engine.dispose()
    return {"db_url": db_url, "base": base}
