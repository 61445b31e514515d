"""Items the portal spider yields: what it saw, never what it judged (crawler/items.py re-exports them).

The flow (README: Architecture): ``CrawlStartItem`` first, a ``PageItem`` per page while crawling, and when
the crawl ends a ``LinkItem`` per checked target, a ``ColumnItem`` per column, the ``HomepageItem`` and last
the ``CrawlEndItem``, which the findings pipeline fills with the run's findings and the store writes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from pipelines.rules.judge import ColumnReading
from pipelines.rules.kinds import ResourceType
from pipelines.rules.links import Verdict


@dataclass(frozen=True)
class CrawlStartItem:
    """The inspection of one site begins (the store opens its run row)."""

    site_id: int
    site_code: str
    nightly_id: int | None = None


@dataclass
class PageItem:
    """One page of the site that was crawled (parsed for links and columns)."""

    url: str
    depth: int
    status: int
    title: str | None = None


@dataclass(frozen=True, slots=True)  # one per checked target, all alive when a crawl ends
class LinkItem:
    """A link target's final check: its verdict after any re-check, and the pages that link to it."""

    url: str
    resource_type: ResourceType
    internal: bool
    verdict: Verdict
    status: int | None
    attempts: int
    link_text: str | None = None
    sources: tuple[str, ...] = ()
    source_count: int = 0
    on_homepage: bool = False
    evidence: tuple[
        int, ...
    ] = ()  # spool references of its failed checks, in order (README: Evidence archive)
    found_in: int | None = None  # spool reference of the page (or list data) it was first found on


@dataclass(frozen=True)
class LinkBatchItem:
    """The LinkItems of a crawl in one item: Scrapy's per-item machinery (signals, one task per pipeline) cost
    ~5 % of a 44,000-target crawl's CPU for items that the findings pipeline only collects."""

    links: tuple[LinkItem, ...]


# A column reading is already a plain dataclass of what was read (list pages, items, dates, how it was found).
ColumnItem = ColumnReading


@dataclass(frozen=True)
class HomepageItem:
    """What the homepage showed: its newest dated item, if it was read at all."""

    url: str
    read: bool
    latest: date | None
    dated: int
    evidence: tuple[int, ...] = ()  # spool reference of the homepage as read


@dataclass
class CrawlEndItem:
    """The crawl is over: why, and which budgets or limits cut it short.

    The findings pipeline adds the run's findings and column rows; the store writes them with the run.
    """

    site_id: int
    site_code: str
    reason: str
    budget_hit: str | None = None
    limits: tuple[str, ...] = ()
    findings: list[dict[str, Any]] = field(default_factory=list)
    columns: list[dict[str, Any]] = field(default_factory=list)
    links: list[LinkItem] = field(default_factory=list)
    # the evidence archive's inputs: the spool of what was read (crawler/evidence.py), and the column and
    # homepage readings with their references into it, handed on by the findings pipeline
    spool: Any = None
    readings: list[ColumnItem] = field(default_factory=list)
    homepage: HomepageItem | None = None
    declared_code: str | None = None  # the homepage's <meta name="SiteIDCode">, if it declares one

    @property
    def complete(self) -> bool:
        """Finished on its own, no budget reached: a run that may resolve earlier findings."""
        return self.reason == "finished" and self.budget_hit is None
