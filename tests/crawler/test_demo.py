"""The README's first command: the demo portal's planted defects are found and no decoy is reported
(crawler/demo/site/EXPECTED.md lists both)."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlsplit

import openpyxl

from tests.crawler.test_commands import scrapy

EXPECTED = {
    ("broken_link", "/xwdt/gzdt/202610/t20261012_999.html", "http_error"),
    ("broken_link", "/images/banner-2019.jpg", "http_error"),
    ("broken_link", "/files/2026年预算公开.xls", "http_error"),
    ("broken_link", "/to-error", "soft_404"),
    ("broken_link", "/to-home/art/2026/1/1/art_1_1.html", "soft_404"),
    ("broken_link", "/attachment-error/申报表.doc", "attachment_error_page"),
    ("broken_link", "/retired-portal.html", "http_error"),
    ("unverified_link", "/gate/ruishu", "anti_bot_gate"),
    ("blank_column", "/zwgk/ghjh/index.html", None),
    ("blank_column", "/hdjl/zxft/index.html", None),
    ("stale_column", "/xwdt/xzdt/index.html", None),
    ("stale_column", "/zwgk/gsgg/index.html", None),
}


def test_demo_finds_the_planted_defects_and_no_decoy(db_url: str, tmp_path: Path) -> None:
    out = tmp_path / "demo.xlsx"
    report = tmp_path / "report"
    done = scrapy("demo", "-o", str(out), "--report", str(report), db_url=db_url, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "run 1: complete" in done.stdout
    assert f"== visual report (open it in a browser): {report / 'index.html'}" in done.stdout
    page = (report / "sites" / "4511990001.html").read_text(encoding="utf-8")
    assert page.count('class="finding"') == len(EXPECTED)
    assert "4511990001 示例县人民政府（演示）" in done.stdout  # the score card is printed
    sheet = openpyxl.load_workbook(out)["findings"]
    header = [c.value for c in sheet[1]]
    rows = [dict(zip(header, (c.value for c in row), strict=True)) for row in sheet.iter_rows(min_row=2)]
    found = {(r["kind"], unquote(urlsplit(r["url"]).path), r["error"]) for r in rows}
    assert found == EXPECTED
    assert all(r["evidence_file"] and r["evidence_record"] and r["evidence_digest"] for r in rows)
    assert f"== evidence: {len(rows)} of {len(rows)} findings proven by WARC records" in done.stdout
    assert "scrapy evidence --code 4511990001 --url http://127.0.0.1:" in done.stdout
    stale = {unquote(urlsplit(r["url"]).path): r["latest_date"] for r in rows if r["kind"] == "stale_column"}
    assert stale == {"/xwdt/xzdt/index.html": "2026-09-30", "/zwgk/gsgg/index.html": "2025-12-01"}
