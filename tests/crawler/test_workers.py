"""`scrapy nightly --workers N`: N processes share one nightly run (scrapy-redis queue on a private Redis)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from crawler.nightly.workers import effective_workers, passthrough_settings
from models.nightly import NightlyRun
from models.session import make_sessionmaker, open_database
from tests.conftest import register_site
from tests.crawler.conftest import PAGES, CountingServer
from tests.crawler.test_commands import ROOT, scrapy
from tests.crawler.test_nightly import nightly_env, runs_by_site

FAST = ("-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=0")


@pytest.mark.parametrize(
    ("asked", "sites", "parallel", "expected"),
    [
        (2, 183, 8, 2),
        (2, 4, 8, 1),
        (2, 5, 8, 2),
        (2, 3, 1, 1),
        (2, 3, 2, 2),
        (4, 3, 8, 2),
        (1, 500, 8, 1),
        (2, 0, 8, 1),
    ],
)
def test_a_second_worker_only_when_the_sites_outnumber_one_workers_share(
    asked: int, sites: int, parallel: int, expected: int
) -> None:
    assert effective_workers(asked, sites, parallel) == expected


def test_the_workers_get_the_command_line_settings() -> None:
    argv = ["nightly", "--workers", "2", "-s", "A=1", "--set=B=2", "-sC=3", "-s", "REDIS_URL=redis://x"]
    assert passthrough_settings(argv, drop=frozenset({"REDIS_URL"})) == [
        "-s",
        "A=1",
        "-s",
        "B=2",
        "-s",
        "C=3",
    ]


@pytest.mark.usefixtures("redis_server")
@pytest.mark.parametrize(
    "limit", [3, 1]
)  # split between the two workers (1 each); too small to split: Redis's
def test_two_workers_share_one_run_and_one_server_limit(
    db_url: str, shared_server: CountingServer, limit: int
) -> None:
    register_site(db_url, "4510990901", f"http://127.0.0.1:{shared_server.port}/a/index.html", name="甲县")
    register_site(db_url, "4510990902", f"http://localhost:{shared_server.port}/b/index.html", name="乙县")
    done = scrapy(
        "nightly", "--workers", "2", "--parallel", "2", *FAST,
        "-s", f"GOVHEALTH_PER_SERVER_CONCURRENCY={limit}", "-s", "GOVHEALTH_PER_SERVER_DELAY=0",
        "-s", "TWISTED_DNS_RESOLVER=tests.resolver.LoopbackOnlyResolver",
        db_url=db_url, env_extra=nightly_env(db_url),
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "2 workers" in done.stdout
    assert done.stdout.count("[1/2]") == 1 and done.stdout.count("[2/2]") == 1, "one progress display"
    assert done.stdout.count("nightly run 1: complete") == 1, "one summary"
    assert shared_server.total >= 2 * (PAGES + 1)
    assert shared_server.peak <= limit, "the two workers together kept to GOVHEALTH_PER_SERVER_CONCURRENCY"
    runs = runs_by_site(db_url)
    assert runs == {"4510990901": [("complete", "finished")], "4510990902": [("complete", "finished")]}
    engine = open_database(db_url)
    with make_sessionmaker(engine)() as session:
        (nightly,) = session.scalars(select(NightlyRun))
        assert nightly.status == "complete"
        assert set(nightly.summary) == {"4510990901", "4510990902"}
    engine.dispose()


@pytest.mark.usefixtures("redis_server")
def test_a_killed_pool_resumes_with_workers(db_url: str, shared_server: CountingServer) -> None:
    for n, host in enumerate(("127.0.0.1", "localhost", "127.0.0.1")):
        register_site(db_url, f"451099091{n}", f"http://{host}:{shared_server.port}/{'ab'[n % 2]}/index.html")
    env = nightly_env(db_url)
    args = [sys.executable, "-m", "scrapy.cmdline", "nightly", "--workers", "2", "--parallel", "2", *FAST]
    proc = subprocess.Popen(args, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    proc.kill()  # before or while the pool starts: nothing half-stored
    proc.wait(timeout=30)
    done = scrapy(
        "nightly", "--resume", "--workers", "2", "--parallel", "1", *FAST, db_url=db_url, env_extra=env
    )
    if "no unfinished nightly run" in done.stderr:  # killed before the run was opened: start it afresh
        done = scrapy("nightly", "--workers", "2", "--parallel", "2", *FAST, db_url=db_url, env_extra=env)
    assert done.returncode == 0, done.stdout + done.stderr
    runs = runs_by_site(db_url)
    assert all(r[-1] == ("complete", "finished") for r in runs.values()) and len(runs) == 3
    assert all(("complete", "finished") not in r[:-1] for r in runs.values()), "no site inspected twice"


def test_without_redis_server_the_run_stays_in_one_process(db_url: str, tmp_path: Path) -> None:
    for n in range(3):
        register_site(db_url, f"451099092{n}", f"http://127.0.0.1:9/{n}/index.html", name=f"无法访问{n}")
    env = {**nightly_env(db_url), "PATH": str(tmp_path)}  # no redis-server on this PATH
    done = scrapy("nightly", "--workers", "2", "--parallel", "2", *FAST, db_url=db_url, env_extra=env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "redis-server is not installed: one worker" in done.stderr
    assert "[3/3]" in done.stdout and "workers" not in done.stdout


@pytest.mark.redis
def test_a_worker_that_finds_the_queue_empty_ends(db_url: str, redis_url: str) -> None:
    """It used to wait forever: the scheduler ended before the reactor started, and nobody stopped it."""
    env = {**nightly_env(db_url), "GOVHEALTH_REDIS_URL": redis_url}
    done = scrapy("nightly", "--redis", *FAST, db_url=db_url, env_extra=env, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "== worker: 0 sites queued" in done.stdout
