"""Read-side queries: runs to export, score or report, and findings as export records (README: Findings, export schema)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from sqlalchemy import Row, func, select
from sqlalchemy.orm import Session

from models.column import Column
from models.errors import GovHealthError
from models.finding import Finding, FindingHistory
from models.nightly import INSPECTED_REASONS
from models.run import RUN_COMPLETE, CrawlRun
from models.site import Site

COLUMN_FIELDS = (
    "site_code",
    "site_name",
    "run_id",
    "name",
    "url",
    "category",
    "status",
    "page_kind",
    "item_count",
    "latest_date",
    "how",
    "reason",
)
EXPORT_FIELDS = (
    "site_code",
    "site_name",
    "run_id",
    "kind",
    "url",
    "source_url",
    "sources",
    "on_homepage",
    "external",
    "link_text",
    "resource_type",
    "status",
    "error",
    "column_name",
    "column_category",
    "latest_date",
    "item_count",
    "first_seen",
    "last_seen",
    "detected_at",
    "source_count",
    "reason",
    "evidence_file",
    "evidence_record",
    "evidence_digest",
)


def latest_runs(session: Session, *, code: str | None = None, complete_only: bool = False) -> list[CrawlRun]:
    """The newest finished run of every site (or of one site) that inspected it: never a partial run (Ctrl-C, kill)."""
    query = select(CrawlRun.site_id, func.max(CrawlRun.id).label("run_id")).where(
        CrawlRun.finished_at.is_not(None), CrawlRun.close_reason.in_(INSPECTED_REASONS)
    )
    if complete_only:
        query = query.where(CrawlRun.status == RUN_COMPLETE)
    if code:
        query = query.join(Site, Site.id == CrawlRun.site_id).where(Site.code == code)
    ids = [row.run_id for row in session.execute(query.group_by(CrawlRun.site_id))]
    return list(session.scalars(select(CrawlRun).where(CrawlRun.id.in_(ids)).order_by(CrawlRun.id)))


def select_runs(session: Session, *, code: str | None = None, run_id: int | None = None) -> list[CrawlRun]:
    """The runs an export or score card is about: ``run_id``, else the latest finished run per site.

    Raises:
        GovHealthError: the code or run does not exist, or has no finished run.
    """
    if code and session.scalar(select(Site.id).where(Site.code == code)) is None:
        raise GovHealthError(f"unknown site code {code!r}")
    if run_id is not None:
        run = session.get(CrawlRun, run_id)
        if run is None:
            raise GovHealthError(f"no crawl run {run_id}")
        return [run]
    return latest_runs(session, code=code)


# Read as plain columns, not ORM entities: the report reads 100,000 findings and entities cost 3 times as much.
_FINDING_COLUMNS = (
    Finding.run_id,
    Finding.fingerprint,
    Finding.kind,
    Finding.url,
    Finding.source_url,
    Finding.sources,
    Finding.on_homepage,
    Finding.external,
    Finding.link_text,
    Finding.resource_type,
    Finding.status,
    Finding.error,
    Finding.column_name,
    Finding.column_category,
    Finding.latest_date,
    Finding.item_count,
    Finding.detected_at,
    Finding.source_count,
    Finding.reason,
    Finding.evidence_file,
    Finding.evidence_record,
    Finding.evidence_digest,
    Site.code.label("site_code"),
    Site.name.label("site_name"),
    FindingHistory.first_seen,
    FindingHistory.last_seen,
    FindingHistory.runs_seen,
)


def _findings_of(session: Session, runs: list[CrawlRun]) -> Iterable[Row[Any]]:
    """Every finding of these runs with its site and its history across runs, by site, kind and URL."""
    query = (
        select(*_FINDING_COLUMNS)
        .join(Site, Site.id == Finding.site_id)
        .outerjoin(
            FindingHistory,
            (FindingHistory.site_id == Finding.site_id) & (FindingHistory.fingerprint == Finding.fingerprint),
        )
        .where(Finding.run_id.in_([r.id for r in runs]))
        .order_by(Site.code, Finding.kind, Finding.url)
    )
    return session.execute(query)


def _export_record(row: Row[Any]) -> dict[str, Any]:
    return {
        "site_code": row.site_code,
        "site_name": row.site_name,
        "run_id": row.run_id,
        "kind": row.kind,
        "url": row.url,
        "source_url": row.source_url,
        "sources": list(row.sources or []),
        "on_homepage": row.on_homepage,
        "external": row.external,
        "link_text": row.link_text,
        "resource_type": row.resource_type,
        "status": row.status,
        "error": row.error,
        "column_name": row.column_name,
        "column_category": row.column_category,
        "latest_date": _iso(row.latest_date),
        "item_count": row.item_count,
        "first_seen": _iso(row.first_seen or row.detected_at),
        "last_seen": _iso(row.last_seen or row.detected_at),
        "detected_at": _iso(row.detected_at),
        "source_count": row.source_count,
        "reason": row.reason,
        "evidence_file": row.evidence_file,
        "evidence_record": row.evidence_record,
        "evidence_digest": row.evidence_digest,
    }


def export_records(session: Session, runs: list[CrawlRun]) -> list[dict[str, Any]]:
    """Every finding of these runs as an export record, with its history across runs."""
    if not runs:
        return []
    return [_export_record(row) for row in _findings_of(session, runs)]


def report_records(session: Session, runs: list[CrawlRun]) -> list[dict[str, Any]]:
    """The export records plus what the visual report links: fingerprint, evidence, runs seen."""
    if not runs:
        return []
    return [
        {
            **_export_record(row),
            "fingerprint": row.fingerprint,
            "runs_seen": row.runs_seen or 1,
        }
        for row in _findings_of(session, runs)
    ]


def recent_runs(session: Session, limit: int, *, code: str | None = None) -> dict[int, list[CrawlRun]]:
    """Per site id, its newest ``limit`` finished runs that inspected it (partial runs left out), newest first."""
    rank = func.row_number().over(partition_by=CrawlRun.site_id, order_by=CrawlRun.id.desc()).label("rank")
    ranked = select(CrawlRun.id, rank).where(
        CrawlRun.finished_at.is_not(None), CrawlRun.close_reason.in_(INSPECTED_REASONS)
    )
    if code:
        ranked = ranked.join(Site, Site.id == CrawlRun.site_id).where(Site.code == code)
    sub = ranked.subquery()
    query = (
        select(CrawlRun)
        .join(sub, sub.c.id == CrawlRun.id)
        .where(sub.c.rank <= limit)
        .order_by(CrawlRun.site_id, CrawlRun.id.desc())
    )
    out: dict[int, list[CrawlRun]] = {}
    for run in session.scalars(query):
        out.setdefault(run.site_id, []).append(run)
    return out


def column_records(session: Session, run_ids: list[int]) -> list[dict[str, Any]]:
    """The column inventory of these runs, one row per column."""
    query = (
        select(Column, Site.code, Site.name)
        .join(CrawlRun, CrawlRun.id == Column.run_id)
        .join(Site, Site.id == CrawlRun.site_id)
        .where(Column.run_id.in_(run_ids))
        .order_by(Site.code, Column.url)
    )
    return [
        {
            "site_code": code,
            "site_name": name,
            "run_id": c.run_id,
            "name": c.name,
            "url": c.url,
            "category": c.category,
            "status": c.status,
            "page_kind": c.page_kind,
            "item_count": c.item_count,
            "latest_date": c.latest_date.isoformat() if c.latest_date else None,
            "how": c.how,
            "reason": c.reason,
        }
        for c, code, name in session.execute(query)
    ]


def _iso(value: date | datetime | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    return value.isoformat()
