"""Registered sites (by 网站标识码) and their per-site column overrides."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, Text200, Url, utcnow


class Site(Base):
    """One government website of the registry."""

    __tablename__ = "sites"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(10), unique=True, comment="网站标识码, 10 digits")
    name: Mapped[Text200]
    url: Mapped[Url] = mapped_column(comment="registered homepage URL")
    level: Mapped[str] = mapped_column(String(16), comment="department, city or county")
    organizer: Mapped[str | None] = mapped_column(String(200), comment="主办单位")
    domains: Mapped[list[str]] = mapped_column(JSON, default=list, comment="extra domains of the site")
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    contact: Mapped[list[str] | None] = mapped_column(
        JSON, comment="notification URLs (Apprise syntax) of the site's operators; they hold secrets"
    )
    platform: Mapped[str | None] = mapped_column(
        String(100),
        comment="a name shared by sites hosted on one server or CDN (集约化平台): one per-server limit",
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class ColumnOverride(Base):
    """A per-site correction of a column's name or category (`scrapy columns import`)."""

    __tablename__ = "column_overrides"
    __table_args__ = (UniqueConstraint("site_id", "url"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"), index=True)
    url: Mapped[Url]
    name: Mapped[str | None] = mapped_column(String(200))
    category: Mapped[str | None] = mapped_column(String(32))
