"""Optional screenshots (`scrapy report --screenshots`): each broken link's source page, the link outlined.

Uses the machine's Chromium (Debian's `chromium`) through Playwright. The page's scripts are off and only the
site's own hosts are fetched (every other request is aborted), so a screenshot sends nothing anywhere new.
"""

from __future__ import annotations

import logging
import shutil
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from crawler.report.data import ReportData, SiteReport
from pipelines.rules.kinds import FindingKind

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Route

logger = logging.getLogger(__name__)

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome")
MAX_PER_SITE = 50  # screenshots per site: enough to show the pattern, bounded in time
PAGE_TIMEOUT_MS = 15_000
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Outline every element whose link or source is the broken target, and bring the first into view.
OUTLINE = """(target) => {
  const hits = [...document.querySelectorAll('a[href], area[href], img[src], iframe[src], frame[src], link[href], script[src]')]
    .filter((el) => (el.href || el.src) === target);
  for (const el of hits) { el.style.outline = '4px solid #e00'; el.style.outlineOffset = '2px'; }
  if (hits.length) { hits[0].scrollIntoView({block: 'center'}); }
  return hits.length;
}"""


def find_chromium() -> str | None:
    """The path of the machine's Chromium, None when there is none."""
    for name in CHROMIUM_NAMES:
        if path := shutil.which(name):
            return path
    return None


def take_screenshots(data: ReportData, folder: Path) -> tuple[list[tuple[Path, Path]], str | None]:
    """Screenshots of the broken links' source pages into ``folder``; sets each site's ``screenshots``.

    Returns:
        (staged file, path under the report folder) pairs, and a note for the pages when none could be taken.
    """
    chromium = find_chromium()
    if chromium is None:
        return [], "未生成截图：本机没有 Chromium（Debian: apt-get install chromium），报告其余内容完整。"
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return [], "未生成截图：未安装 Playwright（pip install 'govhealth[screenshots]'），报告其余内容完整。"
    taken: list[tuple[Path, Path]] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            for site in data.sites:
                taken += _site_screenshots(browser, site, folder)
        finally:
            browser.close()
    return taken, None


def _site_screenshots(browser: Browser, site: SiteReport, folder: Path) -> list[tuple[Path, Path]]:
    links = [f for f in site.findings if f["kind"] == FindingKind.BROKEN_LINK and f["source_url"]][
        :MAX_PER_SITE
    ]
    if not links:
        return []
    hosts = {urlsplit(site.url).hostname}

    def only_the_site(route: Route) -> None:
        url = urlsplit(route.request.url)
        if url.scheme in ("http", "https") and url.hostname in hosts:
            route.continue_()
        else:
            route.abort()

    context = browser.new_context(java_script_enabled=False, viewport={"width": 1280, "height": 800})
    context.route("**/*", only_the_site)
    out: list[tuple[Path, Path]] = []
    try:
        page = context.new_page()
        for finding in links:
            source = finding["source_url"]
            if urlsplit(source).hostname not in hosts:
                continue
            try:
                page.goto(source, timeout=PAGE_TIMEOUT_MS, wait_until="load")
                page.evaluate(OUTLINE, finding["url"])
                name = f"{finding['fingerprint']}.png"
                page.screenshot(path=str(folder / f"{site.code}-{name}"), timeout=PAGE_TIMEOUT_MS)
            except Exception as exc:  # noqa: BLE001 - a page that cannot be shown costs its screenshot only
                logger.warning("No screenshot of %s for %s: %s", source, site.code, exc)
                continue
            out.append((folder / f"{site.code}-{name}", Path("sites") / site.code / name))
            site.screenshots[finding["fingerprint"]] = f"{site.code}/{name}"
    finally:
        context.close()
    return out
