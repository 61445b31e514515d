"""What `scrapy notify` says about each site: its latest inspected run against its previous complete run (new and
fixed findings), the score card's verdict and early warnings, and the digest entry for the supervising office."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.finding import Finding
from models.nightly import INSPECTED_REASONS
from models.queries import latest_runs
from models.run import RUN_COMPLETE, CrawlRun
from models.site import Site
from pipelines.rules.history import diff_runs
from pipelines.rules.kinds import FindingKind
from pipelines.rules.notices.messages import DigestSite, NoticeFinding, SiteNotice
from pipelines.rules.notices.warnings import warning_lines
from pipelines.rules.rulesfile import RuleSet
from pipelines.rules.scoring import NEVER_COUNTED
from pipelines.scorecards import card_for
from pipelines.settings import CHINA_TZ

# The order in which a message names new findings: what fails a site first, homepage links before others.
KIND_ORDER: dict[str, int] = {
    FindingKind.SITE_UNREACHABLE: 0,
    FindingKind.HOMEPAGE_STALE: 1,
    FindingKind.BLANK_COLUMN: 2,
    FindingKind.STALE_COLUMN: 3,
    FindingKind.BROKEN_LINK: 4,
}


@dataclass(frozen=True)
class SiteState:
    """A site's latest run as `scrapy notify` tells it: to its contacts and in the digest."""

    site_id: int
    code: str
    contacts: tuple[str, ...]
    run_id: int
    notice: SiteNotice
    digest: DigestSite


def gather_states(
    session: Session, rules: RuleSet, as_of: date, *, code: str | None = None, report_dir: Path | None = None
) -> list[SiteState]:
    """One state per site (or for ``code``) that has an inspected run, in site-code order."""
    runs = latest_runs(session, code=code)
    sites = {s.id: s for s in session.scalars(select(Site).where(Site.id.in_([r.site_id for r in runs])))}
    states = [site_state(session, sites[run.site_id], run, rules, as_of, report_dir) for run in runs]
    return sorted(states, key=lambda s: s.code)


def site_state(
    session: Session, site: Site, run: CrawlRun, rules: RuleSet, as_of: date, report_dir: Path | None
) -> SiteState:
    """Compare ``run`` with the site's previous complete run and score both."""
    previous = previous_complete_run(session, run)
    now = scored_findings(session, run.id)
    before = scored_findings(session, previous.id) if previous else {}
    diff = diff_runs(before.keys(), now.keys())
    complete = run.status == RUN_COMPLETE
    new = sorted((now[fp] for fp in diff.new), key=_importance)
    fixed = sorted((before[fp] for fp in diff.fixed), key=_importance) if complete else []  # resolves nothing
    card = card_for(session, site, run, rules, as_of)
    vetoes = tuple(rules.rule(v).zh for v in card.vetoes)
    was_vetoed = bool(card_for(session, site, previous, rules, as_of).vetoes) if previous else False
    page = report_dir / "sites" / f"{site.code}.html" if report_dir else None
    warnings = warning_lines(card, rules)
    notice = SiteNotice(
        code=site.code,
        name=site.name,
        run_id=run.id,
        day=(run.finished_at or run.started_at).astimezone(CHINA_TZ).date().isoformat(),
        complete=complete,
        budget_hit=run.budget_hit if not complete else None,
        first=previous is None,
        new=[_view(f) for f in new],
        fixed=[_view(f) for f in fixed],
        verdict=card.verdict,
        vetoes=vetoes,
        total_deduction=card.total_deduction,
        blacklisted=card.blacklisted,
        warnings=warnings,
        report_page=str(page) if page and page.is_file() else None,
    )
    digest = DigestSite(
        code=site.code,
        name=site.name,
        complete=complete,
        new=len(new),
        fixed=len(fixed),
        vetoes=vetoes,
        newly_vetoed=bool(vetoes) and not was_vetoed,
        warnings=warnings,
    )
    return SiteState(site.id, site.code, tuple(site.contact or ()), run.id, notice, digest)


def previous_complete_run(session: Session, run: CrawlRun) -> CrawlRun | None:
    """The site's newest complete run before ``run``."""
    query = (
        select(CrawlRun)
        .where(
            CrawlRun.site_id == run.site_id,
            CrawlRun.id < run.id,
            CrawlRun.status == RUN_COMPLETE,
            CrawlRun.finished_at.is_not(None),
            CrawlRun.close_reason.in_(INSPECTED_REASONS),
        )
        .order_by(CrawlRun.id.desc())
        .limit(1)
    )
    return session.scalar(query)


def scored_findings(session: Session, run_id: int) -> dict[str, Finding]:
    """The run's findings that a score card can count (unverified ones never are), by fingerprint."""
    query = select(Finding).where(Finding.run_id == run_id, Finding.kind.not_in(NEVER_COUNTED))
    return {f.fingerprint: f for f in session.scalars(query)}


def _importance(finding: Finding) -> tuple[int, bool, str]:
    return KIND_ORDER.get(finding.kind, 9), not finding.on_homepage, finding.url


def _view(finding: Finding) -> NoticeFinding:
    return NoticeFinding(
        kind=finding.kind,
        url=finding.url,
        source_url=finding.source_url,
        link_text=finding.link_text,
        column_name=finding.column_name,
        latest_date=finding.latest_date.isoformat() if finding.latest_date else None,
        error=finding.error,
        status=finding.status,
        evidence_file=finding.evidence_file,
    )
