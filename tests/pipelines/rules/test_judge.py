"""Column and homepage judgement: blank, stale, unverified or fine, with the period boundaries."""

from __future__ import annotations

from datetime import date

import pytest

from pipelines.rules.judge import ColumnReading, judge_column, judge_homepage

TODAY = date(2018, 1, 5)


def reading(kind: str, items: int = 0, dates: tuple[date, ...] = (), **extra: object) -> ColumnReading:
    return ColumnReading(
        url="http://x.example/c/",
        name="工作动态",
        how="nav",
        page_kind=kind,
        item_count=items,
        dates=list(dates),
        **extra,
    )  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("column", "period", "single_page", "status", "kind"),
    [
        (reading("unknown"), 14, False, "unverified", "unverified_column"),
        (reading("pending"), 14, False, "unverified", "unverified_column"),
        (
            reading("list", 3, (date(2018, 1, 4),), error="anti_bot_gate"),
            14,
            False,
            "unverified",
            "unverified_column",
        ),
        (reading("empty", placeholder="暂无信息"), 14, False, "blank", "blank_column"),
        (reading("empty"), None, False, "blank", "blank_column"),
        (reading("list", 0), 14, False, "blank", "blank_column"),
        (reading("single"), 14, False, "single", None),
        (reading("unknown"), None, True, "single", None),  # 机构职能 by name: a content page
        (reading("empty", placeholder="正在建设中"), None, True, "blank", "blank_column"),
        (reading("list", 5, (date(2017, 12, 22),)), 14, False, "ok", None),  # 14 days old: at the line
        (reading("list", 5, (date(2017, 12, 21),)), 14, False, "stale", "stale_column"),  # 15 days
        (
            reading("list", 5, (date(2015, 1, 1), date(2018, 1, 3))),
            14,
            False,
            "ok",
            None,
        ),  # pinned old item first
        (reading("list", 5), 14, False, "stale", "stale_column"),  # undated items count as not updated
        (reading("list", 5, (date(2010, 1, 1),)), None, False, "ok", None),  # no period: never stale
        (reading("list", 5, (date(2017, 7, 6),)), 183, False, "ok", None),
        (reading("list", 5, (date(2017, 7, 5),)), 183, False, "stale", "stale_column"),
    ],
)
def test_judge_column(
    column: ColumnReading, period: int | None, single_page: bool, status: str, kind: str | None
) -> None:
    verdict = judge_column(column, category="news", period_days=period, today=TODAY, single_page=single_page)
    assert verdict.status == status
    assert (verdict.finding or {}).get("kind") == kind
    if verdict.finding:
        assert verdict.finding["column_name"] == "工作动态"
        assert verdict.finding["reason"]


def test_stale_finding_carries_its_evidence() -> None:
    verdict = judge_column(
        reading("list", 7, (date(2017, 6, 1), date(2017, 5, 1))), category="news", period_days=14, today=TODAY
    )
    finding = verdict.finding
    assert finding is not None
    assert (finding["latest_date"], finding["item_count"], finding["column_category"]) == (
        date(2017, 6, 1),
        7,
        "news",
    )


@pytest.mark.parametrize(
    ("homepage_latest", "dated", "columns_latest", "kind"),
    [
        (date(2018, 1, 3), 12, None, None),
        (date(2017, 12, 22), 12, date(2018, 1, 4), None),  # 14 days: not over the line
        (date(2017, 12, 21), 12, date(2018, 1, 4), "homepage_stale"),  # the homepage's own dates decide
        (None, 0, date(2018, 1, 4), None),  # navigation-only homepage: its second-level pages decide
        (None, 0, date(2017, 11, 1), "homepage_stale"),
        (None, 0, None, "unverified_column"),  # nothing dated anywhere: not provably stale
    ],
)
def test_judge_homepage(
    homepage_latest: date | None, dated: int, columns_latest: date | None, kind: str | None
) -> None:
    finding = judge_homepage("http://x.example/", homepage_latest, dated, columns_latest, TODAY)
    assert (finding or {}).get("kind") == kind
