"""Store a run in SQL: the run row, every link check, the findings and their history.

Reads GOVHEALTH_DATABASE_URL and GOVHEALTH_BATCH_SIZE. Writes happen in batches when the
spider closes, not one transaction per item.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from itertools import islice
from typing import TYPE_CHECKING, Any, Self

from scrapy import Spider, signals
from sqlalchemy import insert, select
from sqlalchemy.exc import SQLAlchemyError

from models.base import utcnow
from models.column import Column
from models.finding import Finding, FindingHistory
from models.link import LinkCheck
from models.nightly import INSPECTED_REASONS
from models.run import RUN_COMPLETE, RUN_INCOMPLETE, CrawlRun
from models.session import make_sessionmaker, open_database
from models.site import ColumnOverride
from pipelines.items import PageItem
from pipelines.rules.columns import category_for
from pipelines.rules.findings import homepage_finding, link_findings
from pipelines.rules.history import FindingHistory as HistoryState
from pipelines.rules.history import advance_history, fingerprint
from pipelines.rules.judge import judge_column, judge_homepage
from pipelines.rules.kinds import LinkState
from pipelines.rules.rulesfile import RuleSet, category_period
from pipelines.settings import as_of_date, rules_from_settings

if TYPE_CHECKING:
    from datetime import datetime

    from scrapy.crawler import Crawler
    from sqlalchemy.orm import Session

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class StoreConfig:
    """Validated GOVHEALTH_DATABASE_URL, GOVHEALTH_BATCH_SIZE, GOVHEALTH_AS_OF and GOVHEALTH_RULES settings."""

    database_url: str
    batch_size: int
    today: date
    rules: RuleSet

    @classmethod
    def from_settings(cls, settings: Any) -> StoreConfig:
        batch = settings.getint("GOVHEALTH_BATCH_SIZE", 500)
        if batch < 1:
            raise ValueError(f"GOVHEALTH_BATCH_SIZE must be >= 1, got {batch}")
        url = settings.get("GOVHEALTH_DATABASE_URL", "sqlite:///govhealth.sqlite3")
        return cls(url, batch, as_of_date(settings), rules_from_settings(settings))


class StorePipeline:
    """Open a crawl run, collect what the spider saw, and write it all when the spider closes.

    Stats: govhealth/run_id, govhealth/findings/<kind>, govhealth/stored/link_checks.
    """

    def __init__(self, crawler: Crawler, config: StoreConfig) -> None:
        self.crawler = crawler
        self.config = config
        self.pages = 0

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        pipeline = cls(crawler, StoreConfig.from_settings(crawler.settings))
        crawler.signals.connect(pipeline.spider_closed, signal=signals.spider_closed)
        return pipeline

    def open_spider(self) -> None:
        self.engine = open_database(self.config.database_url)
        self.sessions = make_sessionmaker(self.engine)
        spider = self.crawler.spider
        with self.sessions.begin() as session:
            nightly_id = int(getattr(spider, "nightly_id", 0) or 0) or None  # set by `scrapy nightly`
            run = CrawlRun(site_id=spider.site.id, nightly_id=nightly_id, started_at=utcnow())  # type: ignore[union-attr]
            session.add(run)
            session.flush()
            self.run_id = run.id
        spider.run_id = self.run_id  # type: ignore[union-attr]
        self.crawler.stats.set_value("govhealth/run_id", self.run_id)

    def process_item(self, item: Any) -> Any:
        if isinstance(item, PageItem):
            self.pages += 1
        return item

    def spider_closed(self, spider: Spider, reason: str) -> None:
        """Write the run once Scrapy knows why it ended (the pipelines close before that)."""
        try:
            self.store_run(spider, reason)
        except SQLAlchemyError:
            logger.exception("Could not store run %s of %s", self.run_id, getattr(spider, "code", "?"))
            raise
        finally:
            self.engine.dispose()

    def store_run(self, spider: Any, reason: str) -> None:
        ledger = spider.ledger
        ledger.mark_unconfirmed()
        now = utcnow()
        findings = link_findings(ledger.checked(), ledger.homepage_url)
        if (site_down := homepage_finding(ledger.get(ledger.homepage_url))) is not None:
            findings.append(site_down)
        with self.sessions() as session:
            overrides = {o.url: o for o in session.scalars(select(ColumnOverride).where(ColumnOverride.site_id == spider.site.id))}
        columns, column_found = self.judge_columns(spider, overrides)
        findings.extend(column_found)
        complete = reason == "finished" and spider.budget_hit is None
        stats = self.crawler.stats
        assert stats is not None
        for record in findings:
            record["fingerprint"] = fingerprint(spider.site.code, record["kind"], record["url"])
            stats.inc_value(f"govhealth/findings/{record['kind']}")
        checks = list(ledger.checked())
        with self.sessions.begin() as session:
            self.insert_batches(session, LinkCheck, (self.link_row(t, now) for t in checks))
            self.insert_batches(
                session, Finding, ({**f, "run_id": self.run_id, "site_id": spider.site.id, "detected_at": now} for f in findings)
            )
            self.insert_batches(session, Column, ({**c, "run_id": self.run_id} for c in columns))
            if reason in INSPECTED_REASONS:  # a partial run (Ctrl-C, SIGTERM) is never reported: no history either
                self.update_history(session, spider.site.id, findings, now, complete=complete)
            run = session.get_one(CrawlRun, self.run_id)
            run.finished_at = now
            run.status = RUN_COMPLETE if complete else RUN_INCOMPLETE
            run.budget_hit = spider.budget_hit
            run.limits = list(spider.limits)
            run.close_reason = reason
            run.pages = self.pages
            run.targets = len(checks)
            run.broken = sum(1 for t in checks if t.verdict.state is LinkState.BROKEN)
            run.unverified = sum(1 for t in checks if t.verdict.state is LinkState.UNVERIFIED)
            run.stats = _jsonable(stats.get_stats())
        stats.set_value("govhealth/stored/link_checks", len(checks))
        logger.info(
            "Stored run %d of %s: %d pages, %d targets, %d findings (%s)",
            self.run_id, spider.site.code, self.pages, len(checks), len(findings), run.status,
        )

    def judge_columns(
        self, spider: Any, overrides: dict[str, ColumnOverride]
    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """Column rows for the inventory and the column/homepage findings, judged against the rules."""
        rules, today = self.config.rules, self.config.today
        rows, found = [], []
        for reading in spider.columns.values():
            override = overrides.get(reading.url)
            if override is not None and override.name:
                reading.name = override.name
            category = (override.category if override is not None and override.category else None) or str(
                category_for(reading.name, rules.keywords)
            )
            single = any(name in reading.name for name in rules.single_page_names)
            verdict = judge_column(reading, category=category, period_days=category_period(rules, category), today=today,
                                   single_page=single)
            if verdict.finding is not None:
                found.append(verdict.finding)
            rows.append({
                "url": reading.url, "name": reading.name[:200], "category": category, "how": reading.how,
                "page_kind": reading.page_kind, "item_count": reading.item_count if reading.page_kind != "single" else None,
                "latest_date": reading.latest, "status": verdict.status, "reason": verdict.reason[:500],
                "top_level": reading.top_level,
            })
        homepage = spider.ledger.get(spider.ledger.homepage_url)
        if spider.homepage_read and homepage is not None and homepage.verdict.state is LinkState.OK:
            columns_latest = max((r.latest for r in spider.columns.values() if r.latest), default=None)
            stale = judge_homepage(spider.ledger.homepage_url, spider.homepage_latest, spider.homepage_dated,
                                   columns_latest, today)
            if stale is not None:
                found.append(stale)
            latest = spider.homepage_latest if spider.homepage_dated else columns_latest
            if latest:
                self.crawler.stats.set_value("govhealth/homepage/latest_date", latest.isoformat())
        return rows, found

    def insert_batches(self, session: Session, model: type, rows: Iterable[dict[str, Any]]) -> None:
        for chunk in batched(rows, self.config.batch_size):
            session.execute(insert(model), list(chunk))

    def link_row(self, target: Any, now: datetime) -> dict[str, Any]:
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
        self, session: Session, site_id: int, findings: Sequence[dict[str, Any]], now: datetime, *, complete: bool
    ) -> None:
        """Carry each finding's identity across runs; an incomplete run resolves nothing."""
        rows = {h.fingerprint: h for h in session.scalars(select(FindingHistory).where(FindingHistory.site_id == site_id))}
        previous = {
            fp: HistoryState(fp, h.first_seen, h.last_seen, h.runs_seen, h.resolved_at) for fp, h in rows.items()
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
    return {k: v if isinstance(v, int | float | str | bool) or v is None else str(v) for k, v in stats.items()}
