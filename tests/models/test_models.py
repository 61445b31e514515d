"""Models round-trip on SQLite and PostgreSQL; migrations reach head with no drift."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from alembic import command
from sqlalchemy import select

from models.column import Column
from models.finding import Finding, FindingHistory
from models.link import LinkCheck
from models.probe import Probe
from models.run import CrawlRun
from models.session import DatabaseError, alembic_config, make_sessionmaker, open_database, safe_url
from models.site import ColumnOverride, Site

T0 = datetime(2026, 11, 1, 2, 30, tzinfo=UTC)


def test_round_trip(any_db_url: str) -> None:
    engine = open_database(any_db_url)
    sessions = make_sessionmaker(engine)
    with sessions.begin() as session:
        site = Site(
            code="4510000031",
            name="百色市人民政府",
            url="http://www.baise.gov.cn.example/",
            level="city",
            organizer="百色市人民政府办公室",
            domains=["baise.gov.cn.example"],
            enabled=True,
        )
        session.add(site)
        session.flush()
        run = CrawlRun(site_id=site.id, started_at=T0, finished_at=T0, status="complete", stats={"pages": 3})
        session.add(run)
        session.flush()
        session.add_all(
            [
                LinkCheck(
                    run_id=run.id,
                    url="http://x/a",
                    state="broken",
                    status=404,
                    error="http_error",
                    reason="HTTP 404",
                    resource_type="page",
                    external=False,
                    on_homepage=True,
                    link_text="通知",
                    sources=["http://x/"],
                    source_count=1,
                    attempts=2,
                    checked_at=T0,
                ),
                Finding(
                    run_id=run.id,
                    site_id=site.id,
                    fingerprint="f" * 20,
                    kind="stale_column",
                    url="http://x/tzgg/",
                    column_name="通知公告",
                    column_category="notice_policy",
                    latest_date=date(2017, 1, 2),
                    item_count=20,
                    detected_at=T0,
                ),
                FindingHistory(
                    site_id=site.id,
                    fingerprint="f" * 20,
                    kind="stale_column",
                    url="http://x/tzgg/",
                    first_seen=T0,
                    last_seen=T0,
                    runs_seen=1,
                ),
                Column(
                    run_id=run.id,
                    url="http://x/tzgg/",
                    name="通知公告",
                    category="notice_policy",
                    how="nav",
                    page_kind="list",
                    item_count=20,
                    latest_date=date(2017, 1, 2),
                    status="stale",
                ),
                ColumnOverride(
                    site_id=site.id, url="http://x/tzgg/", name="通知公告", category="notice_policy"
                ),
                Probe(site_id=site.id, at=T0, ok=True, status=200, elapsed_ms=120),
            ]
        )
    with sessions() as session:
        site = session.scalars(select(Site)).one()
        assert (site.code, site.domains, site.enabled) == ("4510000031", ["baise.gov.cn.example"], True)
        run = session.scalars(select(CrawlRun)).one()
        assert run.started_at == T0 and run.started_at.tzinfo is not None
        assert run.stats == {"pages": 3}
        check = session.scalars(select(LinkCheck)).one()
        assert (check.sources, check.link_text, check.on_homepage) == (["http://x/"], "通知", True)
        finding = session.scalars(select(Finding)).one()
        assert (finding.latest_date, finding.column_name) == (date(2017, 1, 2), "通知公告")
        assert session.scalars(select(Probe)).one().elapsed_ms == 120
    engine.dispose()


def test_migrations_reach_head_without_drift(any_db_url: str) -> None:
    engine = open_database(any_db_url)
    with engine.connect() as connection:
        config = alembic_config(engine)
        config.attributes["connection"] = connection
        command.check(config)  # raises when the models and the migrations disagree
    engine.dispose()


def test_upgrade_twice_is_a_no_op(db_url: str) -> None:
    open_database(db_url).dispose()
    open_database(db_url).dispose()


def test_unreachable_database_is_one_clear_error() -> None:
    with pytest.raises(DatabaseError) as caught:
        open_database("postgresql+psycopg://govhealth:s3cret@127.0.0.1:1/govhealth")
    message = str(caught.value)
    assert message.startswith(
        "cannot reach database postgresql+psycopg://govhealth:***@127.0.0.1:1/govhealth"
    )
    assert "s3cret" not in message and "\n" not in message


def test_safe_url_hides_the_password() -> None:
    assert safe_url("postgresql+psycopg://u:pw@h/db") == "postgresql+psycopg://u:***@h/db"


def test_one_engine_per_database_per_process(db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The users of one database in a process (commands, pipelines, link cache) share one engine, migrated
    once; it is disposed when the last one hands it back, and opened afresh after that."""
    from models import session as session_module

    migrations: list[object] = []
    upgrade = session_module.upgrade
    monkeypatch.setattr(
        session_module, "upgrade", lambda engine: migrations.append(engine) or upgrade(engine)
    )
    first = session_module.acquire_engine(db_url)
    second = session_module.acquire_engine(db_url)
    assert first is second and len(migrations) == 1
    disposed: list[object] = []
    monkeypatch.setattr(first, "dispose", lambda: disposed.append(first))
    session_module.release_engine(second)
    assert disposed == [], "still in use by the first user"
    session_module.release_engine(first)
    assert disposed == [first]
    third = session_module.acquire_engine(db_url)
    try:
        assert third is not first and len(migrations) == 2
    finally:
        session_module.release_engine(third)
