"""Findings of a run, and their identity across runs (first seen, last seen, resolved)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, Url


class Finding(Base):
    """One problem found in one run; every field of the export (README: Findings, export schema)."""

    __tablename__ = "findings"
    __table_args__ = (UniqueConstraint("run_id", "fingerprint"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("crawl_runs.id", ondelete="CASCADE"), index=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"), index=True)
    fingerprint: Mapped[str] = mapped_column(String(40), index=True, comment="stable across runs")
    kind: Mapped[str] = mapped_column(String(32))
    url: Mapped[Url]
    source_url: Mapped[str | None] = mapped_column(String(2048))
    sources: Mapped[list[str]] = mapped_column(JSON, default=list)
    source_count: Mapped[int] = mapped_column(default=0)
    on_homepage: Mapped[bool] = mapped_column(default=False)
    external: Mapped[bool] = mapped_column(default=False)
    link_text: Mapped[str | None] = mapped_column(String(500))
    resource_type: Mapped[str | None] = mapped_column(String(16))
    status: Mapped[int | None]
    error: Mapped[str | None] = mapped_column(String(64))
    reason: Mapped[str | None] = mapped_column(String(500), comment="one sentence of evidence")
    column_name: Mapped[str | None] = mapped_column(String(200))
    column_category: Mapped[str | None] = mapped_column(String(32))
    latest_date: Mapped[date | None]
    item_count: Mapped[int | None]
    detected_at: Mapped[datetime]
    evidence_file: Mapped[str | None] = mapped_column(
        String(255), comment="WARC file of the proof, relative to GOVHEALTH_EVIDENCE_DIR"
    )
    evidence_record: Mapped[str | None] = mapped_column(
        String(64), comment="WARC-Record-ID of the record that proves the verdict"
    )
    evidence_digest: Mapped[str | None] = mapped_column(
        String(80), comment="sha256:<hex> of that record's payload (its WARC-Payload-Digest)"
    )


class FindingHistory(Base):
    """A finding's identity across runs of its site."""

    __tablename__ = "finding_history"
    __table_args__ = (UniqueConstraint("site_id", "fingerprint"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"), index=True)
    fingerprint: Mapped[str] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(32))
    url: Mapped[Url]
    first_seen: Mapped[datetime]
    last_seen: Mapped[datetime]
    runs_seen: Mapped[int] = mapped_column(default=1)
    resolved_at: Mapped[datetime | None]
