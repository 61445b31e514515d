"""Store a probe pass (`scrapy probe`) as `Probe` rows, all in one transaction when the spider closes.

Reads GOVHEALTH_DATABASE_URL and GOVHEALTH_BATCH_SIZE.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Self

from sqlalchemy import insert
from sqlalchemy.exc import SQLAlchemyError

from models.probe import Probe
from models.session import acquire_engine, make_sessionmaker, release_engine, safe_url
from pipelines.probe_items import ProbeItem

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.settings import BaseSettings
    from sqlalchemy import Engine
    from sqlalchemy.orm import Session, sessionmaker

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ProbeStoreConfig:
    """Validated GOVHEALTH_DATABASE_URL and GOVHEALTH_BATCH_SIZE settings."""

    database_url: str
    batch_size: int

    @classmethod
    def from_settings(cls, settings: BaseSettings) -> ProbeStoreConfig:
        batch = settings.getint("GOVHEALTH_BATCH_SIZE", 500)
        if batch < 1:
            raise ValueError(f"GOVHEALTH_BATCH_SIZE must be >= 1, got {batch}")
        return cls(str(settings.get("GOVHEALTH_DATABASE_URL", "sqlite:///govhealth.sqlite3")), batch)


class ProbePipeline:
    """Collect the pass's `ProbeItem`s and insert them as `Probe` rows when the spider closes.

    All or nothing: the rows go in one transaction (GOVHEALTH_BATCH_SIZE rows per INSERT), and only when
    every site of the spider's ``sites`` (if it has that attribute) gave a probe; a pass that stopped early
    stores nothing. Settings: GOVHEALTH_DATABASE_URL, GOVHEALTH_BATCH_SIZE.
    Stats: govhealth/probes/stored (rows written; absent when nothing was stored).
    After the crawl, ``probes`` holds the items received and ``stored`` says whether they were written.
    """

    def __init__(self, crawler: Crawler, config: ProbeStoreConfig) -> None:
        self.crawler = crawler
        self.config = config
        self.probes: list[ProbeItem] = []
        self.stored = False
        self.engine: Engine | None = None
        self.sessions: sessionmaker[Session] | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler, ProbeStoreConfig.from_settings(crawler.settings))

    def open_spider(self) -> None:
        """Connect (and migrate) before the first request, so an unreachable database fails the pass at once."""
        self.engine = acquire_engine(self.config.database_url)
        self.sessions = make_sessionmaker(self.engine)

    def process_item(self, item: Any) -> Any:
        if isinstance(item, ProbeItem):
            self.probes.append(item)
        return item

    def close_spider(self) -> None:
        try:
            expected = self.expected()
            if expected is not None and len(self.probes) != expected:
                logger.warning(
                    "The probe pass stopped early (%d of %d sites): nothing stored",
                    len(self.probes),
                    expected,
                )
                return
            self.store()
        finally:
            if self.engine is not None:
                release_engine(self.engine)

    def expected(self) -> int | None:
        """How many probes make a whole pass: one per site the spider was given, if it says."""
        sites = getattr(self.crawler.spider, "sites", None)
        return None if sites is None else len(sites)

    def store(self) -> None:
        assert self.sessions is not None
        rows = [
            {
                "site_id": i.site_id,
                "at": i.at,
                "ok": i.ok,
                "status": i.status,
                "elapsed_ms": i.elapsed_ms,
                "error": i.error,
            }
            for i in self.probes
        ]
        size = self.config.batch_size
        try:
            with self.sessions.begin() as session:
                for start in range(0, len(rows), size):
                    session.execute(insert(Probe), rows[start : start + size])
        except SQLAlchemyError:
            logger.exception(
                "Could not store the probe pass (%d probes) in %s",
                len(rows),
                safe_url(self.config.database_url),
            )
            raise
        self.stored = True
        assert self.crawler.stats is not None
        self.crawler.stats.set_value("govhealth/probes/stored", len(rows))
