"""`scrapy report`: the page data of each section from a crawled province, the pages' escaping, the command."""

from __future__ import annotations

import re
import sys
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from markupsafe import Markup

from crawler.report.charts import Series, lines, stacked_bars
from crawler.report.data import ReportData, gather_report
from crawler.report.render import evidence_href, safe_href
from models.session import make_sessionmaker, open_database
from pipelines.rules.rulesfile import load_rules
from tests.crawler.report_site import AS_OF, CITY, COUNTY, DEPARTMENT, EVIDENCE, HOSTILE, crawl_province
from tests.crawler.test_commands import scrapy


@pytest.fixture(scope="module")
def province(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    db_url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'report.sqlite3'}"
    open_database(db_url).dispose()
    return crawl_province(tmp_path_factory.mktemp("report-site"), db_url)


@pytest.fixture(scope="module")
def data(province: dict[str, Any]) -> ReportData:
    engine = open_database(province["db_url"])
    try:
        with make_sessionmaker(engine)() as session:
            return gather_report(session, load_rules(None), date.fromisoformat(AS_OF), runs=10)
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def written(province: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("report") / "out"
    done = scrapy("report", "-o", str(out), db_url=province["db_url"], env_extra={"GOVHEALTH_AS_OF": AS_OF})
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"report of 3 sites (5 findings): {(out / 'index.html').resolve()}"
    return out


def paths(urls: list[str], base: str) -> set[str]:
    return {u.removeprefix(base) for u in urls}


# --- page data ---------------------------------------------------------------------------------------------


def test_overview_rows(data: ReportData) -> None:
    sites = {s.code: s for s in data.sites}
    assert list(sites) == sorted([COUNTY, CITY, DEPARTMENT]), "every registered site, by code"
    county, city, department = sites[COUNTY], sites[CITY], sites[DEPARTMENT]
    assert county.counts == {"broken_link": 3, "unverified_link": 1}
    assert county.run is not None and county.run.id == 2 and county.run.complete
    assert county.verdict == "pass" and county.card is not None and county.card["total_deduction"] > 0
    # unreachable: vetoed, and the bundled rules black-list any veto
    assert city.verdict == "blacklist" and city.card is not None
    assert city.card["vetoes"] == ["site_unreachable"] and city.counts == {"site_unreachable": 1}
    assert department.run is None and department.verdict == "none" and department.counts == {}


def test_diff_against_the_previous_complete_run(data: ReportData, province: dict[str, Any]) -> None:
    county = next(s for s in data.sites if s.code == COUNTY)
    assert county.previous_run == 1
    assert paths([c.url for c in county.new], province["base"]) == {"/c.html"}
    assert paths([c.url for c in county.fixed], province["base"]) == {"/a.html"}
    city = next(s for s in data.sites if s.code == CITY)
    assert city.previous_run is None and city.new == [] and city.fixed == []


def test_history_per_run_oldest_first(data: ReportData) -> None:
    county = next(s for s in data.sites if s.code == COUNTY)
    assert [p.run.id for p in county.history] == [1, 2]
    assert [p.findings for p in county.history] == [3, 3]  # a, b, lost.png; then b, c, lost.png
    assert all(p.deduction is not None for p in county.history)


def test_score_card_lines_cite_findings_on_the_page(data: ReportData) -> None:
    county = next(s for s in data.sites if s.code == COUNTY)
    assert county.card is not None
    lines_by_id = {line["id"]: line for line in county.card["rules"]}
    refs = {f["fingerprint"] for f in county.findings}
    homepage = lines_by_id["homepage_broken_links"]
    assert homepage["count"] == 2 and set(homepage["findings"]) <= refs


def test_findings_carry_evidence_and_unverified_apart(data: ReportData, province: dict[str, Any]) -> None:
    county = next(s for s in data.sites if s.code == COUNTY)
    by_path = {f["url"].removeprefix(province["base"]): f for f in county.findings}
    assert {k: by_path["/b.html"][k] for k in EVIDENCE} == EVIDENCE
    assert by_path["/b.html"]["link_text"] == HOSTILE
    assert by_path["/b.html"]["runs_seen"] == 2
    assert by_path["/c.html"]["evidence_file"] is None
    # the crawl's own archive proves the others (tests/evidence.py checks such records in depth)
    assert by_path["/lost.png"]["evidence_file"] == f"{COUNTY}/2.warc.gz"
    assert by_path["/lost.png"]["evidence_digest"].startswith("sha256:")
    assert [(f["kind"], f["error"]) for f in county.unverified] == [("unverified_link", "anti_bot_gate")]
    assert {f["kind"] for f in county.scored} == {"broken_link"}


def test_column_inventory(data: ReportData) -> None:
    county = next(s for s in data.sites if s.code == COUNTY)
    assert county.columns and {"name", "category", "item_count", "latest_date", "status", "how"} <= set(
        county.columns[0]
    )


def test_province_timeline(data: ReportData) -> None:
    # every run here was crawled on one day, outside a nightly run: one pass, each site with its latest run
    (point,) = data.timeline
    assert point.verdicts == {"pass": 1, "blacklist": 1}
    assert point.kinds == {"broken_link": 3, "unverified_link": 1, "site_unreachable": 1}
    assert sorted(data.deductions) == sorted(
        s.card["total_deduction"] for s in data.sites if s.run and s.card
    )


def test_unknown_code_and_bad_runs(province: dict[str, Any]) -> None:
    from models.errors import GovHealthError

    engine = open_database(province["db_url"])
    try:
        with make_sessionmaker(engine)() as session:
            with pytest.raises(GovHealthError, match="unknown site code '4599999999'"):
                gather_report(session, load_rules(None), date.fromisoformat(AS_OF), code="4599999999")
            with pytest.raises(GovHealthError, match="--runs must be >= 1"):
                gather_report(session, load_rules(None), date.fromisoformat(AS_OF), runs=0)
    finally:
        engine.dispose()


# --- pieces ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://a.gov.cn/x", "http://a.gov.cn/x"),
        ("HTTPS://a.gov.cn/", "HTTPS://a.gov.cn/"),
        ("javascript:alert(1)", None),
        (" JavaScript:alert(1)", None),
        ("data:text/html,<script>", None),
        ("vbscript:x", None),
        ("//evil.example/", None),
        ("http://[::1", None),
        ("", None),
        (None, None),
    ],
)
def test_safe_href(url: str | None, expected: str | None) -> None:
    assert safe_href(url) == expected


