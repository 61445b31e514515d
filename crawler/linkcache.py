"""The shared link cache: an external target linked from many sites is checked once.

Three back ends, each adding to the one before:
- ``MemoryLinkCache``: within one process (a `scrapy nightly` run, or one crawl) every outcome is shared,
  and a target being checked for one site makes the others wait for its outcome instead of fetching it again;
- ``LinkCache``: outcomes are also kept across runs in the `link_cache` table: ok ones for
  GOVHEALTH_LINK_CACHE_OK_HOURS, unverified ones for GOVHEALTH_LINK_CACHE_UNVERIFIED_HOURS; broken ones
  are never reused across runs (re-checked);
- ``crawler.distributed.RedisLinkCache``: claims and outcomes shared between worker processes.

``LinkCacheComponent`` (an extension) gives a single crawl its own table-backed cache; `scrapy nightly`
shares one cache between its crawls instead (the spider's ``link_cache`` argument).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Self

from scrapy import Spider, signals
from scrapy.exceptions import NotConfigured
from sqlalchemy import delete, select
from sqlalchemy.exc import SQLAlchemyError

from models.base import utcnow
from models.nightly import CachedLink
from models.session import acquire_engine, make_sessionmaker, release_engine
from pipelines.rules.kinds import LinkState
from pipelines.rules.links import Verdict

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
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


class MemoryLinkCache:
    """Outcomes of external link checks shared by the crawls of one process, at most MEMORY_LIMIT of them."""

    def __init__(self, ok_ttl: timedelta, unverified_ttl: timedelta) -> None:
        self.ok_ttl, self.unverified_ttl = ok_ttl, unverified_ttl
        self.memory: dict[str, Outcome] = {}
        self.in_flight: dict[str, list[Waiter]] = {}
        self.fresh: dict[str, Outcome] = {}  # reusable outcomes of this process (a table back end keeps them)
        self.hits = self.misses = 0
        self.memory_limit = MEMORY_LIMIT

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
        """A fresh outcome from this process or from the back end; None when the target must be checked."""
        now = utcnow()
        outcome = self.memory.get(url)
        if outcome is None:
            outcome = self.stored(url, now)
            if outcome is not None:
                self.remember(url, outcome)
        if outcome is not None and outcome.expires_at > now:
            self.hits += 1
            return outcome
        self.misses += 1
        return None

    def stored(self, url: str, now: datetime) -> Outcome | None:
        """An outcome kept by an earlier run (none in memory alone)."""
        return None

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
        """Keep this process's reusable outcomes for later runs (nothing to keep them in memory alone)."""
        self.fresh.clear()

    def close(self) -> None:
        self.flush()


class LinkCache(MemoryLinkCache):
    """The memory cache, with reusable outcomes kept across runs in the `link_cache` table."""

    def __init__(self, database_url: str, ok_ttl: timedelta, unverified_ttl: timedelta) -> None:
        super().__init__(ok_ttl, unverified_ttl)
        self.engine = acquire_engine(database_url)
        self.sessions = make_sessionmaker(self.engine)
        self._stored: set[str] | None = None  # url_hash of the table's unexpired rows (None: not loaded)
        self._stored_at: datetime | None = None

    def stored(self, url: str, now: datetime) -> Outcome | None:
        if not self._maybe_stored(url_hash(url), now):
            return None
        try:
            with self.sessions() as session:
                row = session.scalar(select(CachedLink).where(CachedLink.url_hash == url_hash(url)))
        except SQLAlchemyError:
            logger.warning("link cache lookup failed for %s; checking it", url, exc_info=True)
            return None
        if row is None:
            return None
        verdict = Verdict(
            LinkState(row.state), row.error, f"{row.reason} (cached {row.checked_at:%Y-%m-%d %H:%M})"
        )
        return Outcome(verdict, row.status, row.expires_at)

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
        super().close()
        release_engine(self.engine)


class LinkCacheComponent:
    """Give a crawl that was handed no shared cache its own table-backed one, closed (flushed) when it ends.

    An extension (EXTENSIONS), off with GOVHEALTH_LINK_CACHE = False; only spiders with
    ``govhealth_budgets = True`` and a ``link_cache`` attribute use it. `scrapy nightly` hands its crawls
    one shared cache instead, which it closes itself.
    """

    def __init__(self, crawler: Crawler, database_url: str) -> None:
        self.crawler = crawler
        self.database_url = database_url
        self.cache: LinkCache | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        settings = crawler.settings
        if not settings.getbool("GOVHEALTH_LINK_CACHE", True):
            raise NotConfigured("GOVHEALTH_LINK_CACHE is off")
        component = cls(crawler, settings.get("GOVHEALTH_DATABASE_URL", "sqlite:///govhealth.sqlite3"))
        crawler.signals.connect(component.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(component.spider_closed, signal=signals.spider_closed)
        return component

    def spider_opened(self, spider: Spider) -> None:
        if not getattr(spider, "govhealth_budgets", False) or getattr(spider, "link_cache", True) is not None:
            return
        self.cache = LinkCache(self.database_url, **cache_ttls(self.crawler.settings))
        spider.link_cache = self.cache  # type: ignore[attr-defined]

    def spider_closed(self, spider: Spider) -> None:
        if self.cache is not None:
            self.cache.close()
            self.cache = None
