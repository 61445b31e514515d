"""Columns (栏目) found on a site in a run."""

from __future__ import annotations

from datetime import date

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, Url


class Column(Base):
    """One column of one run: where it was found and what it showed."""

    __tablename__ = "columns"
    __table_args__ = (UniqueConstraint("run_id", "url"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("crawl_runs.id", ondelete="CASCADE"), index=True)
    url: Mapped[Url]
    name: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(32))
    how: Mapped[str] = mapped_column(
        String(32), comment="how it was found: nav, block, sidebar, breadcrumb, meta, list"
    )
    page_kind: Mapped[str] = mapped_column(String(16), comment="list, single, empty or unknown")
    item_count: Mapped[int | None]
    latest_date: Mapped[date | None]
    status: Mapped[str] = mapped_column(String(16), comment="ok, blank, stale or unverified")
    reason: Mapped[str | None] = mapped_column(String(500))
    top_level: Mapped[bool] = mapped_column(default=True)
