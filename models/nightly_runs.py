"""Open, resume and close nightly runs (`scrapy nightly`), inside the caller's transaction."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models.base import utcnow
from models.errors import GovHealthError
from models.nightly import (
    INSPECTED_REASONS,
    NIGHTLY_COMPLETE,
    NIGHTLY_INTERRUPTED,
    NIGHTLY_RUNNING,
    NightlyRun,
)
from models.repo import SiteInfo, list_sites
from models.run import RUN_FAILED, RUN_RUNNING, CrawlRun
from models.site import Site


def open_nightly(session: Session, *, codes: list[str], level: str = "") -> tuple[int, list[SiteInfo]]:
    """A new nightly run over the enabled sites (only ``codes`` if given, only ``level`` if given).

    Raises:
        GovHealthError: a code is unknown or disabled, or there is no site to inspect.
    """
    sites = list_sites(session, enabled_only=True, codes=codes, level=level)
    if codes and (missing := set(codes) - {s.code for s in sites}):
        raise GovHealthError(f"unknown or disabled site codes: {', '.join(sorted(missing))}")
    if not sites:
        raise GovHealthError("no enabled sites to inspect: register some with 'scrapy sites import FILE'")
    nightly = NightlyRun(codes=[s.code for s in sites])
    session.add(nightly)
    session.flush()
    return nightly.id, sites


def resume_nightly(session: Session) -> tuple[int, list[SiteInfo], int]:
    """The newest nightly run, reopened: its id, the sites it has still to inspect, how many it already did.

    Raises:
        GovHealthError: there is no nightly run, or the newest one is complete.
    """
    # only the newest nightly run: an older one left unfinished was superseded by a later pass
    nightly = session.scalars(select(NightlyRun).order_by(NightlyRun.id.desc())).first()
    if nightly is None or nightly.status == NIGHTLY_COMPLETE:
        raise GovHealthError("no unfinished nightly run to resume")
    # crawls killed mid-run stored nothing: mark them failed (never reported: see latest_runs) and
    # inspect their sites again
    for run in session.scalars(
        select(CrawlRun).where(CrawlRun.nightly_id == nightly.id, CrawlRun.status == RUN_RUNNING)
    ):
        run.status, run.finished_at, run.close_reason = RUN_FAILED, utcnow(), "killed"
    done = set(
        session.scalars(
            select(CrawlRun.site_id).where(
                CrawlRun.nightly_id == nightly.id, CrawlRun.close_reason.in_(INSPECTED_REASONS)
            )
        )
    )
    wanted = set(nightly.codes)
    sites = [s for s in list_sites(session, codes=wanted) if s.code in wanted]
    todo = [s for s in sites if s.id not in done]
    nightly.status = NIGHTLY_RUNNING
    return nightly.id, todo, len(sites) - len(todo)


def inspected_codes(session: Session, nightly_id: int) -> set[str]:
    """The codes of the sites this nightly run has inspected (by any machine)."""
    query = (
        select(Site.code)
        .join(CrawlRun, CrawlRun.site_id == Site.id)
        .where(CrawlRun.nightly_id == nightly_id, CrawlRun.close_reason.in_(INSPECTED_REASONS))
    )
    return set(session.scalars(query))


def close_nightly(
    session: Session,
    nightly_ids: Iterable[int],
    summary: Mapping[str, dict[str, Any]],
    *,
    complete: bool,
    owned: bool,
) -> None:
    """Merge this process's per-site ``summary`` into each run and mark the runs finished.

    ``owned``: this process ran the whole nightly run, so it ends it now, complete or interrupted. A worker
    of a distributed run (not ``owned``) shares it with others, so it ends a run only once every site of it is
    inspected, by whichever worker.
    """
    for nightly_id in nightly_ids:
        run = session.get_one(NightlyRun, nightly_id)
        run.summary = {**(run.summary or {}), **summary}
        all_done = set(run.codes) <= inspected_codes(session, nightly_id)
        if owned or all_done:
            run.finished_at = utcnow()
            run.status = NIGHTLY_COMPLETE if complete and all_done else NIGHTLY_INTERRUPTED


def largest_first(session: Session, sites: list[SiteInfo]) -> list[SiteInfo]:
    """The sites by the pages of their last inspected run, largest first; sites never inspected keep their order
    ahead of them (their size is unknown). Started last, a large site alone would hold the end of the night."""
    latest = (
        select(func.max(CrawlRun.id))
        .where(CrawlRun.close_reason.in_(INSPECTED_REASONS))
        .group_by(CrawlRun.site_id)
        .scalar_subquery()
    )
    rows = session.execute(select(CrawlRun.site_id, CrawlRun.pages).where(CrawlRun.id.in_(latest)))
    pages = {site_id: count for site_id, count in rows}  # noqa: C416 - dict(result) would take its .keys()
    return sorted(sites, key=lambda s: -pages[s.id] if s.id in pages else -(2**62))
