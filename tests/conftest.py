"""Shared fixtures: migrated databases (SQLite, and PostgreSQL when configured), local sites, crawler settings."""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

import crawler.settings as project_settings
from crawler.demo.server import SiteServer
from models.repo import upsert_sites
from models.session import make_sessionmaker, open_database
from pipelines.rules.registry import SiteRow

ROOT = Path(__file__).resolve().parent.parent
SITE_DIR = Path(__file__).resolve().parent / "site"
PG_ENV = "GOVHEALTH_TEST_PG_URL"
REDIS_ENV = "GOVHEALTH_TEST_REDIS_URL"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """In CI the PostgreSQL and Redis tests must run: a missing server fails the run instead of skipping."""
    for marker, env in (("postgres", PG_ENV), ("redis", REDIS_ENV)):
        if (
            os.environ.get("CI")
            and not os.environ.get(env)
            and any(i.get_closest_marker(marker) for i in items)
        ):
            raise pytest.UsageError(f"CI is set but {env} is not: the {marker} tests would be skipped")


@pytest.fixture
def redis_url() -> str:
    """The Redis server that scripts/test starts (emptied for each test)."""
    url = os.environ.get(REDIS_ENV)
    if not url:
        pytest.skip(f"{REDIS_ENV} is not set (CI sets it)")
    from redis import Redis

    server = Redis.from_url(url)
    server.flushdb()
    server.close()
    return url


@pytest.fixture(scope="session")
def chromium() -> str:
    """The machine's Chromium (scripts/test installs Debian's `chromium`); in CI a missing one fails the run."""
    from crawler.report.screenshots import find_chromium

    path = find_chromium()
    if path is None:
        if os.environ.get("CI"):
            pytest.fail("CI is set but there is no chromium: scripts/test installs it with apt-get")
        pytest.skip("no chromium on this machine (scripts/test installs it)")
    return path


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    """A fresh SQLite database file, migrated to head."""
    url = f"sqlite:///{tmp_path / 'govhealth.sqlite3'}"
    open_database(url).dispose()
    return url


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh PostgreSQL database on the server named by GOVHEALTH_TEST_PG_URL, dropped afterwards."""
    base = os.environ.get(PG_ENV)
    if not base:
        pytest.skip(f"{PG_ENV} is not set (CI sets it)")
    name = f"govhealth_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = base.rsplit("/", 1)[0] + "/" + name
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def any_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The same test on SQLite and on a real PostgreSQL server."""
    if request.param == "sqlite":
        return str(request.getfixturevalue("db_url"))
    url = str(request.getfixturevalue("pg_url"))
    open_database(url).dispose()
    return url


def register_site(
    db_url: str,
    code: str,
    url: str,
    name: str = "测试县人民政府",
    domains: tuple[str, ...] = (),
    platform: str | None = None,
) -> None:
    """Register one site directly (what `scrapy sites import` does for a file)."""
    engine = open_database(db_url)
    try:
        with make_sessionmaker(engine).begin() as session:
            row = SiteRow(code, name, url, "county", None, domains, True, 2, platform=platform)
            upsert_sites(session, [row])
    finally:
        engine.dispose()


def test_settings(db_url: str, **overrides: Any) -> dict[str, Any]:
    """Project settings made fast and local: no delays, short re-check wait, loopback-only DNS."""
    values = {name: getattr(project_settings, name) for name in dir(project_settings) if name.isupper()}
    values.update(
        GOVHEALTH_DATABASE_URL=db_url,
        GOVHEALTH_EVIDENCE_DIR=str(evidence_dir(db_url)),
        GOVHEALTH_ALLOW_PRIVATE_TARGETS=True,
        GOVHEALTH_RECHECK_DELAY=0.3,
        GOVHEALTH_BACKOFF_BASE=0.1,
        GOVHEALTH_MAX_SECONDS=120,
        DOWNLOAD_DELAY=0,
        AUTOTHROTTLE_ENABLED=False,
        CONCURRENT_REQUESTS_PER_DOMAIN=16,
        DOWNLOAD_TIMEOUT=5,
        CLOSESPIDER_TIMEOUT=150,
        DNS_RESOLVER="tests.resolver.LoopbackOnlyResolver",
        LOG_LEVEL="WARNING",
    )
    values.update(overrides)
    return values


def evidence_dir(db_url: str) -> Path:
    """The evidence archive of a test database: beside its SQLite file, else a folder of its own."""
    if db_url.startswith("sqlite:///"):
        return Path(db_url.removeprefix("sqlite:///")).parent / "evidence"
    return Path(tempfile.gettempdir()) / "govhealth-evidence" / db_url.rsplit("/", 1)[-1]


test_settings.__test__ = False  # type: ignore[attr-defined]


@pytest.fixture(scope="session")
def external_site() -> Iterator[SiteServer]:
    """Another site (another port, so another host:port) for external links."""
    root = SITE_DIR / "other"
    with SiteServer(root) as server:
        yield server


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory, external_site: SiteServer) -> Iterator[SiteServer]:
    """tests/site/ on 127.0.0.1, its EXTERNAL placeholders pointing at the external site."""
    root = tmp_path_factory.mktemp("site")
    shutil.copytree(SITE_DIR, root, dirs_exist_ok=True)
    for page in root.rglob("*.html"):
        data = page.read_bytes()
        if b"EXTERNAL" in data:
            page.write_bytes(data.replace(b"EXTERNAL", external_site.base.encode()))
    with SiteServer(root) as server:
        yield server
