"""The homepage's newest dated item (homepage_stale; README: How columns are judged).

Pure (lxml); ``today`` is passed in. No settings.
"""

from __future__ import annotations

from datetime import date

from pipelines.rules.columns.page import _Page
from pipelines.rules.columns.rows import _fragment_items, _row_item, _rows


def homepage_newest_date(
    html: str, page_url: str, today: date, *, page: _Page | None = None
) -> tuple[date | None, int]:
    """Newest dated item on a homepage and how many distinct dated items it shows.

    Every linked row outside the footer counts (blocks show month-day dates; the year comes from ``today``),
    plus Hanweb datastore records.
    """
    page = page or _Page(html, page_url)
    seen: dict[tuple[str | None, str], date] = {}
    for row in _rows(page, page.body):
        if page.row_region(row) != "footer" and (item := _row_item(page, row, today)) and item.date:
            seen.setdefault((item.url, item.title), item.date)
    for store in page.datastores:
        for item in _fragment_items(page.base, store.records, today):
            if item.date:
                seen.setdefault((item.url, item.title), item.date)
    return max(seen.values(), default=None), len(seen)
