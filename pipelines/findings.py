"""Turn a crawl's items into its findings when the crawl ends (the verdicts: pipelines/rules/run.py).

Reads GOVHEALTH_DATABASE_URL (the operators' column overrides), GOVHEALTH_AS_OF and GOVHEALTH_RULES.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any, Self

from sqlalchemy import select

from models.session import acquire_engine, make_sessionmaker, release_engine
from models.site import ColumnOverride
from pipelines.items import ColumnItem, CrawlEndItem, CrawlStartItem, HomepageItem, LinkBatchItem, LinkItem
from pipelines.rules.history import fingerprint
from pipelines.rules.rulesfile import RuleSet
from pipelines.rules.run import ColumnOverrideRule, judge_run
from pipelines.settings import as_of_date, rules_from_settings

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.settings import BaseSettings

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class FindingsConfig:
    """Validated GOVHEALTH_DATABASE_URL, GOVHEALTH_AS_OF and GOVHEALTH_RULES settings."""

    database_url: str
    today: date
    rules: RuleSet

    @classmethod
    def from_settings(cls, settings: BaseSettings) -> FindingsConfig:
        url = settings.get("GOVHEALTH_DATABASE_URL", "sqlite:///govhealth.sqlite3")
        return cls(url, as_of_date(settings), rules_from_settings(settings))


class FindingsPipeline:
    """Collect the link, column and homepage items of a crawl; judge them all when its ``CrawlEndItem`` comes.

    The end item leaves with the findings (each with its fingerprint), the column rows and the link items.
    Stats: govhealth/findings/<kind>, govhealth/homepage/latest_date.
    """

    def __init__(self, crawler: Crawler, config: FindingsConfig) -> None:
        self.crawler = crawler
        self.config = config
        self.links: list[LinkItem] = []
        self.columns: list[ColumnItem] = []
        self.homepage: HomepageItem | None = None
        self.overrides: dict[str, ColumnOverrideRule] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler, FindingsConfig.from_settings(crawler.settings))

    def process_item(self, item: Any) -> Any:
        if isinstance(item, LinkBatchItem):
            self.links.extend(item.links)
        elif isinstance(item, LinkItem):
            self.links.append(item)
        elif isinstance(item, ColumnItem):
            self.columns.append(item)
        elif isinstance(item, HomepageItem):
            self.homepage = item
        elif isinstance(item, CrawlStartItem):
            self.overrides = self.load_overrides(item.site_id)
        elif isinstance(item, CrawlEndItem):
            self.judge(item)
        return item

    def load_overrides(self, site_id: int) -> dict[str, ColumnOverrideRule]:
        engine = acquire_engine(self.config.database_url)
        try:
            with make_sessionmaker(engine)() as session:
                query = select(ColumnOverride).where(ColumnOverride.site_id == site_id)
                return {o.url: ColumnOverrideRule(o.name, o.category) for o in session.scalars(query)}
        finally:
            release_engine(engine)

    def judge(self, end: CrawlEndItem) -> None:
        home = self.homepage
        judged = judge_run(
            self.links,
            self.columns,
            (home.url, home.read, home.latest, home.dated) if home is not None else None,
            self.overrides,
            self.config.rules,
            self.config.today,
        )
        stats = self.crawler.stats
        assert stats is not None
        for record in judged.findings:
            record["fingerprint"] = fingerprint(end.site_code, record["kind"], record["url"])
            stats.inc_value(f"govhealth/findings/{record['kind']}")
        if judged.homepage_latest is not None:
            stats.set_value("govhealth/homepage/latest_date", judged.homepage_latest.isoformat())
        end.findings, end.columns, end.links = judged.findings, judged.columns, self.links
        end.readings, end.homepage = self.columns, self.homepage
        self.links, self.columns, self.homepage = [], [], None
