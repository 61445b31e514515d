"""Score cards of stored runs: findings and probes from the database, arithmetic from pipelines.rules.scoring."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models.column import Column
from models.finding import Finding
from models.probe import Probe
from models.queries import column_records, export_records, select_runs
from models.run import CrawlRun
from models.site import Site
from pipelines.rules.rulesfile import RuleSet
from pipelines.rules.scoring import FindingView, ProbeStats, ScoreCard, score_site

PROBE_WINDOW = timedelta(days=7)


def probe_stats(session: Session, site_id: int, as_of: date) -> ProbeStats | None:
    """Probes of the 7 days ending with ``as_of``; None when there were none."""
    end = datetime.combine(as_of + timedelta(days=1), time(), tzinfo=UTC)
    total, failed = session.execute(
        select(func.count(Probe.id), func.count(Probe.id).filter(Probe.ok.is_(False))).where(
            Probe.site_id == site_id, Probe.at >= end - PROBE_WINDOW, Probe.at < end
        )
    ).one()
    return ProbeStats(total, failed) if total else None


def measured_in(run: CrawlRun | None, probes: ProbeStats | None, *, columns_read: bool) -> set[str]:
    """What the run could measure: links when the homepage loaded, columns when any were read."""
    measured = {"probes"} if probes else set()
    if run is None:
        return measured
    measured.add("homepage")  # the crawl tried the homepage, whatever it found
    if run.pages:
        measured.add("links")
        if columns_read:
            measured.add("columns")
    return measured


@dataclass(frozen=True)
class RunViews:
    """What scoring needs of one run's findings, and whether the run read any column."""

    findings: list[FindingView]
    columns_read: bool


def run_views(session: Session, run_ids: Collection[int]) -> dict[int, RunViews]:
    """The scoring input of each of these runs, in two queries whatever their number (the report scores many)."""
    ids = list(run_ids)
    top_level: dict[tuple[int, str], bool] = {}
    for run_id, url, top in session.execute(
        select(Column.run_id, Column.url, Column.top_level).where(Column.run_id.in_(ids))
    ):
        top_level[run_id, url] = top
    read = {run_id for run_id, _ in top_level}
    views: dict[int, list[FindingView]] = {run_id: [] for run_id in ids}
    query = select(
        Finding.run_id,
        Finding.fingerprint,
        Finding.kind,
        Finding.url,
        Finding.on_homepage,
        Finding.resource_type,
        Finding.column_category,
    ).where(Finding.run_id.in_(ids))
    for run_id, ref, kind, url, on_homepage, resource_type, category in session.execute(query):
        views[run_id].append(
            FindingView(
                ref=ref,
                kind=kind,
                url=url,
                on_homepage=on_homepage,
                resource_type=resource_type,
                column_category=category,
                top_level=top_level.get((run_id, url), True),
            )
        )
    return {run_id: RunViews(views[run_id], run_id in read) for run_id in ids}


def card_from(
    session: Session, site: Site, run: CrawlRun | None, views: RunViews | None, rules: RuleSet, as_of: date
) -> ScoreCard:
    """The score card of one site from one run's views (None: never crawled, everything unmeasured)."""
    probes = probe_stats(session, site.id, as_of)
    homepage_age: int | None = None
    if run is not None:
        latest = (run.stats or {}).get("govhealth/homepage/latest_date")
        if latest:
            homepage_age = (as_of - date.fromisoformat(latest)).days
    return score_site(
        views.findings if views else [],
        rules,
        probes=probes,
        measured=measured_in(run, probes, columns_read=bool(views and views.columns_read)),
        homepage_age_days=homepage_age,
    )


def card_for(session: Session, site: Site, run: CrawlRun | None, rules: RuleSet, as_of: date) -> ScoreCard:
    """The score card of one site from one run (None: never crawled, everything unmeasured)."""
    views = run_views(session, [run.id])[run.id] if run is not None else None
    return card_from(session, site, run, views, rules, as_of)


def score_records(
    session: Session, runs: list[CrawlRun], rules: RuleSet, as_of: date, *, code: str | None = None
) -> list[dict[str, Any]]:
    """One JSON-ready card per registered site (or per site of ``runs`` when a run was chosen)."""
    by_site = {run.site_id: run for run in runs}
    query = select(Site).order_by(Site.code)
    if code:
        query = query.where(Site.code == code)
    sites = list(session.scalars(query))
    if runs and len(runs) == 1 and not code:
        sites = [s for s in sites if s.id in by_site]
    records = []
    for site in sites:
        run = by_site.get(site.id)
        card = card_for(session, site, run, rules, as_of)
        records.append(
            {
                "site_code": site.code,
                "site_name": site.name,
                "level": site.level,
                "run_id": run.id if run else None,
                **card.to_dict(),
            }
        )
    return records


def score_row(record: dict[str, Any]) -> dict[str, Any]:
    """A flat row of the workbook's scores sheet: one column per rule's deduction."""
    row = {
        key: record[key] for key in ("site_code", "site_name", "level", "run_id", "total_deduction", "score")
    }
    for line in record["rules"]:
        row[line["id"]] = line["deduction"] if line["measured"] else "not measured"
    row["vetoes"] = "|".join(record["vetoes"])
    row["verdict"] = record["verdict"]
    row["blacklisted"] = record["blacklisted"]
    return row


@dataclass(frozen=True)
class ExportBundle:
    """What the scoring team receives: the runs' findings, one score card per site, the column inventory."""

    runs: list[CrawlRun]
    findings: list[dict[str, Any]]
    cards: list[dict[str, Any]]
    columns: list[dict[str, Any]]

    @property
    def scores(self) -> list[dict[str, Any]]:
        return [score_row(card) for card in self.cards]


def gather_export(
    session: Session, rules: RuleSet, as_of: date, *, code: str | None = None, run_id: int | None = None
) -> ExportBundle:
    """The latest run of each site (or the chosen run / site) with its findings, score cards and columns."""
    runs = select_runs(session, code=code, run_id=run_id)
    return ExportBundle(
        runs=runs,
        findings=export_records(session, runs),
        cards=score_records(session, runs, rules, as_of, code=code),
        columns=column_records(session, [r.id for r in runs]),
    )
