"""A site with real-world quirks (issue #15) crawled end-to-end: tests/farm/wild/, as of 2018-01-05.

- the homepage declares another SiteIDCode (4510990299) than the registry's: stats, run row, commands say so;
- /gbk/ is GBK bytes (declared in <meta http-equiv>) under a ``charset=utf-8`` header: read as GBK;
- 工作动态 is a jcms datastore of 3 records of 6: the older group, only on dataproxy page 2, holds a 404 link;
- 政务要闻 is a TRS list paged by createPageHTML(4, …): a 404 link sits only on index_3.html;
- 政策解读 is a JPaaS-like unit a script loads as JSON (/api/info/list?pageNo=N): a 404 link only on page 2.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
import pytest_twisted
from scrapy.utils.test import get_crawler
from sqlalchemy import select

from crawler.demo.server import SiteServer
from crawler.spiders.portal import PortalSpider
from models.column import Column
from models.link import LinkCheck
from models.run import CrawlRun
from models.session import make_sessionmaker, open_database
from tests.conftest import register_site, test_settings
from tests.crawler.test_column_farm import FarmHandler
from tests.crawler.test_commands import scrapy

WILD = Path(__file__).resolve().parent.parent / "farm" / "wild"
CODE = "4510990201"


class WildHandler(FarmHandler):
    """The farm's jcms dataproxy answering per record window, and a wrong charset header for /gbk/."""

    def dataproxy(self, form: dict[str, str]) -> None:
        params = {**dict(parse_qsl(urlsplit(self.path).query)), **form}
        name = f"dataproxy-{params.get('columnid')}-{params.get('startrecord')}.xml"
        answer = Path(self.directory) / "module/web/jpage" / name
        if answer.is_file():
            self.send_body(200, answer.read_bytes(), "text/xml; charset=UTF-8")
        else:
            self.send_body(404, self.page("no such record window"))

    def route(self, method: str) -> None:
        parts = urlsplit(self.path)
        if parts.path == "/api/info/list":  # the JSON list API: one file per unit and page
            query = dict(parse_qsl(parts.query))
            answer = Path(self.directory) / "api" / f"list-{query.get('unitId')}-{query.get('pageNo')}.json"
            if answer.is_file():
                self.send_body(200, answer.read_bytes(), "application/json;charset=UTF-8")
            else:
                self.send_body(404, self.page("no such list page"))
        else:
            super().route(method)

    def guess_type(self, path: str | Any) -> str:
        if "/gbk/" in str(path):
            return "text/html; charset=utf-8"  # the server's default, whatever the pages are
        return str(super().guess_type(path))


@pytest.fixture(scope="module")
def wild(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    root = tmp_path_factory.mktemp("wild")
    shutil.copytree(WILD, root, dirs_exist_ok=True)
    for page in (root / "gbk").rglob("*.html"):  # kept as UTF-8 text for review, served as GBK bytes
        page.write_bytes(page.read_text(encoding="utf-8").encode("gbk"))
    db_url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'wild.sqlite3'}"
    open_database(db_url).dispose()
    server = SiteServer(root)
    server.RequestHandlerClass = partial(WildHandler, directory=str(root))  # type: ignore[assignment]
    server.posts = []  # type: ignore[attr-defined]
    with server:
        register_site(db_url, CODE, server.url("/index.html"))
        crawler = get_crawler(PortalSpider, test_settings(db_url, GOVHEALTH_AS_OF="2018-01-05"))
        pytest_twisted.blockon(crawler.crawl(code=CODE))
        engine = open_database(db_url)
        try:
            with make_sessionmaker(engine)() as session:
                yield {
                    "db_url": db_url,
                    "server": server,
                    "stats": crawler.stats.get_stats(),  # type: ignore[union-attr]
                    "run": session.scalars(select(CrawlRun)).one(),
                    "checks": {c.url: c for c in session.scalars(select(LinkCheck))},
                    "columns": {c.name: c for c in session.scalars(select(Column))},
                }
        finally:
            engine.dispose()


def test_declared_site_code_is_kept_and_its_mismatch_said(wild: dict[str, Any]) -> None:
    assert wild["run"].declared_code == "4510990299"
    assert wild["stats"]["govhealth/site/declared_code"] == "4510990299"
    assert wild["stats"]["govhealth/site/code_mismatch"] == 1
    listed = scrapy("columns", "list", "--code", CODE, db_url=wild["db_url"])
    assert listed.returncode == 0, listed.stderr
    assert "declares site code 4510990299 (SiteIDCode)" in listed.stdout
    sites = scrapy("sites", "list", "--format", "json", db_url=wild["db_url"])
    assert '"declared_code": "4510990299"' in sites.stdout


def test_gbk_body_under_a_utf8_header_is_read_as_its_meta_says(wild: dict[str, Any]) -> None:
    assert wild["stats"]["govhealth/encoding/meta_over_header"] >= 1
    column = wild["columns"]["通知公告"]  # the ColumnName meta, read in GBK
    assert (column.item_count, column.latest_date.isoformat()) == (3, "2018-01-03")
    assert wild["server"].url("/gbk/t20180103_3.html") in wild["checks"]


def test_every_list_page_is_read(wild: dict[str, Any]) -> None:
    """Broken links that sit only on an older dataproxy group or on the last TRS page are found."""
    checks = wild["checks"]
    old = checks[wild["server"].url("/col/col201/old_missing.html")]
    assert (old.state, old.status) == ("broken", 404)
    assert wild["columns"]["工作动态"].item_count == 6
    deleted = checks[wild["server"].url("/trs/201712/t20171201_999.html")]
    assert (deleted.state, deleted.status) == ("broken", 404)


def test_a_json_list_is_read_page_by_page(wild: dict[str, Any]) -> None:
    """Every page of a list a script loads as JSON is read: its rows are items, a 404 only on page 2 is found."""
    column = wild["columns"]["政策解读"]
    assert (column.status, column.page_kind, column.item_count) == ("ok", "list", 5)
    assert column.latest_date.isoformat() == "2018-01-04"
    gone = wild["checks"][wild["server"].url("/jpaas/zcjd/art/gone.html")]
    assert (gone.state, gone.status) == ("broken", 404)
    assert wild["checks"][wild["server"].url("/jpaas/zcjd/art/art_5.html")].state == "ok"  # page 3
    asked = {c.url for c in wild["checks"].values()}
    assert not any("/api/info/list" in url for url in asked)  # list data is read, not judged as a link
