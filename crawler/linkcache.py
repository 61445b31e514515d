"""The shared link cache: an external target linked from many sites is checked once.

Within one process (a `scrapy nightly` run, or one crawl) every outcome is shared, and a target being
checked for one site makes the others wait for its outcome instead of fetching it again. Across runs,
outcomes are kept in the `link_cache` table: ok ones for GOVHEALTH_LINK_CACHE_OK_HOURS, unverified
ones for GOVHEALTH_LINK_CACHE_UNVERIFIED_HOURS; broken ones are never reused across runs (re-checked).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import delete, select
from sqlalchemy.exc import SQLAlchemyError

from models.base import utcnow
from models.nightly import CachedLink
from models.session import make_sessionmaker, open_database
from pipelines.rules.kinds import LinkState
from pipelines.rules.links import Verdict

if TYPE_CHECKING:
    from scrapy.settings import BaseSettings

logger = logging.getLogger(__name__)
PRELOAD_LIMIT = 500_000  # unexpired rows whose hashes are held in memory (~100 bytes each)
PRELOAD_REFRESH = timedelta(minutes=10)
MEMORY_LIMIT = 200_000  # outcomes kept in memory (~540 bytes each): one process may cover 14,000 sites

Waiter = Callable[[Verdict | None, int | None], None]  # None: abandoned, check it yourself


@dataclass(frozen=True)
class Outcome:
    """A cached check outcome."""

    verdict: Verdict
    status: int | None
    expires_at: datetime


def cache_ttls(settings: BaseSettings) -> dict[str, timedelta]:
    """The TTL keyword arguments of a link cache, from GOVHEALTH_LINK_CACHE_OK/UNVERIFIED_HOURS."""
    return {
        "ok_ttl": timedelta(hours=settings.getfloat("GOVHEALTH_LINK_CACHE_OK_HOURS", 72)),
        "unverified_ttl": timedelta(hours=settings.getfloat("GOVHEALTH_LINK_CACHE_UNVERIFIED_HOURS", 6)),
    }


def url_hash(url: str) -> str:
    return hashlib.sha1(url.encode("utf-8"), usedforsecurity=False).hexdigest()


class LinkCache:
    """Outcomes of external link checks, shared by the crawls of one process and kept across runs."""

    def __init__(self, database_url: str, ok_ttl: timedelta, unverified_ttl: timedelta) -> None:
        self.engine = open_database(database_url)
        self.sessions = make_sessionmaker(self.engine)
        self.ok_ttl, self.unverified_ttl = ok_ttl, unverified_ttl
        self.memory: dict[str, Outcome] = {}
        self.in_flight: dict[str, list[Waiter]] = {}
        self.fresh: dict[str, Outcome] = {}  # outcomes of this process, written to the table on flush
        self.hits = self.misses = 0
        self.memory_limit = MEMORY_LIMIT
        self._stored: set[str] | None = None  # url_hash of the table's unexpired rows (None: not loaded)
        self._stored_at: datetime | None = None

    def ttl(self, verdict: Verdict) -> timedelta:
        if verdict.state is LinkState.OK:
            return self.ok_ttl
        if verdict.state is LinkState.UNVERIFIED and verdict.error in (
            "rate_limited",
            "anti_bot_gate",
            "access_denied",
        ):
            return self.unverified_ttl
        return timedelta(0)  # broken (and odd unverified) outcomes are checked again next run

    def lookup(self, url: str) -> Outcome | None:
        """A fresh outcome from this process or from the table; None when the target must be checked."""
        now = utcnow()
        outcome = self.memory.get(url)
        if outcome is None and self._maybe_stored(url_hash(url), now):
            try:
                with self.sessions() as session:
                    row = session.scalar(select(CachedLink).where(CachedLink.url_hash == url_hash(url)))
            except SQLAlchemyError:
                logger.warning("link cache lookup failed for %s; checking it", url, exc_info=True)
                row = None
            if row is not None:
                outcome = Outcome(
                    Verdict(
                        LinkState(row.state),
                        row.error,
                        f"{row.reason} (cached {row.checked_at:%Y-%m-%d %H:%M})",
                    ),
                    row.status,
                    row.expires_at,
                )
                self.remember(url, outcome)
        if outcome is not None and outcome.expires_at > now:
            self.hits += 1
            return outcome
        self.misses += 1
        return None

    def _maybe_stored(self, digest: str, now: datetime) -> bool:
        """Whether the table may hold ``digest``: one query for the hashes of all unexpired rows (refreshed
        every PRELOAD_REFRESH) spares a query per target the table does not know. Above PRELOAD_LIMIT rows,
        or when that query fails, every target is looked up."""
        if self._stored_at is None or now - self._stored_at > PRELOAD_REFRESH:
            self._stored_at = now
            try:
                with self.engine.connect() as conn:
                    query = (
                        select(CachedLink.url_hash)
                        .where(CachedLink.expires_at > now)
                        .limit(PRELOAD_LIMIT + 1)
                    )
                    hashes = set(conn.scalars(query))
                self._stored = hashes if len(hashes) <= PRELOAD_LIMIT else None
            except SQLAlchemyError:
                logger.warning("link cache preload failed; looking up each target", exc_info=True)
                self._stored = None
        return self._stored is None or digest in self._stored

    def remember(self, url: str, outcome: Outcome) -> None:
        """Keep an outcome in memory, the oldest dropped beyond MEMORY_LIMIT (a reusable one is in the table
        too once flushed; a dropped broken one is simply checked again)."""
        self.memory.pop(url, None)
        self.memory[url] = outcome
        while len(self.memory) > self.memory_limit:
            del self.memory[next(iter(self.memory))]

    def claim(self, url: str) -> bool:
        """True when the caller should check ``url``; False when another crawl is checking it now."""
        if url in self.in_flight:
            return False
        self.in_flight[url] = []
        return True

    def wait(self, url: str, waiter: Waiter) -> None:
        self.in_flight[url].append(waiter)

    def publish(self, url: str, verdict: Verdict, status: int | None) -> None:
        """The final outcome of a claimed check: shared now, and kept in the table when it may be reused."""
        now = utcnow()
        # within this process every final outcome is shared; expiry only matters for later runs
        self.remember(url, Outcome(verdict, status, now + max(self.ttl(verdict), timedelta(hours=12))))
        if self.ttl(verdict) > timedelta(0):
            self.fresh[url] = Outcome(verdict, status, now + self.ttl(verdict))
        for waiter in self.in_flight.pop(url, []):
            waiter(verdict, status)

    def abandon(self, url: str) -> list[Waiter]:
        """A claimed check that will not finish (its crawl stopped): the waiters must check it themselves."""
        return self.in_flight.pop(url, [])

    def flush(self) -> None:
        """Write this process's reusable outcomes to the table (one transaction)."""
        if not self.fresh:
            return
        fresh, self.fresh = self.fresh, {}
        now = utcnow()
        try:
            with self.sessions.begin() as session:
                hashes = {url_hash(u): u for u in fresh}
                session.execute(delete(CachedLink).where(CachedLink.url_hash.in_(hashes)))
                session.add_all(
                    CachedLink(
                        url_hash=h,
                        url=u[:2048],
                        state=str(fresh[u].verdict.state),
                        status=fresh[u].status,
                        error=fresh[u].verdict.error,
                        reason=fresh[u].verdict.reason[:500],
                        checked_at=now,
                        expires_at=fresh[u].expires_at,
                    )
                    for h, u in hashes.items()
                )
            if self._stored is not None:
                self._stored.update(hashes)  # found again after being dropped from memory
        except SQLAlchemyError:
            logger.warning("could not save %d link cache entries", len(fresh), exc_info=True)

    def close(self) -> None:
        self.flush()
        self.engine.dispose()
