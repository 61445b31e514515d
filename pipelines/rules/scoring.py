"""Health-operation score card of one site: findings and probe counts in, deductions and vetoes out.

Pure and data-driven: every number comes from a ``RuleSet`` (see ``rulesfile``); no clock, no I/O.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from fractions import Fraction
from typing import Any

from pipelines.rules.kinds import FindingKind
from pipelines.rules.rulesfile import MEASUREMENTS, FindingFilter, Rule, RuleSet

# Behind an anti-crawler gate nothing was verified: such findings are shown, never scored.
NEVER_COUNTED = frozenset({FindingKind.UNVERIFIED_LINK, FindingKind.UNVERIFIED_COLUMN})


@dataclass(frozen=True)
class FindingView:
    """What scoring needs of a stored finding."""

    ref: str  # the finding's stable fingerprint, cited on the card
    kind: str
    url: str
    on_homepage: bool = False
    resource_type: str | None = None
    column_category: str | None = None
    top_level: bool = True  # a first-level column


@dataclass(frozen=True)
class ProbeStats:
    """Homepage probes over the rule window (7 days)."""

    total: int
    failed: int  # probes not answered within 15 s

    def __post_init__(self) -> None:
        if not 0 <= self.failed <= self.total:
            raise ValueError(f"probe counts out of range: {self.failed} failed of {self.total}")


@dataclass(frozen=True)
class ScoreLine:
    """One rule's line on the card; count and deduction are None when the rule was not measured."""

    rule_id: str
    zh: str
    measured: bool
    count: int | None
    deduction: float | None
    cap_applied: bool = False
    veto: bool = False
    refs: tuple[str, ...] = ()
    note: str = ""
    value: float | None = None  # the probe failure ratio, for ratio rules judged on probes
    group: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (the ``rules`` entries of ``scrapy score --format json``)."""
        return {
            "id": self.rule_id,
            "zh": self.zh,
            "count": self.count,
            "deduction": self.deduction,
            "cap_applied": self.cap_applied,
            "veto": self.veto,
            "measured": self.measured,
            "findings": list(self.refs),
            "value": self.value,
            "group": self.group,
            "note": self.note,
        }


@dataclass(frozen=True)
class EarlyWarning:
    """An [early_warning] line reached: no points, an alert before a veto."""

    key: str
    value: float
    threshold: float


@dataclass(frozen=True)
class ScoreCard:
    """The health-operation score card of one site for one run."""

    profile: str
    base: float
    lines: tuple[ScoreLine, ...]
    total_deduction: float
    vetoes: tuple[str, ...]
    score: float
    verdict: str  # "pass" or "fail"
    blacklisted: bool
    blacklist_reasons: tuple[str, ...]
    early_warnings: tuple[EarlyWarning, ...]

    @property
    def unmeasured(self) -> tuple[str, ...]:
        """Ids of the rules this run could not judge."""
        return tuple(line.rule_id for line in self.lines if not line.measured)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form; the caller adds site_code, site_name and run_id."""
        return {
            "profile": self.profile,
            "base": self.base,
            "score": self.score,
            "total_deduction": self.total_deduction,
            "vetoes": list(self.vetoes),
            "verdict": self.verdict,
            "blacklisted": self.blacklisted,
            "blacklist_reasons": list(self.blacklist_reasons),
            "unmeasured": list(self.unmeasured),
            "early_warnings": [
                {"key": w.key, "value": w.value, "threshold": w.threshold} for w in self.early_warnings
            ],
            "rules": [line.to_dict() for line in self.lines],
        }


def finding_matches(finding: FindingView, flt: FindingFilter) -> bool:
    """Whether a finding passes one ``counts`` filter of a rule."""
    return (
        finding.kind in flt.kinds
        and (not flt.resource_types or finding.resource_type in flt.resource_types)
        and (not flt.column_categories or finding.column_category in flt.column_categories)
        and (flt.on_homepage is None or finding.on_homepage == flt.on_homepage)
        and (flt.top_level is None or finding.top_level == flt.top_level)
    )


