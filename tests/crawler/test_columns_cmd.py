"""`scrapy columns import` and `scrapy columns list`: overrides change the next crawl's names and categories."""

from __future__ import annotations

import json
from pathlib import Path

import pytest_twisted
from scrapy.utils.test import get_crawler

from crawler.demo.server import SiteServer
from crawler.spiders.portal import PortalSpider
from tests.conftest import register_site, test_settings
from tests.crawler.test_commands import scrapy

CODE = "4510990201"
HOME = """<html><head><meta charset="utf-8"><title>测试</title></head><body>
<div class="nav"><ul><li><a href="/a/index.html">工作动态</a></li><li><a href="/b/index.html">通知</a></li></ul></div>
<ul><li><a href="/a/1.html">一条消息</a> 2018-01-03</li></ul></body></html>"""
LIST = """<html><head><meta charset="utf-8"><title>{name}</title></head><body>
<div class="list"><ul>{rows}</ul></div></body></html>"""


def make_site(root: Path) -> None:
    (root / "index.html").write_text(HOME, encoding="utf-8")
    for column, name, day in (("a", "工作动态", "2017-06-01"), ("b", "通知", "2017-12-20")):
        (root / column).mkdir()
        rows = "".join(
            f'<li><a href="/{column}/{n}.html">第{n}条{name}</a><span>{day}</span></li>' for n in range(1, 4)
        )
        (root / column / "index.html").write_text(LIST.format(name=name, rows=rows), encoding="utf-8")
        for n in range(1, 4):
            (root / column / f"{n}.html").write_text(f"<p>{name}{n}</p>", encoding="utf-8")


@pytest_twisted.inlineCallbacks
def test_override_changes_category_and_name(db_url: str, tmp_path: Path) -> object:
    root = tmp_path / "site"
    root.mkdir()
    make_site(root)
    with SiteServer(root) as site:
        register_site(db_url, CODE, site.url("/index.html"))
        settings = test_settings(db_url, GOVHEALTH_AS_OF="2018-01-05")
        yield get_crawler(PortalSpider, settings).crawl(code=CODE)
        listed = json.loads(
            scrapy("columns", "list", "--code", CODE, "--format", "json", db_url=db_url).stdout
        )
        before = {c["url"].removeprefix(site.base): (c["name"], c["category"], c["status"]) for c in listed}
        assert before["/a/index.html"] == ("工作动态", "news", "stale")
        overrides = tmp_path / "overrides.csv"
        overrides.write_text(
            f"code,url,name,category\n{CODE},{site.url('/a/index.html')},政府信息公开目录,other\n",
            encoding="utf-8",
        )
        done = scrapy("columns", "import", str(overrides), db_url=db_url)
        assert done.returncode == 0, done.stderr
        yield get_crawler(PortalSpider, settings).crawl(code=CODE)
        listed = json.loads(
            scrapy("columns", "list", "--code", CODE, "--format", "json", db_url=db_url).stdout
        )
        after = {c["url"].removeprefix(site.base): (c["name"], c["category"], c["status"]) for c in listed}
    assert after["/a/index.html"] == ("政府信息公开目录", "other", "ok")  # no period for other: not stale
    assert after["/b/index.html"] == before["/b/index.html"]


def test_import_rejects_bad_rows_and_writes_nothing(db_url: str, tmp_path: Path) -> None:
    register_site(db_url, CODE, "http://127.0.0.1:9/index.html")
    bad = tmp_path / "bad.csv"
    bad.write_text(
        f"code,url,name,category\n{CODE},http://x.example/a/,甲,news\n4599999999,http://x.example/b/,乙,weekly\n",
        encoding="utf-8",
    )
    done = scrapy("columns", "import", str(bad), db_url=db_url)
    assert done.returncode == 1
    assert "row 3: unknown site code '4599999999'" in done.stderr
    assert "row 3: category 'weekly'" in done.stderr
    good = tmp_path / "good.csv"
    good.write_text(f"code,url,name,category\n{CODE},http://x.example/a/,甲,news\n", encoding="utf-8")
    assert scrapy("columns", "import", str(good), db_url=db_url).returncode == 0


def test_list_without_a_crawl_is_one_clear_error(db_url: str) -> None:
    register_site(db_url, CODE, "http://127.0.0.1:9/index.html")
    done = scrapy("columns", "list", "--code", CODE, db_url=db_url)
    assert done.returncode == 1
    assert done.stderr.strip().startswith(f"error: site {CODE} has no finished crawl yet")


@pytest_twisted.inlineCallbacks
def test_a_column_named_only_by_breadcrumbs_is_found(db_url: str, tmp_path: Path) -> object:
    (tmp_path / "index.html").write_text(
        '<html><body><ul><li><a href="/art/1.html">一则通知</a> 2018-01-04</li></ul></body></html>',
        encoding="utf-8",
    )
    (tmp_path / "art").mkdir()
    (tmp_path / "art" / "1.html").write_text(
        '<html><body><div class="position">当前位置：<a href="/">首页</a> &gt; <a href="/tzgg/">通知公告</a> &gt; '
        '<a href="/art/1.html">正文</a></div><p>发布时间：2017-03-01</p></body></html>',
        encoding="utf-8",
    )
    (tmp_path / "tzgg").mkdir()
    rows = "".join(
        f'<li><a href="/art/1.html">第{n}条通知</a><span>2017-03-0{n}</span></li>' for n in range(1, 4)
    )
    (tmp_path / "tzgg" / "index.html").write_text(
        f'<html><body><ul class="list">{rows}</ul></body></html>', encoding="utf-8"
    )
    with SiteServer(tmp_path) as site:
        register_site(db_url, CODE, site.url("/index.html"))
        yield get_crawler(PortalSpider, test_settings(db_url, GOVHEALTH_AS_OF="2018-01-05")).crawl(code=CODE)
        listed = json.loads(
            scrapy("columns", "list", "--code", CODE, "--format", "json", db_url=db_url).stdout
        )
        found = {c["url"].removeprefix(site.base): (c["name"], c["how"], c["status"]) for c in listed}
    assert found == {"/tzgg/": ("通知公告", "breadcrumb", "stale")}, "the article (正文) is not a column"
