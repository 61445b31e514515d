"""Two worker processes on real Redis and PostgreSQL: every site crawled once, no external target
checked twice, findings identical to a single-process run."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from crawler.demo.server import SiteServer
from models.finding import Finding
from models.nightly import NightlyRun
from models.run import CrawlRun
from models.session import make_sessionmaker, open_database
from models.site import Site
from tests.conftest import register_site
from tests.crawler.test_commands import ROOT, scrapy
from tests.crawler.test_nightly import nightly_env

SITES = 6
FAST = ("-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=0")


def findings(db_url: str) -> set[tuple[str, str, str, str | None]]:
    engine = open_database(db_url)
    try:
        with make_sessionmaker(engine)() as session:
            rows = session.execute(
                select(Site.code, Finding.kind, Finding.url, Finding.error).join(
                    Site, Site.id == Finding.site_id
                )
            )
            return {(code, kind, url, error) for code, kind, url, error in rows}
    finally:
        engine.dispose()


@pytest.fixture
def farm(tmp_path: Path, external_site: SiteServer, site: SiteServer):
    servers = []
    for n in range(SITES):
        root = tmp_path / f"site{n}"
        root.mkdir()
        links = (
            f'<a href="{external_site.url("/x.html")}">国务院</a><a href="{external_site.url("/gone.html")}">旧</a>'
            f'<a href="{external_site.url(f"/only{n}.html")}">各自的外链</a><a href="/own{n}.html">本站</a>'
            f'<a href="/missing{n}.html">失效</a><a href="{site.url("/slow/2")}">慢</a>'
        )
        (root / "index.html").write_text(
            f"<html><body>{links}<span>2018-01-04</span></body></html>", encoding="utf-8"
        )
        (root / f"own{n}.html").write_text("<p>本站页面</p>", encoding="utf-8")
        servers.append(SiteServer(root).__enter__())
    yield servers
    for server in servers:
        server.__exit__()


def register_all(db_url: str, servers: list[SiteServer]) -> None:
    for n, server in enumerate(servers):
        register_site(db_url, f"45109905{n:02d}", server.url("/index.html"), name=f"分布式站点{n}")


@pytest.mark.postgres
@pytest.mark.redis
def test_two_workers_match_a_single_process(
    db_url: str, pg_url: str, redis_url: str, farm: list[SiteServer], external_site: SiteServer
) -> None:
    env = {**nightly_env(db_url), "GOVHEALTH_AS_OF": "2018-01-05"}
    register_all(db_url, farm)
    external_site.reset()
    single = scrapy("nightly", "--workers", "1", "--parallel", "3", *FAST, db_url=db_url, env_extra=env)
    assert single.returncode == 0, single.stderr
    single_hits = dict(external_site.hits)
    expected = findings(db_url)
    assert len({code for code, *_ in expected}) == SITES

    register_all(pg_url, farm)
    env = {**nightly_env(pg_url), "GOVHEALTH_AS_OF": "2018-01-05", "GOVHEALTH_REDIS_URL": redis_url}
    seeded = scrapy("nightly", "--redis", "--seed", db_url=pg_url, env_extra=env)
    assert seeded.returncode == 0, seeded.stderr
    assert f"queued {SITES} sites" in seeded.stdout
    external_site.reset()
    env["GOVHEALTH_DATABASE_URL"] = pg_url
    env["GOVHEALTH_LOG_LEVEL"] = "WARNING"
    workers = [
        subprocess.Popen(
            [sys.executable, "-m", "scrapy.cmdline", "nightly", "--redis", "--parallel", "2", *FAST],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    outputs = [w.communicate(timeout=240) for w in workers]
    for worker, (_out, err) in zip(workers, outputs, strict=True):
        assert worker.returncode == 0, err
    crawled = [line for out, _ in outputs for line in out.splitlines() if line.startswith("[")]
    assert len(crawled) == SITES, "every site crawled once, by one worker or the other"
    assert all(out.count("] 451099") >= 1 for out, _ in outputs), "both workers took sites"

    assert dict(external_site.hits) == single_hits, "no external target checked more than in one process"
    assert findings(pg_url) == expected
    engine = open_database(pg_url)
    with make_sessionmaker(engine)() as session:
        per_site = session.execute(select(CrawlRun.site_id, func.count()).group_by(CrawlRun.site_id)).all()
        assert sorted(n for _, n in per_site) == [1] * SITES
        (nightly,) = session.scalars(select(NightlyRun))
        assert nightly.status == "complete"
    engine.dispose()
