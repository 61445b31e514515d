"""`scrapy export` and `scrapy score` on a crawled site: every field, read back from each format."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import pytest_twisted
from scrapy.utils.test import get_crawler

from crawler.demo.server import SiteServer
from crawler.spiders.portal import PortalSpider
from models.queries import EXPORT_FIELDS
from pipelines.export import neutralise
from tests.conftest import register_site, test_settings
from tests.crawler.test_commands import scrapy

CODE = "4510990002"
PAGE = """<html><head><meta charset="utf-8"><title>首页</title></head><body>
<a href="/gone.html">=HYPERLINK("http://evil.example","点我")</a>
<a href="/ok.html">正常页面</a><img src="/lost.png" alt="+丢失的图片">
</body></html>"""


@pytest.fixture(scope="module")
def crawled(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("export-site")
    (root / "index.html").write_text(PAGE, encoding="utf-8")
    (root / "ok.html").write_text("<p>正常</p>", encoding="utf-8")
    db_url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'export.sqlite3'}"
    with SiteServer(root) as site:
        register_site(db_url, CODE, site.url("/index.html"), name="导出测试县人民政府")
        crawler = get_crawler(PortalSpider, test_settings(db_url))
        pytest_twisted.blockon(crawler.crawl(code=CODE))
        return {"db_url": db_url, "site": site.base}


def test_jsonl_has_every_field(crawled: dict[str, Any], tmp_path: Path) -> None:
    out = tmp_path / "findings.jsonl"
    done = scrapy("export", "--format", "jsonl", "-o", str(out), db_url=crawled["db_url"])
    assert done.returncode == 0, done.stderr
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    kinds = {(r["kind"], r["url"].removeprefix(crawled["site"])) for r in records}
    # the homepage shows no date at all: it cannot be judged stale, so it is unverified, not homepage_stale
    assert kinds == {
        ("broken_link", "/gone.html"),
        ("broken_link", "/lost.png"),
        ("unverified_column", "/index.html"),
    }
    for record in records:
        assert set(EXPORT_FIELDS) <= set(record)
        assert record["site_code"] == CODE
        assert record["first_seen"].endswith("Z")
    gone = next(r for r in records if r["url"].endswith("/gone.html"))
    assert gone["link_text"] == '=HYPERLINK("http://evil.example","点我")'  # JSONL keeps the text as it is
    assert gone["sources"] == [crawled["site"] + "/index.html"]
    scores = [
        json.loads(line)
        for line in (tmp_path / "findings.scores.jsonl").read_text(encoding="utf-8").splitlines()
    ]
    assert scores[0]["site_code"] == CODE


def test_csv_has_bom_and_neutralised_formulas(crawled: dict[str, Any], tmp_path: Path) -> None:
    out = tmp_path / "findings.csv"
    assert scrapy("export", "-o", str(out), db_url=crawled["db_url"]).returncode == 0
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(raw.decode("utf-8-sig").splitlines()))
    assert list(rows[0]) == list(EXPORT_FIELDS)
    texts = {r["link_text"] for r in rows if r["kind"] == "broken_link"}
    assert texts == {'\'=HYPERLINK("http://evil.example","点我")', "'+丢失的图片"}


def test_xlsx_round_trip(crawled: dict[str, Any], tmp_path: Path) -> None:
    out = tmp_path / "findings.xlsx"
    done = scrapy("export", "--format", "xlsx", "-o", str(out), "--code", CODE, db_url=crawled["db_url"])
    assert done.returncode == 0, done.stderr
    book = openpyxl.load_workbook(out)
    assert book.sheetnames == ["findings", "scores", "columns"]
    sheet = book["findings"]
    header = [c.value for c in sheet[1]]
    assert header == list(EXPORT_FIELDS)
    rows = [dict(zip(header, (c.value for c in row), strict=True)) for row in sheet.iter_rows(min_row=2)]
    assert {r["link_text"] for r in rows if r["kind"] == "broken_link"} == {
        '\'=HYPERLINK("http://evil.example","点我")',
        "'+丢失的图片",
    }
    assert all(c.data_type != "f" for row in sheet.iter_rows() for c in row)  # no cell is a formula
    assert sheet.freeze_panes == "A2"
    scores = book["scores"]
    score_header = [c.value for c in scores[1]]
    assert {"site_code", "total_deduction", "vetoes", "verdict"} <= set(score_header)
    assert scores.cell(row=2, column=1).value == CODE


def test_score_json_contract(crawled: dict[str, Any]) -> None:
    done = scrapy("score", "--code", CODE, "--format", "json", db_url=crawled["db_url"])
    assert done.returncode == 0, done.stderr
    (card,) = json.loads(done.stdout)
    assert {"site_code", "site_name", "run_id", "total_deduction", "vetoes", "verdict", "rules"} <= set(card)
    lines = {r["id"]: r for r in card["rules"]}
    assert lines["other_broken_links"]["measured"]
    assert lines["homepage_broken_links"]["count"] == 2
    assert len(lines["homepage_broken_links"]["findings"]) == 2


def test_export_unknown_code_is_one_clear_error(crawled: dict[str, Any], tmp_path: Path) -> None:
    done = scrapy("export", "-o", str(tmp_path / "x.jsonl"), "--code", "4599999999", db_url=crawled["db_url"])
    assert done.returncode == 1
    assert done.stderr.strip() == "error: unknown site code '4599999999'"
    assert not (tmp_path / "x.jsonl").exists()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+86", "'+86"),
        ("-x", "'-x"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("通知公告", "通知公告"),
        (12, 12),
        (None, None),
    ],
)
def test_neutralise(text: Any, expected: Any) -> None:
    assert neutralise(text) == expected
