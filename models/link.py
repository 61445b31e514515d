"""Link checks: the outcome of every distinct target checked in a run."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, Url


class LinkCheck(Base):
    """One distinct link target of one run, with its evidence."""

    __tablename__ = "link_checks"
    __table_args__ = (UniqueConstraint("run_id", "url"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("crawl_runs.id", ondelete="CASCADE"), index=True)
    url: Mapped[Url]
    state: Mapped[str] = mapped_column(String(16), comment="ok, broken or unverified")
    status: Mapped[int | None] = mapped_column(comment="final HTTP status")
    error: Mapped[str | None] = mapped_column(String(64))
    reason: Mapped[str | None] = mapped_column(String(500), comment="one sentence of evidence")
    resource_type: Mapped[str] = mapped_column(String(16))
    external: Mapped[bool]
    on_homepage: Mapped[bool]
    link_text: Mapped[str | None] = mapped_column(String(500))
    sources: Mapped[list[str]] = mapped_column(JSON, default=list, comment="pages linking here (capped)")
    source_count: Mapped[int] = mapped_column(default=0)
    attempts: Mapped[int] = mapped_column(
        default=1, comment="checks made, the confirmation re-check included"
    )
    checked_at: Mapped[datetime]