def score_site(
    findings: Sequence[FindingView],
    rules: RuleSet,
    *,
    probes: ProbeStats | None,
    measured: Collection[str],
    homepage_age_days: int | None = None,
) -> ScoreCard:
    """Score one site's findings against a rule set.

    A rule fires when its value (the count of distinct matching findings, or the probe failure ratio) is
    at or above its threshold; firing vetoes (``veto``) and/or deducts ``points + points_each * count``,
    at most ``cap``. A rule deducts nothing when one of its ``unless_veto`` rules vetoes. Group caps are
    then filled in rule order, so the lines always add up to ``total_deduction``. A ratio rule without
    probe data falls back to its ``counts`` (site_unreachable: a crawl finding vetoes) and says so.

    Args:
        findings: the run's findings; unverified ones are ignored.
        rules: the rule set.
        probes: homepage probe counts over the window, if any.
        measured: what this run could measure, a subset of {"links", "columns", "homepage", "probes"};
            a rule whose input is missing shows as not measured (count and deduction None).
        homepage_age_days: days since the newest homepage item, for the early warning; None if unknown.

    Raises:
        ValueError: ``measured`` names something unknown.
    """
    if unknown := set(measured) - MEASUREMENTS:
        raise ValueError(f"unknown measurement(s) {sorted(unknown)}; expected some of {sorted(MEASUREMENTS)}")
    counted = [f for f in findings if f.kind not in NEVER_COUNTED]
    probe_data = probes if "probes" in measured and probes is not None and probes.total > 0 else None
    drafts = [_judge(rule, counted, probe_data, measured) for rule in rules.rules]
    vetoes = tuple(d.rule_id for d in drafts if d.veto)
    used: dict[str, Decimal] = {}
    lines: list[ScoreLine] = []
    for rule, line in zip(rules.rules, drafts, strict=True):
        if not line.measured:
            lines.append(line)
            continue
        deduction, capped, notes = Decimal(str(line.deduction)), line.cap_applied, [line.note]
        blockers = [v for v in rule.unless_veto if v in vetoes]
        if deduction and blockers:
            deduction, capped = Decimal(0), False
            notes.append(f"no deduction: {', '.join(blockers)} vetoes")
        if rule.group is not None:
            room = Decimal(str(rules.group_caps[rule.group])) - used.get(rule.group, Decimal(0))
            if deduction > room:
                deduction, capped = room, True
                notes.append(f"{rule.group} group cap {rules.group_caps[rule.group]:g} reached")
            used[rule.group] = used.get(rule.group, Decimal(0)) + deduction
        note = "; ".join(n for n in notes if n)
        lines.append(replace(line, deduction=float(deduction), cap_applied=capped, note=note))
    total = sum((Decimal(str(x.deduction)) for x in lines if x.deduction is not None), Decimal(0))
    score = Decimal(str(rules.profile.base)) - total
    verdict = (
        "fail"
        if (vetoes and rules.profile.veto_means_fail) or score < Decimal(str(rules.profile.fail_below))
        else "pass"
    )
    reasons: list[str] = []
    if rules.blacklist.any_veto and vetoes:
        reasons.append(f"any_veto: {', '.join(vetoes)}")
    over = rules.blacklist.health_deduction_over
    if over is not None and total > Decimal(str(over)):
        reasons.append(f"health_deduction_over: {float(total):g} > {over:g}")
    return ScoreCard(
        profile=rules.profile.name,
        base=rules.profile.base,
        lines=tuple(lines),
        total_deduction=float(total),
        vetoes=vetoes,
        score=float(score),
        verdict=verdict,
        blacklisted=bool(reasons),
        blacklist_reasons=tuple(reasons),
        early_warnings=_early_warnings(counted, rules, probe_data, measured, homepage_age_days),
    )


def _judge(
    rule: Rule, findings: Sequence[FindingView], probes: ProbeStats | None, measured: Collection[str]
) -> ScoreLine:
    """A rule's line before unless_veto and group caps (its deduction already within its own cap)."""
    if rule.ratio == "probes" and probes is not None:
        ratio = Fraction(probes.failed, probes.total)
        refs: tuple[str, ...] = ()
        count, value = probes.failed, float(ratio)
        fired = ratio >= Fraction(str(rule.threshold))
        note = f"{probes.failed} of {probes.total} probes failed ({float(ratio):.1%})"
    elif rule.counts and set(rule.needs) <= set(measured):
        refs = tuple(
            dict.fromkeys(f.ref for f in findings if any(finding_matches(f, c) for c in rule.counts))
        )
        count, value = len(refs), None
        # Without probes a ratio line cannot be drawn: one finding from the crawl is the evidence.
        fired = count >= (1 if rule.ratio else rule.threshold)
        note = "no probe data: judged on the crawl's findings" if rule.ratio else ""
    else:
        needs = "probe data" if rule.ratio and not rule.counts else ", ".join(rule.needs)
        note = f"not measured this run (needs {needs})"
        return ScoreLine(
            rule.id, rule.zh, measured=False, count=None, deduction=None, note=note, group=rule.group
        )
    deduction = (Decimal(str(rule.points)) + Decimal(str(rule.points_each)) * count) if fired else Decimal(0)
    capped = rule.cap is not None and deduction > Decimal(str(rule.cap))
    if capped:
        deduction = Decimal(str(rule.cap))
        note = "; ".join(n for n in (note, f"capped at {rule.cap:g}") if n)
    return ScoreLine(
        rule.id, rule.zh, measured=True, count=count, deduction=float(deduction), cap_applied=capped,
        veto=fired and rule.veto, refs=refs, note=note, value=value, group=rule.group,
    )  # fmt: skip


def _early_warnings(
    findings: Sequence[FindingView],
    rules: RuleSet,
    probes: ProbeStats | None,
    measured: Collection[str],
    homepage_age_days: int | None,
) -> tuple[EarlyWarning, ...]:
    """The [early_warning] lines reached (at or above), among those this run could measure."""
    lines = rules.early_warning
    values: list[tuple[str, Fraction | int | None, float | None]] = [
        (
            "homepage_unreachable_ratio",
            Fraction(probes.failed, probes.total) if probes else None,
            lines.homepage_unreachable_ratio,
        ),
        ("homepage_days_without_update", homepage_age_days, lines.homepage_days_without_update),
    ]
    if "columns" in measured:
        for key, kind in (
            ("stale_columns", FindingKind.STALE_COLUMN),
            ("blank_columns", FindingKind.BLANK_COLUMN),
        ):
            values.append((key, len({f.ref for f in findings if f.kind == kind}), getattr(lines, key)))
    return tuple(
        EarlyWarning(key, float(value), float(line))
        for key, value, line in values
        if value is not None and line is not None and value >= Fraction(str(line))
    )