def test_evidence_href_stays_in_the_archive(tmp_path: Path) -> None:
    archive, pages = tmp_path / "evidence", tmp_path / "report" / "sites"
    assert evidence_href(archive, "4510990401/2.warc.gz", pages) == "../../evidence/4510990401/2.warc.gz"
    assert evidence_href(archive, "../../etc/passwd", pages) is None
    assert evidence_href(archive, None, pages) is None


def test_charts_escape_their_texts() -> None:
    svg = stacked_bars("<b>t</b>", ["<x>", "y"], [Series("<script>", "#000", [1, 2])])
    assert isinstance(svg, Markup)
    assert "<script>" not in svg and "&lt;script&gt;" in svg and "<rect" in svg
    assert "<polyline" in lines("t", ["a", "b"], [Series("s", "#000", [0, 3.5])])
    assert "<rect class" not in stacked_bars("empty", [], [])


# --- the written pages -------------------------------------------------------------------------------------


def test_pages_and_assets_are_written(written: Path) -> None:
    assert sorted(p.name for p in (written / "sites").iterdir()) == [
        f"{c}.html" for c in (DEPARTMENT, COUNTY, CITY)
    ]
    assert sorted(p.name for p in (written / "assets").iterdir()) == ["report.css", "report.js"]
    assert not [p for p in written.iterdir() if p.name.startswith(".report-")], "no staging folder left"


def test_every_finding_url_is_on_its_site_page(written: Path, data: ReportData) -> None:
    for site in data.sites:
        html = (written / "sites" / f"{site.code}.html").read_text(encoding="utf-8")
        for finding in site.findings:
            assert f'data-url="{finding["url"]}"' in html


