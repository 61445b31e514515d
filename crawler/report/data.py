"""The report's page data: every site's card, findings, columns, history and diff, read in bulk from the database.

Scoring reuses pipelines.scorecards (one code path with `scrapy score`); queries live in models.queries.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cached_property
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crawler.report.labels import SCORED_KINDS, UNVERIFIED_KINDS
from models.errors import GovHealthError
from models.nightly import NightlyRun
from models.queries import column_records, recent_runs, report_records
from models.run import RUN_COMPLETE, CrawlRun
from models.site import Site
from pipelines.rules.history import diff_runs
from pipelines.rules.rulesfile import RuleSet
from pipelines.rules.scoring import FindingView
from pipelines.scorecards import RunViews, card_from, run_views
from pipelines.settings import CHINA_TZ

DEDUCTION_BINS = (0.0, 10.0, 20.0, 30.0, 40.0)  # the last bin is "over 40", the black-list line


@dataclass(frozen=True)
class RunInfo:
    """One inspected run as the report shows it."""

    id: int
    status: str
    complete: bool
    finished: str  # China time, "YYYY-MM-DD HH:MM"
    day: str  # China date
    pages: int
    budget_hit: str | None
    nightly_id: int | None


@dataclass(frozen=True)
class HistoryPoint:
    """One run of a site: what it found and what it cost."""

    run: RunInfo
    kinds: dict[str, int]
    findings: int
    deduction: float | None
    verdict: str


@dataclass(frozen=True)
class Change:
    """A finding new in, or fixed by, the latest run against the previous complete run."""

    kind: str
    url: str
    ref: str


@dataclass
class SiteReport:
    """Everything one site's row of the overview and its own page show."""

    code: str
    name: str
    level: str
    url: str
    organizer: str | None
    run: RunInfo | None
    card: dict[str, Any] | None
    verdict: str  # a key of labels.VERDICT_ZH
    counts: dict[str, int]
    findings: list[dict[str, Any]] = field(default_factory=list)
    columns: list[dict[str, Any]] = field(default_factory=list)
    history: list[HistoryPoint] = field(default_factory=list)  # oldest first
    previous_run: int | None = None
    new: list[Change] = field(default_factory=list)
    fixed: list[Change] = field(default_factory=list)
    screenshots: dict[str, str] = field(default_factory=dict)  # finding fingerprint -> image path

    @cached_property
    def by_kind(self) -> dict[str, list[dict[str, Any]]]:
        """The findings grouped by kind (each group keeps the records' order: by URL)."""
        groups: dict[str, list[dict[str, Any]]] = {}
        for finding in self.findings:
            groups.setdefault(finding["kind"], []).append(finding)
        return groups

    @property
    def scored(self) -> list[dict[str, Any]]:
        return [f for f in self.findings if f["kind"] not in UNVERIFIED_KINDS]

    @property
    def unverified(self) -> list[dict[str, Any]]:
        return [f for f in self.findings if f["kind"] in UNVERIFIED_KINDS]

    @property
    def unverified_count(self) -> int:
        return sum(self.counts.get(k, 0) for k in UNVERIFIED_KINDS)

    @property
    def early_warnings(self) -> list[dict[str, Any]]:
        return list(self.card["early_warnings"]) if self.card else []


@dataclass(frozen=True)
class ProvincePoint:
    """One pass over the province (a nightly run, or a day of single crawls): sites by verdict, findings by kind."""

    label: str
    verdicts: dict[str, int]
    kinds: dict[str, int]


@dataclass
class ReportData:
    """The whole report: one entry per registered site, and the province's history."""

    as_of: date
    generated: str
    rules: str
    runs_shown: int
    sites: list[SiteReport]
    timeline: list[ProvincePoint]

    @property
    def deductions(self) -> list[float]:
        return [s.card["total_deduction"] for s in self.sites if s.card and s.run]


def verdict_of(card: dict[str, Any] | None, run: object | None) -> str:
    """The overview's verdict key: black-list risk, veto, fail (points), pass, or not inspected."""
    if card is None or run is None:
        return "none"
    if card["blacklisted"]:
        return "blacklist"
    if card["vetoes"]:
        return "veto"
    return "fail" if card["verdict"] == "fail" else "pass"


def china_time(value: datetime | None) -> str:
    """A stored UTC time as China time, to the minute."""
    return value.astimezone(CHINA_TZ).strftime("%Y-%m-%d %H:%M") if value else ""


def run_info(run: CrawlRun) -> RunInfo:
    return RunInfo(
        id=run.id,
        status=run.status,
        complete=run.status == RUN_COMPLETE,
        finished=china_time(run.finished_at),
        day=china_time(run.finished_at or run.started_at)[:10],
        pages=run.pages,
        budget_hit=run.budget_hit,
        nightly_id=run.nightly_id,
    )


