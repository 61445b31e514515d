"""Judge what the crawl read of columns and the homepage: blank, stale, unverified or fine (README: How columns are judged).

Pure: the reading, the category's period and ``today`` in; a status and at most one finding out.
A column the crawler could not read properly is never blank or stale: it is unverified, with the reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from pipelines.rules.findings import blank_finding
from pipelines.rules.kinds import ColumnStatus, FindingKind, PageKind

HOMEPAGE_PERIOD_DAYS = 14  # 网站不更新: no dated homepage item newer than two weeks (national indicators)


@dataclass
class ColumnReading:
    """What the spider read of one column (its list page and any follow-up pages)."""

    url: str
    name: str
    how: str
    top_level: bool = True
    page_kind: PageKind = PageKind.PENDING  # until its page was read
    item_count: int = 0
    dates: list[date] = field(default_factory=list)
    undated: int = 0
    placeholder: str | None = None
    reason: str = ""
    error: str | None = None  # why its page could not be read (HTTP 404, anti_bot_gate, ...)
    pending: int = 0  # follow-up requests still out (paging, dataproxy, frames, article pages)
    evidence: list[int] = field(default_factory=list)  # spool references of the pages read for it

    @property
    def latest(self) -> date | None:
        return max(self.dates, default=None)


@dataclass(frozen=True)
class ColumnVerdict:
    """A column's inventory status and the finding it gives, if any."""

    status: ColumnStatus
    finding: dict[str, Any] | None
    reason: str


def judge_column(
    reading: ColumnReading, *, category: str, period_days: int | None, today: date, single_page: bool = False
) -> ColumnVerdict:
    """Blank when it shows nothing (or only a placeholder); stale when its newest item is older than its period.

    A ``single_page`` column (机构职能, 联系我们 … by the rules file's names) is a content page: blank only
    when its content area is empty or a placeholder, never stale. One function per verdict below, in order.
    """
    fields = {"column_name": reading.name, "column_category": category, "item_count": reading.item_count}
    if (
        single_page
        and not reading.error
        and reading.page_kind in (PageKind.LIST, PageKind.UNKNOWN, PageKind.SINGLE)
    ):
        return ColumnVerdict(
            ColumnStatus.SINGLE, None, "content page (a single-page column): not judged for staleness"
        )
    verdict = unverified_column(reading, fields) or blank_column(reading, fields)
    if verdict is not None:
        return verdict
    if reading.page_kind == PageKind.SINGLE:
        return ColumnVerdict(ColumnStatus.SINGLE, None, "content page: not judged for staleness")
    return stale_column(reading, fields, period_days, today)


def unverified_column(reading: ColumnReading, fields: dict[str, Any]) -> ColumnVerdict | None:
    """unverified_column: its page or list could not be read, so it is neither blank nor stale."""
    if not (reading.error or reading.page_kind in (PageKind.PENDING, PageKind.UNKNOWN)):
        return None
    why = reading.error or reading.reason or "its list could not be read"
    reason = f"column not verified: {why}"
    return ColumnVerdict(
        ColumnStatus.UNVERIFIED,
        blank_finding(
            FindingKind.UNVERIFIED_COLUMN,
            reading.url,
            reason=reason,
            error=reading.error or "unreadable_list",
            **fields,
        ),
        reason,
    )


def blank_column(reading: ColumnReading, fields: dict[str, Any]) -> ColumnVerdict | None:
    """blank_column (空白栏目): the page was read and shows no item, or only a placeholder."""
    if not (
        reading.page_kind == PageKind.EMPTY
        or (reading.page_kind == PageKind.LIST and reading.item_count == 0)
    ):
        return None
    reason = (
        f"blank column: shows only {reading.placeholder!r}"
        if reading.placeholder
        else "blank column: no items"
    )
    return ColumnVerdict(
        ColumnStatus.BLANK,
        blank_finding(FindingKind.BLANK_COLUMN, reading.url, reason=reason, **fields),
        reason,
    )


def stale_column(
    reading: ColumnReading, fields: dict[str, Any], period_days: int | None, today: date
) -> ColumnVerdict:
    """stale_column (应更新但长期未更新): its newest dated item is older than its category's period."""
    latest = reading.latest
    if not period_days:
        return ColumnVerdict(ColumnStatus.OK, None, "no update period for this category")
    age = (today - latest).days if latest else None
    if latest is not None and age is not None and age <= period_days:
        return ColumnVerdict(ColumnStatus.OK, None, f"newest item {latest.isoformat()}, {age} days old")
    reason = (
        f"newest item {latest.isoformat()} is {age} days old, over the {period_days}-day period"
        if latest
        else f"none of its {reading.item_count} items carries a publication date (counts as not updated)"
    )
    finding = blank_finding(
        FindingKind.STALE_COLUMN, reading.url, reason=reason, latest_date=latest, **fields
    )
    return ColumnVerdict(ColumnStatus.STALE, finding, reason)


def judge_homepage(
    url: str,
    homepage_latest: date | None,
    dated_items: int,
    columns_latest: date | None,
    today: date,
    period_days: int = HOMEPAGE_PERIOD_DAYS,
) -> dict[str, Any] | None:
    """homepage_stale when the newest dated homepage item is older than the period.

    A navigation-only homepage (no dated item) is judged by its second-level pages' newest date; when
    nothing anywhere carries a date the homepage is unverified rather than stale.
    """
    latest, source = (homepage_latest, "homepage") if dated_items else (columns_latest, "second-level pages")
    if latest is None:
        return blank_finding(
            FindingKind.UNVERIFIED_COLUMN,
            url,
            error="no_dates",
            column_name="首页",
            reason="no dated item found on the homepage or its columns",
        )
    age = (today - latest).days
    if age <= period_days:
        return None
    return blank_finding(
        FindingKind.HOMEPAGE_STALE,
        url,
        latest_date=latest,
        on_homepage=True,
        reason=f"newest item on the {source} is {latest.isoformat()}, {age} days old "
        f"(over {period_days} days)",
    )
