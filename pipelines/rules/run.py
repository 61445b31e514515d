"""Judge one crawl's readings into findings and column rows: the one place the verdicts of a run are made.

Pure: the link items, column readings, homepage reading, column overrides, the rules and ``today`` in.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from pipelines.rules.columns import category_for
from pipelines.rules.findings import CheckedTarget, homepage_finding, link_findings
from pipelines.rules.judge import ColumnReading, judge_column, judge_homepage
from pipelines.rules.kinds import LinkState, PageKind
from pipelines.rules.rulesfile import RuleSet, category_period


@dataclass(frozen=True)
class ColumnOverrideRule:
    """An operator's correction of one column (``scrapy columns --set``): its name and category."""

    name: str | None = None
    category: str | None = None


@dataclass
class RunJudgement:
    """The findings of a run, its column inventory rows, and the homepage's newest date."""

    findings: list[dict[str, Any]] = field(default_factory=list)
    columns: list[dict[str, Any]] = field(default_factory=list)
    homepage_latest: date | None = None


def judge_run(
    links: Sequence[CheckedTarget],
    columns: Iterable[ColumnReading],
    homepage: tuple[str, bool, date | None, int] | None,
    overrides: Mapping[str, ColumnOverrideRule],
    rules: RuleSet,
    today: date,
) -> RunJudgement:
    """Every finding of one crawl: links, the site's reachability, columns, then the homepage.

    ``homepage`` is (url, read, newest dated item, dated items) of the homepage reading.
    """
    result = RunJudgement()
    homepage_url = homepage[0] if homepage else ""
    result.findings = link_findings(links, homepage_url)
    homepage_target = next((t for t in links if t.url == homepage_url), None)
    if (site_down := homepage_finding(homepage_target)) is not None:
        result.findings.append(site_down)
    readings = list(columns)
    for reading in readings:
        row, finding = judge_column_row(reading, overrides.get(reading.url), rules, today)
        result.columns.append(row)
        if finding is not None:
            result.findings.append(finding)
    verdict = homepage_target.verdict if homepage_target is not None else None
    if homepage is not None and homepage[1] and verdict is not None and verdict.state is LinkState.OK:
        url, _read, latest, dated = homepage
        columns_latest = max((r.latest for r in readings if r.latest), default=None)
        if (stale := judge_homepage(url, latest, dated, columns_latest, today)) is not None:
            result.findings.append(stale)
        result.homepage_latest = latest if dated else columns_latest
    return result


def judge_column_row(
    reading: ColumnReading, override: ColumnOverrideRule | None, rules: RuleSet, today: date
) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """A column's inventory row and its finding, judged with the operator's override and the rules."""
    if override is not None and override.name:
        reading.name = override.name
    category = (override.category if override is not None and override.category else None) or str(
        category_for(reading.name, rules.keywords)
    )
    single = any(name in reading.name for name in rules.single_page_names)
    verdict = judge_column(
        reading,
        category=category,
        period_days=category_period(rules, category),
        today=today,
        single_page=single,
    )
    row = {
        "url": reading.url,
        "name": reading.name[:200],
        "category": category,
        "how": reading.how,
        "page_kind": reading.page_kind,
        "item_count": reading.item_count if reading.page_kind != PageKind.SINGLE else None,
        "latest_date": reading.latest,
        "status": verdict.status,
        "reason": verdict.reason[:500],
        "top_level": reading.top_level,
    }
    return row, verdict.finding
