"""Queries and writes on the registry that commands and the spider share."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.errors import GovHealthError
from models.site import Site


class UnknownSiteError(GovHealthError):
    """No registered site has this code."""


class SiteFields(Protocol):
    """What a registry row provides (pipelines.rules.registry.SiteRow)."""

    code: str
    name: str
    url: str
    level: str
    organizer: str | None
    domains: tuple[str, ...]
    enabled: bool


@dataclass(frozen=True)
class SiteInfo:
    """A registered site, detached from any session."""

    id: int
    code: str
    name: str
    url: str
    level: str
    domains: tuple[str, ...]
    enabled: bool

    @classmethod
    def of(cls, site: Site) -> SiteInfo:
        return cls(site.id, site.code, site.name, site.url, str(site.level), tuple(site.domains or ()), site.enabled)


def upsert_sites(session: Session, rows: Iterable[SiteFields]) -> tuple[int, int]:
    """Insert or update sites by code inside the caller's transaction; returns (created, updated)."""
    rows = list(rows)
    existing = {s.code: s for s in session.scalars(select(Site).where(Site.code.in_([r.code for r in rows])))}
    created = updated = 0
    for row in rows:
        site = existing.get(row.code)
        if site is None:
            site = Site(code=row.code)
            session.add(site)
            created += 1
        else:
            updated += 1
        site.name, site.url, site.level = row.name, row.url, str(row.level)
        site.organizer, site.domains, site.enabled = row.organizer, list(row.domains), row.enabled
    return created, updated


def get_site(session: Session, code: str) -> SiteInfo:
    """The registered site with this code.

    Raises:
        UnknownSiteError: no such site.
    """
    site = session.scalar(select(Site).where(Site.code == code))
    if site is None:
        raise UnknownSiteError(f"unknown site code {code!r}: register it first with 'scrapy sites import FILE'")
    return SiteInfo.of(site)


def list_sites(session: Session, *, enabled_only: bool = False, codes: Iterable[str] = (), level: str = "") -> list[SiteInfo]:
    """Registered sites ordered by code, optionally filtered."""
    query = select(Site).order_by(Site.code)
    if enabled_only:
        query = query.where(Site.enabled.is_(True))
    if codes := list(codes):
        query = query.where(Site.code.in_(codes))
    if level:
        query = query.where(Site.level == level)
    return [SiteInfo.of(s) for s in session.scalars(query)]
