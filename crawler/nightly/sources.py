"""Where a nightly run takes its sites from: the database (all enabled sites, --codes, --resume) or Redis."""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from collections.abc import Callable
from contextlib import AbstractContextManager

from redis import Redis
from sqlalchemy.orm import Session

from crawler.distributed import pop_site
from models.nightly_runs import largest_first, open_nightly, resume_nightly
from models.repo import SiteInfo, UnknownSiteError, get_site

logger = logging.getLogger(__name__)

# Opens a read session on the project database (GovHealthCommand.session).
Sessions = Callable[[], AbstractContextManager[Session]]


def parse_codes(text: str | None) -> list[str]:
    """The site codes of a comma-separated --codes value."""
    return [c.strip() for c in (text or "").split(",") if c.strip()]


def plan_nightly(
    session: Session, *, codes: list[str], level: str, resume: bool
) -> tuple[int, list[SiteInfo], int]:
    """Open (or resume) the nightly run and pick the sites still to inspect: (nightly id, sites, already done).

    The sites come largest first (by their last run's pages), so that no large site starts at the end of the night.

    ``codes`` and ``level`` select the sites of a new run; a resumed run keeps the sites it was opened with.
    """
    if resume:
        nightly_id, sites, done = resume_nightly(session)
        return nightly_id, largest_first(session, sites), done
    nightly_id, sites = open_nightly(session, codes=codes, level=level)
    return nightly_id, largest_first(session, sites), 0


class SiteSource(ABC):
    """Where the scheduler takes its next site from."""

    total = 0

    @property
    def planned(self) -> list[SiteInfo]:
        """The sites known up front: they are in the summary even if never started."""
        return []

    @abstractmethod
    def next(self) -> tuple[SiteInfo, int] | None:
        """The next site and the nightly run it belongs to, or None when there is none left."""

    @abstractmethod
    def nightly_ids(self) -> set[int]:
        """The nightly runs this process crawled sites of."""


class ListedSites(SiteSource):
    """The sites of one nightly run on this machine."""

    def __init__(self, sites: list[SiteInfo], nightly_id: int) -> None:
        self.sites = list(sites)
        self.queue, self.nightly_id, self.total = list(sites), nightly_id, len(sites)

    @property
    def planned(self) -> list[SiteInfo]:
        return self.sites

    def next(self) -> tuple[SiteInfo, int] | None:
        return (self.queue.pop(0), self.nightly_id) if self.queue else None

    def nightly_ids(self) -> set[int]:
        return {self.nightly_id}


class RedisSites(SiteSource):
    """Sites popped from the shared scrapy-redis queue, until it is empty."""

    def __init__(self, sessions: Sessions, server: Redis) -> None:
        self.sessions, self.server, self.seen_ids = sessions, server, set[int]()

    def next(self) -> tuple[SiteInfo, int] | None:
        while (entry := pop_site(self.server)) is not None:
            code, nightly_id = entry
            self.seen_ids.add(nightly_id)
            with self.sessions() as session:
                try:
                    return get_site(session, code), nightly_id
                except UnknownSiteError:
                    logger.error("queued site %s is not registered in this database: skipped", code)
        return None

    def nightly_ids(self) -> set[int]:
        return self.seen_ids
