"""Items the portal spider yields; defined in pipelines/items.py, which the pipelines read (layers point down)."""

from __future__ import annotations

from pipelines.items import (
    ColumnItem,
    CrawlEndItem,
    CrawlStartItem,
    HomepageItem,
    LinkBatchItem,
    LinkItem,
    PageItem,
)

__all__ = [
    "ColumnItem",
    "CrawlEndItem",
    "CrawlStartItem",
    "HomepageItem",
    "LinkBatchItem",
    "LinkItem",
    "PageItem",
]