def test_hostile_text_is_escaped_and_javascript_is_never_a_link(written: Path) -> None:
    html = (written / "sites" / f"{COUNTY}.html").read_text(encoding="utf-8")
    assert "<script>window.__pwned" not in html
    assert "&lt;script&gt;window.__pwned=1&lt;/script&gt;坏链" in html
    assert "javascript:alert(1)" in html, "shown as text"
    assert not re.search(r"""(href|src)\s*=\s*["']?\s*javascript:""", html, re.IGNORECASE)


def test_evidence_and_command_are_shown(written: Path, province: dict[str, Any]) -> None:
    html = (written / "sites" / f"{COUNTY}.html").read_text(encoding="utf-8")
    assert f'href="../../evidence/{COUNTY}/2.warc.gz"' in html or f"{COUNTY}/2.warc.gz" in html
    assert "&lt;urn:uuid:0f3c1d2e-1111-2222-3333-444455556666&gt;" in html
    assert EVIDENCE["evidence_digest"] in html
    assert f"scrapy evidence --code {COUNTY} --url {province['base']}/c.html --run 2" in html
    assert "本次检查未存档" in html  # c.html has no archived proof (yet)


def test_nothing_is_loaded_from_the_network(written: Path) -> None:
    remote = re.compile(
        r"""<(script|link|img|iframe)[^>]+(src|href)\s*=\s*["']?\s*(https?:)?//""", re.IGNORECASE
    )
    css_remote = re.compile(r"""(url\(|@import)\s*["']?\s*(https?:)?//""", re.IGNORECASE)
    for path in written.rglob("*"):
        if path.suffix in (".html", ".css", ".js"):
            text = path.read_text(encoding="utf-8")
            assert not remote.search(text), path
            assert not css_remote.search(text), path
            if path.suffix != ".html":
                assert "http://" not in text and "https://" not in text, path


def test_overview_lists_every_site_with_its_verdict(written: Path) -> None:
    html = (written / "index.html").read_text(encoding="utf-8")
    rows = re.findall(r'<tr data-level="(\w+)" data-verdict="(\w+)" data-code="(\w+)"', html)
    assert sorted(rows, key=lambda r: r[2]) == [
        ("department", "none", DEPARTMENT),
        ("county", "pass", COUNTY),
        ("city", "blacklist", CITY),
    ]
    assert html.count('<svg class="chart"') == 3


# --- the command -------------------------------------------------------------------------------------------


def test_one_site_only(province: dict[str, Any], tmp_path: Path) -> None:
    done = scrapy("report", "-o", str(tmp_path), "--code", CITY, "--runs", "1", db_url=province["db_url"])
    assert done.returncode == 0, done.stderr
    assert [p.name for p in (tmp_path / "sites").iterdir()] == [f"{CITY}.html"]


def test_bad_input_is_one_error_and_writes_nothing(province: dict[str, Any], tmp_path: Path) -> None:
    out = tmp_path / "out"
    done = scrapy("report", "-o", str(out), "--code", "4599999999", db_url=province["db_url"])
    assert done.returncode == 1
    assert done.stderr.strip() == "error: unknown site code '4599999999'"
    assert not out.exists() or not any(out.iterdir())
    assert scrapy("report", db_url=province["db_url"]).returncode == 2
    assert scrapy("report", "-o", str(out), "--runs", "0", db_url=province["db_url"]).returncode == 2


def test_screenshots_without_chromium_say_so(province: dict[str, Any], tmp_path: Path) -> None:
    done = scrapy(
        "report",
        "-o",
        str(tmp_path),
        "--screenshots",
        db_url=province["db_url"],
        env_extra={"PATH": str(Path(sys.executable).parent)},  # no chromium on this PATH
    )
    assert done.returncode == 0, done.stderr
    assert "未生成截图：本机没有 Chromium" in done.stdout
    html = (tmp_path / "sites" / f"{COUNTY}.html").read_text(encoding="utf-8")
    assert "未生成截图" in html and 'class="finding"' in html
