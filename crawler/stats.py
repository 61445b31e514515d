"""Scrapy's in-memory stats collector without its per-access deprecation shim (STATS_CLASS).

Scrapy 2.19's StatsCollector routes every attribute access through a ``__getattribute__`` that looks for a
cached wrapper (an exception when there is none) and wraps each stats method to warn about a ``spider``
argument; with ~10 stats calls per request that was 2-3 % of a large crawl's CPU in py-spy profiles.
"""

from __future__ import annotations

from typing import Any

from scrapy.statscollectors import MemoryStatsCollector


class FastStatsCollector(MemoryStatsCollector):
    """MemoryStatsCollector with plain attribute access; the ``spider`` argument is accepted and ignored."""

    __getattribute__ = object.__getattribute__

    def inc_value(self, key: str, count: int = 1, start: int = 0, spider: Any = None) -> None:
        d = self._stats
        d[key] = d.get(key, start) + count
