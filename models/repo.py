"""Queries and writes on the registry that commands and the spider share."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from models.errors import GovHealthError
from models.site import Site

CODES_PER_QUERY = 10_000  # PostgreSQL takes at most 65,535 parameters in one statement


class UnknownSiteError(GovHealthError):
    """No registered site has this code."""


class SiteFields(Protocol):
    """What a registry row provides (pipelines.rules.registry.SiteRow)."""

    @property
    def code(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def url(self) -> str: ...
    @property
    def level(self) -> str: ...
    @property
    def organizer(self) -> str | None: ...
    @property
    def domains(self) -> tuple[str, ...]: ...
    @property
    def enabled(self) -> bool: ...
    @property
    def contact(self) -> tuple[str, ...] | None: ...
    @property
    def platform(self) -> str | None: ...


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
    contact: tuple[str, ...] = ()  # notification URLs: they hold secrets, never print them unmasked
    platform: str | None = None  # sites hosted on one server or CDN share it (crawler/servergate.py)

    @classmethod
    def of(cls, site: Site) -> SiteInfo:
        return cls(
            site.id, site.code, site.name, site.url, str(site.level), tuple(site.domains or ()), site.enabled,
            tuple(site.contact or ()), site.platform,
        )  # fmt: skip


def upsert_sites(session: Session, rows: Iterable[SiteFields]) -> tuple[int, int]:
    """Insert or update sites by code inside the caller's transaction; returns (created, updated)."""
    rows = list(rows)
    codes = [r.code for r in rows]
    existing: dict[str, Site] = {}
    for start in range(0, len(codes), CODES_PER_QUERY):
        query = select(Site).where(Site.code.in_(codes[start : start + CODES_PER_QUERY]))
        existing.update((s.code, s) for s in session.scalars(query))
    new = [row for row in rows if row.code not in existing]
    if new:  # one multi-row INSERT: 100,000 new sites in about 3 s instead of 12 s through ORM objects
        session.execute(insert(Site), [_site_values(row) for row in new])
    for row in rows:
        site = existing.get(row.code)
        if site is not None:
            for key, value in _site_values(row).items():
                setattr(site, key, value)
    return len(new), len(rows) - len(new)


def _site_values(row: SiteFields) -> dict[str, object]:
    values: dict[str, object] = {"code": row.code, "name": row.name, "url": row.url, "level": str(row.level),
              "organizer": row.organizer, "domains": list(row.domains), "enabled": row.enabled}  # fmt: skip
    if row.contact is not None:  # a file without a contact column keeps the stored contacts
        values["contact"] = list(row.contact)
    if row.platform is not None:  # likewise the platform ("" in the file clears it)
        values["platform"] = row.platform or None
    return values


def get_site(session: Session, code: str) -> SiteInfo:
    """The registered site with this code.

    Raises:
        UnknownSiteError: no such site.
    """
    site = session.scalar(select(Site).where(Site.code == code))
    if site is None:
        raise UnknownSiteError(
            f"unknown site code {code!r}: register it first with 'scrapy sites import FILE'"
        )
    return SiteInfo.of(site)


def list_sites(
    session: Session, *, enabled_only: bool = False, codes: Iterable[str] = (), level: str = ""
) -> list[SiteInfo]:
    """Registered sites ordered by code, optionally filtered."""
    query = select(Site).order_by(Site.code)
    if enabled_only:
        query = query.where(Site.enabled.is_(True))
    if codes := list(codes):
        query = query.where(Site.code.in_(codes))
    if level:
        query = query.where(Site.level == level)
    return [SiteInfo.of(s) for s in session.scalars(query)]
