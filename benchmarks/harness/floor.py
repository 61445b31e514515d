"""bench_crawl.py's plain-Scrapy floor run: ``scrapy runspider floor_spider.py`` on the main site, measured.

Run outside the project (no govhealth settings, middlewares or extensions), with bench_crawl's concurrency.
"""

from __future__ import annotations

import os
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .measure import run_measured, tail

if TYPE_CHECKING:
    from .servers import Site

SPIDER = Path(__file__).with_name("floor_spider.py")
FLOOR_SETTINGS = {
    "CONCURRENT_REQUESTS": "64",
    "CONCURRENT_REQUESTS_PER_DOMAIN": "32",
    "DOWNLOAD_DELAY": "0",
    "ROBOTSTXT_OBEY": "False",
    "COOKIES_ENABLED": "False",
    "LOG_LEVEL": "WARNING",
    "TELNETCONSOLE_ENABLED": "False",
    "DOWNLOAD_MAXSIZE": str(4 * 1024 * 1024),
    "TWISTED_REACTOR": "twisted.internet.asyncioreactor.AsyncioSelectorReactor",
}


def run_floor(site: Site, python: str, timeout: float) -> dict[str, Any]:
    """The floor spider on ``site``: wall, CPU and peak RSS, requests from nginx's count."""
    command = [python, "-m", "scrapy", "runspider", str(SPIDER), "-a", f"start={site.url}"]
    for name, value in FLOOR_SETTINGS.items():
        command += ["-s", f"{name}={value}"]
    env = {k: v for k, v in os.environ.items() if k != "SCRAPY_SETTINGS_MODULE"}
    m = run_measured(
        command,
        cwd=site.work,
        env=env,
        logs=site.work,
        name="scrapy-floor",
        server=site.server,
        timeout=timeout,
    )
    result: dict[str, Any] = {"tool": "plain-scrapy", "label": "plain Scrapy (floor)", **asdict(m)}
    result.update(
        pages=site.spec.pages,
        targets=site.spec.distinct_targets,
        link_occurrences=site.spec.link_occurrences,
        requests=m.server_requests,
    )
    if m.exit_code != 0:
        result["error"] = f"exit {m.exit_code}: {tail(m.stderr_path)}"
    return result
