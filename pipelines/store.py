"""Store a run in SQL: the run row, every link check, the column inventory, the findings and their history.

Reads GOVHEALTH_DATABASE_URL and GOVHEALTH_BATCH_SIZE. Writes happen in batches when the crawl's end
item arrives, not one transaction per item.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import islice
from typing import TYPE_CHECKING, Any, Self

from sqlalchemy import insert, select
from sqlalchemy.exc import SQLAlchemyError

from models.base import utcnow
from models.column import Column
from models.finding import Finding, FindingHistory
from models.link import LinkCheck
from models.nightly import INSPECTED_REASONS
from models.run import RUN_COMPLETE, RUN_INCOMPLETE, CrawlRun
from models.session import acquire_engine, make_sessionmaker, release_engine
from pipelines.items import CrawlEndItem, CrawlStartItem, LinkItem, PageItem
from pipelines.rules.history import FindingHistory as HistoryState
from pipelines.rules.history import advance_history
from pipelines.rules.kinds import LinkState

if TYPE_CHECKING:
    from datetime import datetime

    from scrapy.crawler import Crawler
    from sqlalchemy.orm import Session

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class StoreConfig:
    """Validated GOVHEALTH_DATABASE_URL and GOVHEALTH_BATCH_SIZE settings."""

    database_url: str
    batch_size: int

    @classmethod
    def from_settings(cls, settings: Any) -> StoreConfig:
        batch = settings.getint("GOVHEALTH_BATCH_SIZE", 500)
        if batch < 1:
            raise ValueError(f"GOVHEALTH_BATCH_SIZE must be >= 1, got {batch}")
        url = settings.get("GOVHEALTH_DATABASE_URL", "sqlite:///govhealth.sqlite3")
        return cls(url, batch)


class StorePipeline:
    """Write a crawl run: its row when the crawl starts, then, with its ``CrawlEndItem``, everything it found.

    Reads only items (pipelines/items.py), never the spider. Stats: govhealth/run_id, govhealth/stored/link_checks.
    """

    def __init__(self, crawler: Crawler, config: StoreConfig) -> None:
        self.crawler = crawler
        self.config = config
        self.pages = 0
        self.run_id: int | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler, StoreConfig.from_settings(crawler.settings))

    def open_spider(self) -> None:
        self.engine = acquire_engine(self.config.database_url)
        self.sessions = make_sessionmaker(self.engine)

    def process_item(self, item: Any) -> Any:
        if isinstance(item, PageItem):
            self.pages += 1
        elif isinstance(item, CrawlStartItem):
            self.open_run(item)
        elif isinstance(item, CrawlEndItem):
            try:
                self.store_run(item)
            except SQLAlchemyError:
                logger.exception("Could not store run %s of %s", self.run_id, item.site_code)
                raise
            finally:
                release_engine(self.engine)
        return item

    def open_run(self, start: CrawlStartItem) -> None:
        with self.sessions.begin() as session:
            run = CrawlRun(site_id=start.site_id, nightly_id=start.nightly_id, started_at=utcnow())
            session.add(run)
            session.flush()
            self.run_id = run.id
        self.crawler.stats.set_value("govhealth/run_id", self.run_id)

    def store_run(self, end: CrawlEndItem) -> None:
        now = utcnow()
        checks, findings = end.links, end.findings
        stats = self.crawler.stats
        assert stats is not None
        with self.sessions.begin() as session:
            self.insert_batches(session, LinkCheck, (self.link_row(t, now) for t in checks))
            self.insert_batches(
                session,
                Finding,
                ({**f, "run_id": self.run_id, "site_id": end.site_id, "detected_at": now} for f in findings),
            )
            self.insert_batches(session, Column, ({**c, "run_id": self.run_id} for c in end.columns))
            if (
                end.reason in INSPECTED_REASONS
            ):  # a partial run (Ctrl-C, SIGTERM) is never reported: no history either
                self.update_history(session, end.site_id, findings, now, complete=end.complete)
            run = session.get_one(CrawlRun, self.run_id)
            run.finished_at = now
            run.status = RUN_COMPLETE if end.complete else RUN_INCOMPLETE
            run.budget_hit = end.budget_hit
            run.limits = list(end.limits)
            run.declared_code = end.declared_code
            run.close_reason = end.reason
            run.pages = self.pages
            run.targets = len(checks)
            run.broken = sum(1 for t in checks if t.verdict.state is LinkState.BROKEN)
            run.unverified = sum(1 for t in checks if t.verdict.state is LinkState.UNVERIFIED)
            run.stats = _jsonable(stats.get_stats())
        stats.set_value("govhealth/stored/link_checks", len(checks))
        logger.info(
            "Stored run %d of %s: %d pages, %d targets, %d findings (%s)",
            self.run_id,
            end.site_code,
            self.pages,
            len(checks),
            len(findings),
            run.status,
        )

    def insert_batches(self, session: Session, model: type, rows: Iterable[dict[str, Any]]) -> None:
        for chunk in batched(rows, self.config.batch_size):
            session.execute(insert(model), list(chunk))

    def link_row(self, target: LinkItem, now: datetime) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "url": target.url,
            "state": str(target.verdict.state),
            "status": target.status,
            "error": target.verdict.error,
            "reason": target.verdict.reason[:500],
            "resource_type": str(target.resource_type),
            "external": not target.internal,
            "on_homepage": target.on_homepage,
            "link_text": (target.link_text or None) and target.link_text[:500],
            "sources": list(target.sources),
            "source_count": target.source_count,
            "attempts": target.attempts,
            "checked_at": now,
        }

    def update_history(
        self,
        session: Session,
        site_id: int,
        findings: Sequence[dict[str, Any]],
        now: datetime,
        *,
        complete: bool,
    ) -> None:
        """Carry each finding's identity across runs; an incomplete run resolves nothing."""
        rows = {
            h.fingerprint: h
            for h in session.scalars(select(FindingHistory).where(FindingHistory.site_id == site_id))
        }
        previous = {
            fp: HistoryState(fp, h.first_seen, h.last_seen, h.runs_seen, h.resolved_at)
            for fp, h in rows.items()
        }
        by_fp = {f["fingerprint"]: f for f in findings}
        for fp, state in advance_history(previous, by_fp.keys(), run_time=now, run_complete=complete).items():
            row = rows.get(fp)
            if row is None:
                found = by_fp[fp]
                row = FindingHistory(site_id=site_id, fingerprint=fp, kind=found["kind"], url=found["url"])
                session.add(row)
            row.first_seen, row.last_seen = state.first_seen, state.last_seen
            row.runs_seen, row.resolved_at = state.runs_seen, state.resolved_at


def batched(rows: Iterable[dict[str, Any]], size: int) -> Iterable[list[dict[str, Any]]]:
    """Chunks of ``size`` rows (itertools.batched arrived only in Python 3.12)."""
    iterator = iter(rows)
    while chunk := list(islice(iterator, size)):
        yield chunk


def _jsonable(stats: dict[str, Any]) -> dict[str, Any]:
    return {
        k: v if isinstance(v, int | float | str | bool) or v is None else str(v) for k, v in stats.items()
    }
