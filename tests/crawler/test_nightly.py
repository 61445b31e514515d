"""`scrapy nightly`: many sites in one process, a failing site does not stop the others, kill and resume."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from crawler.demo.server import SiteServer
from models.finding import Finding
from models.nightly import NightlyRun
from models.run import CrawlRun
from models.session import make_sessionmaker, open_database
from models.site import Site
from tests.conftest import evidence_dir, register_site
from tests.crawler.test_commands import ROOT, scrapy

FAST = '<html><head><meta charset="utf-8"><title>首页</title></head><body><a href="/gone.html">失效</a></body></html>'


def runs_by_site(db_url: str) -> dict[str, list[tuple[str, str | None]]]:
    engine = open_database(db_url)
    try:
        with make_sessionmaker(engine)() as session:
            rows = session.execute(
                select(Site.code, CrawlRun.status, CrawlRun.close_reason)
                .join(CrawlRun, CrawlRun.site_id == Site.id)
                .order_by(CrawlRun.id)
            )
            result: dict[str, list[tuple[str, str | None]]] = {}
            for code, status, reason in rows:
                result.setdefault(code, []).append((status, reason))
            return result
    finally:
        engine.dispose()


@pytest.fixture
def farm(tmp_path: Path, site: SiteServer):
    fast = tmp_path / "fast"
    fast.mkdir()
    (fast / "index.html").write_text(FAST, encoding="utf-8")
    slow = tmp_path / "slow"
    slow.mkdir()
    links = "".join(f'<a href="{site.url(f"/slow/{s}")}">慢{s}</a>' for s in (3, 4))
    (slow / "index.html").write_text(f"<html><body>{links}</body></html>", encoding="utf-8")
    with SiteServer(fast) as fast_site, SiteServer(slow) as slow_site:
        yield fast_site, slow_site


def nightly_env(db_url: str) -> dict[str, str]:
    return {
        **os.environ,
        "GOVHEALTH_DATABASE_URL": db_url,
        "GOVHEALTH_EVIDENCE_DIR": str(evidence_dir(db_url)),
        "GOVHEALTH_LOG_LEVEL": "WARNING",
        "GOVHEALTH_ALLOW_PRIVATE_TARGETS": "1",
        "GOVHEALTH_RECHECK_DELAY": "0.2",
        "GOVHEALTH_BACKOFF_BASE": "0.1",
    }


def test_nightly_crawls_every_site_and_survives_a_dead_one(
    db_url: str, farm: tuple[SiteServer, SiteServer], tmp_path: Path
) -> None:
    fast, _ = farm
    report = tmp_path / "report"
    register_site(db_url, "4510990011", fast.url("/index.html"), name="快站")
    register_site(db_url, "4510990012", "http://127.0.0.1:9/index.html", name="无法访问的站")
    done = scrapy(
        "nightly",
        "-s",
        "DOWNLOAD_DELAY=0",
        "-s",
        "AUTOTHROTTLE_ENABLED=0",
        db_url=db_url,
        env_extra={**nightly_env(db_url), "GOVHEALTH_REPORT_DIR": str(report)},
    )
    assert done.returncode == 0, done.stderr
    assert "[2/2]" in done.stdout
    assert "homepage unreachable" in done.stdout
    runs = runs_by_site(db_url)
    assert runs == {"4510990011": [("complete", "finished")], "4510990012": [("complete", "finished")]}
    # GOVHEALTH_REPORT_DIR: the report is written at the end, every site on it, its pass on the province chart
    assert f"report of 2 sites: {report / 'index.html'}" in done.stdout
    index = (report / "index.html").read_text(encoding="utf-8")
    assert 'data-code="4510990011"' in index and 'data-code="4510990012"' in index
    assert "第1次" in index, "the nightly run labels the province chart"
    page = (report / "sites" / "4510990011.html").read_text(encoding="utf-8")
    assert f'data-url="{fast.url("/gone.html")}"' in page


def test_killed_nightly_resumes_without_redoing_or_duplicating(
    db_url: str, farm: tuple[SiteServer, SiteServer]
) -> None:
    fast, slow = farm
    register_site(db_url, "4510990021", fast.url("/index.html"), name="先完成的站")
    register_site(db_url, "4510990022", slow.url("/index.html"), name="被中断的站")
    env = nightly_env(db_url)
    args = [
        sys.executable,
        "-m",
        "scrapy.cmdline",
        "nightly",
        "--parallel",
        "1",
        "-s",
        "DOWNLOAD_DELAY=0",
        "-s",
        "AUTOTHROTTLE_ENABLED=0",
    ]
    proc = subprocess.Popen(args, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while runs_by_site(db_url).get("4510990022") is None:  # wait until the slow site's crawl has started
        assert proc.poll() is None, "the nightly run ended before it could be killed"
        assert time.monotonic() < deadline, "the slow site never started"
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert runs_by_site(db_url)["4510990022"] == [("running", None)]

    done = scrapy(
        "nightly",
        "--resume",
        "-s",
        "DOWNLOAD_DELAY=0",
        "-s",
        "AUTOTHROTTLE_ENABLED=0",
        db_url=db_url,
        env_extra=env,
    )
    assert done.returncode == 0, done.stderr
    assert "1 already done" in done.stdout
    runs = runs_by_site(db_url)
    assert runs["4510990021"] == [("complete", "finished")], "a finished site is not crawled again"
    assert runs["4510990022"] == [("failed", "killed"), ("complete", "finished")]
    engine = open_database(db_url)
    with make_sessionmaker(engine)() as session:
        (nightly,) = session.scalars(select(NightlyRun))
        assert nightly.status == "complete"
        per_url = session.execute(select(Finding.url, func.count()).group_by(Finding.url)).all()
        assert all(n == 1 for _, n in per_url), "no finding is stored twice"
    engine.dispose()


def test_resume_with_nothing_to_resume_is_an_error(db_url: str) -> None:
    done = scrapy("nightly", "--resume", db_url=db_url)
    assert done.returncode == 1
    assert done.stderr.strip() == "error: no unfinished nightly run to resume"


def test_a_bad_setting_is_one_error_before_any_site(db_url: str) -> None:
    """It used to fail every site at spider creation, and the nightly then never finished."""
    register_site(db_url, "4510990013", "http://127.0.0.1:9/index.html", name="设置错误")
    done = scrapy(
        "nightly", "-s", "GOVHEALTH_MAX_PAGES=0", db_url=db_url, env_extra=nightly_env(db_url), timeout=60
    )
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == ["error: GOVHEALTH_MAX_PAGES must be >= 1, got 0"]
    assert "nightly run" not in done.stdout
