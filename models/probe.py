"""Availability probes of homepages (`scrapy probe`), for the 7-day failure ratio."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base


class Probe(Base):
    """One timed GET of one homepage."""

    __tablename__ = "probes"

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(index=True)
    ok: Mapped[bool] = mapped_column(comment="answered with a 2xx/3xx within the budget")
    status: Mapped[int | None]
    elapsed_ms: Mapped[int | None]
    error: Mapped[str | None] = mapped_column(String(64))
