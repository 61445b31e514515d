"""How the portal spider's crawl ends: its results handed to the item pipelines as items (README: Architecture).

Also keeps the 网站标识码 the homepage declares (<meta name="SiteIDCode">). Reads no settings.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import date
from typing import TYPE_CHECKING, Any

from crawler.items import CrawlEndItem, HomepageItem, LinkBatchItem, LinkItem
from pipelines.rules.metas import code_mismatch, site_metas

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

    from crawler.budgets import CrawlBudget
    from crawler.evidence import EvidenceRecorder
    from crawler.linkcache import MemoryLinkCache
    from models.repo import SiteInfo
    from pipelines.rules.judge import ColumnReading
    from pipelines.rules.ledger import LinkLedger


logger = logging.getLogger(__name__)


class CrawlEnding:
    """The end of the portal spider's crawl (a mixin): its state lives on the spider (``ledger`` …)."""

    if TYPE_CHECKING:
        crawler: Crawler
        site: SiteInfo
        homepage: str
        ledger: LinkLedger
        link_cache: MemoryLinkCache | None
        claimed: set[str]
        columns: dict[str, ColumnReading]
        homepage_read: bool
        homepage_latest: date | None
        homepage_dated: int
        homepage_evidence: tuple[int, ...]
        declared_code: str | None

        @property
        def budget(self) -> CrawlBudget: ...
        @property
        def evidence(self) -> EvidenceRecorder | None: ...

    async def closed(self, reason: str) -> None:
        if self.link_cache is not None:
            # cut short before their outcome: the waiting crawls check them themselves
            for url in self.claimed:
                for waiter in self.link_cache.abandon(url):
                    waiter(None, None)
        # Scrapy tells the close reason only with spider_closed, after it closed the pipelines' input, so the
        # end items are handed to the scraper here, its way for items that come from no response
        engine = self.crawler.engine
        assert engine is not None
        for item in self.end_items(reason):
            await engine.scraper.start_itemproc_async(item, response=None)

    def end_items(self, reason: str) -> Iterator[Any]:
        """The LinkItems of the checked targets (one batch), a ColumnItem per column, the HomepageItem, the CrawlEndItem."""
        self.ledger.mark_unconfirmed()
        yield LinkBatchItem(tuple(self.link_items()))
        yield from self.columns.values()
        yield HomepageItem(
            self.homepage,
            self.homepage_read,
            self.homepage_latest,
            self.homepage_dated,
            self.homepage_evidence,
        )
        yield CrawlEndItem(
            self.site.id,
            self.site.code,
            reason,
            self.budget.budget_hit,
            tuple(self.budget.limits),
            spool=self.evidence.spool if self.evidence is not None else None,
            declared_code=self.declared_code,
        )

    def declare_site(self, html: str) -> None:
        """Keep the 网站标识码 the homepage declares; another one than the registry's is a registry error."""
        self.declared_code = declared = site_metas(html).code
        if declared is None:
            return
        stats = self.crawler.stats
        assert stats is not None
        stats.set_value("govhealth/site/declared_code", declared)
        if code_mismatch(declared, self.site.code):
            stats.set_value("govhealth/site/code_mismatch", 1)
            logger.warning(
                "%s declares SiteIDCode %s, registered as %s: check the registry",
                self.homepage,
                declared,
                self.site.code,
            )

    def link_items(self) -> Iterator[LinkItem]:
        for target in self.ledger.checked():
            assert target.verdict is not None
            yield LinkItem(
                url=target.url,
                resource_type=target.resource_type,
                internal=target.internal,
                verdict=target.verdict,
                status=target.status,
                attempts=target.attempts,
                link_text=target.link_text,
                sources=target.sources,
                source_count=target.source_count,
                on_homepage=target.on_homepage,
                evidence=target.evidence,
                found_in=target.found_in,
            )
