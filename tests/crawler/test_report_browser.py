"""The report in a real browser (Debian's chromium through Playwright), opened from disk: no console error,
every site listed, sorting and filtering, every finding on its page, charts drawn, hostile text inert, screenshots.

Playwright's sync API refuses to run where an asyncio loop is (pytest-twisted's reactor), so the browser lives
in a thread of its own and each test hands it a function.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import pytest
from playwright.sync_api import Browser, Page, sync_playwright
from sqlalchemy import select

from crawler.demo.server import SiteServer
from crawler.report.screenshots import CHROMIUM_ARGS
from models.finding import Finding
from models.run import CrawlRun
from models.session import make_sessionmaker, open_database
from models.site import Site
from tests.crawler.report_site import AS_OF, CITY, COUNTY, DEPARTMENT, HOSTILE, crawl_province
from tests.crawler.test_commands import scrapy

T = TypeVar("T")
ALL = {COUNTY, CITY, DEPARTMENT}


class BrowserThread:
    """One Chromium for the module, driven from one thread."""

    def __init__(self, chromium: str) -> None:
        self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="browser")
        self.pool.submit(self._start, chromium).result(timeout=60)

    def _start(self, chromium: str) -> None:
        self.playwright = sync_playwright().start()
        # Playwright gives every launch a new, empty --user-data-dir of its own
        self.browser = self.playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)

    def run(self, fn: Callable[[Browser], T]) -> T:
        return self.pool.submit(fn, self.browser).result(timeout=120)

    def close(self) -> None:
        def stop(_: Browser) -> None:
            self.browser.close()
            self.playwright.stop()

        self.run(stop)
        self.pool.shutdown()


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """The crawled province and its report; the county site stays served for the screenshots."""
    db_url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'browser.sqlite3'}"
    open_database(db_url).dispose()
    root = tmp_path_factory.mktemp("browser-site")
    with SiteServer(root) as site:
        province = crawl_province(root, db_url, site)
        out = tmp_path_factory.mktemp("browser-report")
        done = scrapy("report", "-o", str(out), db_url=db_url, env_extra={"GOVHEALTH_AS_OF": AS_OF})
        assert done.returncode == 0, done.stderr
        yield {**province, "out": out}


@pytest.fixture(scope="module")
def browser(chromium: str) -> Iterator[BrowserThread]:
    thread = BrowserThread(chromium)
    yield thread
    thread.close()


def open_page(browser: Browser, path: Path, errors: list[str]) -> Page:
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(path.as_uri())
    return page


def visible_codes(page: Page) -> list[str]:
    codes: list[str] = page.eval_on_selector_all(
        "#sites tbody tr", "rows => rows.filter(r => r.offsetParent !== null).map(r => r.dataset.code)"
    )
    return codes


def test_overview_lists_every_site_without_console_errors(
    browser: BrowserThread, report: dict[str, Any], tmp_path: Path
) -> None:
    def check(b: Browser) -> tuple[list[str], list[str], int]:
        errors: list[str] = []
        page = open_page(b, report["out"] / "index.html", errors)
        codes = visible_codes(page)
        bars = page.eval_on_selector_all(
            "svg.chart", "svgs => svgs.filter(s => s.querySelector('rect.bar')).length"
        )
        page.screenshot(path=str(tmp_path / "overview.png"), full_page=True)
        page.close()
        return errors, codes, bars

    errors, codes, bars = browser.run(check)
    assert errors == []
    assert set(codes) == ALL
    assert bars == 3, "the verdict, kind and deduction charts each draw bars"
    assert (tmp_path / "overview.png").stat().st_size > 10_000


def test_sorting_and_filtering(browser: BrowserThread, report: dict[str, Any]) -> None:
    def check(b: Browser) -> dict[str, Any]:
        errors: list[str] = []
        page = open_page(b, report["out"] / "index.html", errors)
        out: dict[str, Any] = {}
        page.click("#sites thead th:nth-child(1)")
        out["code_up"] = visible_codes(page)
        page.click("#sites thead th:nth-child(1)")
        out["code_down"] = visible_codes(page)
        page.click("#sites thead th:nth-child(4)")  # verdict: black list first
        out["verdict"] = visible_codes(page)
        page.select_option("#f-level", "city")
        out["city"] = visible_codes(page)
        out["count"] = page.text_content("#f-count")
        page.select_option("#f-level", "")
        page.select_option("#f-verdict", "none")
        out["none"] = visible_codes(page)
        page.select_option("#f-verdict", "")
        page.fill("#f-text", "报告测试")
        out["text"] = visible_codes(page)
        out["errors"] = errors
        page.close()
        return out

    out = browser.run(check)
    assert out["code_up"] == sorted(ALL)
    assert out["code_down"] == sorted(ALL, reverse=True)
    assert out["verdict"] == [CITY, COUNTY, DEPARTMENT]  # 黑名单风险, 合格, 未检查
    assert out["city"] == [CITY] and out["count"] == "1 / 3"
    assert out["none"] == [DEPARTMENT]
    assert out["text"] == [COUNTY]
    assert out["errors"] == []


def stored_urls(db_url: str, code: str) -> set[str]:
    engine = open_database(db_url)
    try:
        with make_sessionmaker(engine)() as session:
            latest = session.scalar(
                select(CrawlRun.id)
                .join(Site, Site.id == CrawlRun.site_id)
                .where(Site.code == code)
                .order_by(CrawlRun.id.desc())
            )
            return set(session.scalars(select(Finding.url).where(Finding.run_id == latest)))
    finally:
        engine.dispose()


def test_site_page_shows_every_finding_and_its_charts(
    browser: BrowserThread, report: dict[str, Any], tmp_path: Path
) -> None:
    def check(b: Browser) -> dict[str, Any]:
        errors: list[str] = []
        page = open_page(b, report["out"] / "sites" / f"{COUNTY}.html", errors)
        out = {
            "urls": set(page.eval_on_selector_all("tr.finding", "rows => rows.map(r => r.dataset.url)")),
            "charts": page.eval_on_selector_all(
                "svg.chart",
                "svgs => svgs.map(s => [s.getBoundingClientRect().width, s.querySelectorAll('rect.bar, polyline').length])",
            ),
            "pwned": page.evaluate("() => typeof window.__pwned"),
            "hostile_shown": page.get_by_text(HOSTILE).count(),
            "js_links": page.eval_on_selector_all(
                "a", "as => as.filter(a => /^javascript:/i.test(a.href)).length"
            ),
            "unverified": page.text_content("#unverified"),
            "errors": errors,
        }
        page.screenshot(path=str(tmp_path / "site.png"), full_page=True)
        page.close()
        return out

    out = browser.run(check)
    assert out["urls"] == stored_urls(report["db_url"], COUNTY)
    assert len(out["charts"]) == 2 and all(width > 100 and marks > 0 for width, marks in out["charts"])
    assert out["pwned"] == "undefined", "the hostile link text never ran"
    assert out["hostile_shown"] >= 1, "it is shown as text"
    assert out["js_links"] == 0
    assert "不计分" in out["unverified"] and "反爬虫验证" in out["unverified"]
    assert out["errors"] == []
    assert (tmp_path / "site.png").stat().st_size > 10_000


def test_screenshots_of_broken_links(report: dict[str, Any], chromium: str, tmp_path: Path) -> None:
    out = tmp_path / "shots"
    done = scrapy(
        "report", "-o", str(out), "--screenshots", "--code", COUNTY, db_url=report["db_url"], timeout=180
    )
    assert done.returncode == 0, done.stderr
    assert "screenshots" in done.stdout
    shots = sorted((out / "sites" / COUNTY).glob("*.png"))
    assert len(shots) == 3, "one per broken link (a.html fixed; b.html, c.html, lost.png)"
    html = (out / "sites" / f"{COUNTY}.html").read_text(encoding="utf-8")
    assert all(f'src="{COUNTY}/{shot.name}"' in html for shot in shots)