def gather_report(
    session: Session,
    rules: RuleSet,
    as_of: date,
    *,
    code: str | None = None,
    runs: int = 10,
    rules_name: str = "",
) -> ReportData:
    """Read the report of every registered site (or of one) from the database.

    Args:
        runs: how many recent runs of each site the history charts and the province chart show.

    Raises:
        GovHealthError: the code is not registered, or ``runs`` is below 1.
    """
    if runs < 1:
        raise GovHealthError(f"--runs must be >= 1, got {runs}")
    query = select(Site).order_by(Site.code)
    if code:
        query = query.where(Site.code == code)
    sites = list(session.scalars(query))
    if code and not sites:
        raise GovHealthError(f"unknown site code {code!r}")
    # two runs at least: the latest one and the one before it, for the diff
    history = recent_runs(session, max(runs, 2), code=code)
    _add_previous_complete(session, history)
    all_runs = [run for site_runs in history.values() for run in site_runs]
    views = run_views(session, [r.id for r in all_runs])
    latest = [site_runs[0] for site_runs in history.values()]
    records: dict[int, list[dict[str, Any]]] = {}
    for record in report_records(session, latest):
        records.setdefault(record["run_id"], []).append(record)
    columns: dict[int, list[dict[str, Any]]] = {}
    for column in column_records(session, [r.id for r in latest]):
        columns.setdefault(column["run_id"], []).append(column)
    nightly_days = _nightly_days(session, {r.nightly_id for r in all_runs if r.nightly_id is not None})
    reports: list[SiteReport] = []
    points: dict[tuple[str, str], dict[int, tuple[str, Counter[str]]]] = {}
    for site in sites:
        site_runs = history.get(site.id, [])
        cards = [
            _card(session, site, run, views[run.id], rules, as_of if i == 0 else min(as_of, _day(run)))
            for i, run in enumerate(site_runs[:runs])
        ]
        latest_run = site_runs[0] if site_runs else None
        card = cards[0] if cards else _card(session, site, None, None, rules, as_of)
        report = SiteReport(
            code=site.code,
            name=site.name,
            level=site.level,
            url=site.url,
            organizer=site.organizer,
            run=run_info(latest_run) if latest_run else None,
            card=card,
            verdict=verdict_of(card, latest_run),
            counts=dict(Counter(v.kind for v in views[latest_run.id].findings)) if latest_run else {},
        )
        if latest_run is not None:
            report.findings = records.get(latest_run.id, [])
            report.columns = columns.get(latest_run.id, [])
            _diff(report, latest_run, site_runs, views)
        for run, run_card in reversed(list(zip(site_runs[:runs], cards, strict=False))):
            kinds = Counter(v.kind for v in views[run.id].findings)
            verdict = verdict_of(run_card, run)
            report.history.append(
                HistoryPoint(
                    run=run_info(run),
                    kinds=dict(kinds),
                    findings=sum(kinds[k] for k in SCORED_KINDS),
                    deduction=run_card["total_deduction"],
                    verdict=verdict,
                )
            )
            bucket = _bucket(run, nightly_days)
            # a site crawled twice in one pass counts once there, with its later run
            points.setdefault(bucket, {})[site.id] = (verdict, kinds)
        reports.append(report)
    timeline = [
        ProvincePoint(
            label=label,
            verdicts=dict(Counter(verdict for verdict, _ in per_site.values())),
            kinds=dict(sum((kinds for _, kinds in per_site.values()), Counter())),
        )
        for (_, label), per_site in sorted(points.items())[-runs:]
    ]
    return ReportData(
        as_of=as_of,
        generated=china_time(datetime.now(CHINA_TZ)),
        rules=rules_name or rules.profile.name,
        runs_shown=runs,
        sites=reports,
        timeline=timeline,
    )


def _card(
    session: Session, site: Site, run: CrawlRun | None, views: RunViews | None, rules: RuleSet, as_of: date
) -> dict[str, Any]:
    return card_from(session, site, run, views, rules, as_of).to_dict()


def _day(run: CrawlRun) -> date:
    return (run.finished_at or run.started_at).astimezone(CHINA_TZ).date()


def _add_previous_complete(session: Session, history: dict[int, list[CrawlRun]]) -> None:
    """Append each site's previous complete run when it is older than the recent runs read."""
    for site_runs in history.values():
        latest = site_runs[0]
        if any(r.status == RUN_COMPLETE for r in site_runs[1:]):
            continue
        previous_id = session.scalar(
            select(func.max(CrawlRun.id)).where(
                CrawlRun.site_id == latest.site_id, CrawlRun.status == RUN_COMPLETE, CrawlRun.id < latest.id
            )
        )
        if previous_id is not None:
            previous = session.get(CrawlRun, previous_id)
            assert previous is not None
            site_runs.append(previous)


def _diff(
    report: SiteReport, latest: CrawlRun, site_runs: list[CrawlRun], views: dict[int, RunViews]
) -> None:
    """New and fixed findings of the latest run against the previous complete run (as `scrapy diff`)."""
    previous = next((r for r in site_runs[1:] if r.status == RUN_COMPLETE), None)
    if previous is None:
        return
    report.previous_run = previous.id
    old: dict[str, FindingView] = {v.ref: v for v in views[previous.id].findings}
    new: dict[str, FindingView] = {v.ref: v for v in views[latest.id].findings}
    result = diff_runs(old.keys(), new.keys())
    report.new = [Change(new[ref].kind, new[ref].url, ref) for ref in result.new]
    report.fixed = [Change(old[ref].kind, old[ref].url, ref) for ref in result.fixed]


def _nightly_days(session: Session, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = session.execute(select(NightlyRun.id, NightlyRun.started_at).where(NightlyRun.id.in_(ids)))
    return {nightly_id: china_time(started) for nightly_id, started in rows}


def _bucket(run: CrawlRun, nightly_days: dict[int, str]) -> tuple[str, str]:
    """The pass over the province a run belongs to: its nightly run, else the China day of its crawl.

    The first element sorts the passes in time; the second labels them on the chart.
    """
    if run.nightly_id is not None and run.nightly_id in nightly_days:
        started = nightly_days[run.nightly_id]
        return started, f"{started[:10]} 第{run.nightly_id}次"
    day = run_info(run).day
    return day, day
