"""Nightly runs (`scrapy nightly`): one pass over many sites, resumable, and the shared link cache."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, Url, utcnow

NIGHTLY_RUNNING = "running"
NIGHTLY_COMPLETE = "complete"  # every selected site has a finished crawl run
NIGHTLY_INTERRUPTED = "interrupted"
# Scrapy close reasons of a crawl that inspected its site, a budget cut included: only such a run is reported
# (export, score) and skips its site on `scrapy nightly --resume`. Any other (shutdown, kill, error) is partial.
INSPECTED_REASONS = frozenset({"finished", "govhealth_max_seconds", "closespider_timeout"})


class NightlyRun(Base):
    """One `scrapy nightly` pass; its crawl runs point at it."""

    __tablename__ = "nightly_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(16), default=NIGHTLY_RUNNING)
    codes: Mapped[list[str]] = mapped_column(JSON, default=list, comment="the site codes selected")
    summary: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class CachedLink(Base):
    """The outcome of checking an external target, shared across sites and runs until it expires."""

    __tablename__ = "link_cache"

    id: Mapped[int] = mapped_column(primary_key=True)
    url_hash: Mapped[str] = mapped_column(String(40), unique=True, comment="sha1 of the URL")
    url: Mapped[Url]
    state: Mapped[str] = mapped_column(String(16))
    status: Mapped[int | None]
    error: Mapped[str | None] = mapped_column(String(64))
    reason: Mapped[str | None] = mapped_column(String(500))
    checked_at: Mapped[datetime]
    expires_at: Mapped[datetime] = mapped_column(index=True)
