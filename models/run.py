"""Crawl runs: one inspection of one site."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, utcnow

RUN_RUNNING = "running"
RUN_COMPLETE = "complete"  # the crawl ran to its end within every budget
RUN_INCOMPLETE = "incomplete"  # a budget cut it short, or it was interrupted: it resolves no finding
RUN_FAILED = "failed"


class CrawlRun(Base):
    """One crawl of one site, with its statistics."""

    __tablename__ = "crawl_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"), index=True)
    nightly_id: Mapped[int | None] = mapped_column(
        ForeignKey("nightly_runs.id", ondelete="SET NULL"), index=True
    )
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(
        String(16), default=RUN_RUNNING, comment="running/complete/incomplete/failed"
    )
    budget_hit: Mapped[str | None] = mapped_column(
        String(32), comment="max_pages, max_depth, max_seconds or None"
    )
    close_reason: Mapped[str | None] = mapped_column(String(64), comment="Scrapy's finish reason")
    limits: Mapped[list[str] | None] = mapped_column(
        JSON, comment="every limit that fired (budgets, page cuts, capped Crawl-delay), in order"
    )
    declared_code: Mapped[str | None] = mapped_column(
        String(10), comment="网站标识码 the homepage declares in <meta name=SiteIDCode>, if any"
    )
    pages: Mapped[int] = mapped_column(default=0)
    targets: Mapped[int] = mapped_column(default=0, comment="distinct link targets checked")
    broken: Mapped[int] = mapped_column(default=0)
    unverified: Mapped[int] = mapped_column(default=0)
    stats: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict, comment="Scrapy and govhealth stats")
