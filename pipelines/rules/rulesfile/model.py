"""The rule model of a scoring rules file (README: Scores and history): frozen dataclasses and the error.

Built by ``pipelines.rules.rulesfile.parser``; read by scoring, the run judge and the early warnings.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from models.errors import GovHealthError
from pipelines.rules.kinds import FindingKind

BUNDLED_RULES = "national-2019.toml"
MEASUREMENTS = frozenset({"links", "columns", "homepage", "probes"})
# What the crawl must have measured before a finding kind can be counted (or its absence trusted).
KIND_NEEDS: dict[str, str] = {
    FindingKind.SITE_UNREACHABLE: "homepage",
    FindingKind.HOMEPAGE_STALE: "homepage",
    FindingKind.BROKEN_LINK: "links",
    FindingKind.BLANK_COLUMN: "columns",
    FindingKind.STALE_COLUMN: "columns",
}


class RulesError(GovHealthError):
    """A rules file that cannot be read or does not follow the format; the message is one line."""

    def __init__(self, message: str, *, path: str, line: int | None = None, key: str | None = None) -> None:
        super().__init__(message)
        self.path, self.line, self.key = path, line, key


@dataclass(frozen=True)
class Profile:
    """How points turn into a verdict."""

    name: str
    base: float
    fail_below: float
    veto_means_fail: bool


@dataclass(frozen=True)
class FindingFilter:
    """Which findings a rule counts; empty tuples and None mean "any"."""

    kinds: tuple[str, ...]
    resource_types: tuple[str, ...] = ()
    column_categories: tuple[str, ...] = ()
    on_homepage: bool | None = None
    top_level: bool | None = None


@dataclass(frozen=True)
class Rule:
    """One scoring rule; see the bundled file's header for the meaning of each field."""

    id: str
    zh: str
    measures: str = ""
    counts: tuple[FindingFilter, ...] = ()
    ratio: str | None = None
    threshold: float = 1.0
    veto: bool = False
    points: float = 0.0
    points_each: float = 0.0
    cap: float | None = None
    group: str | None = None
    unless_veto: tuple[str, ...] = ()
    needs: tuple[str, ...] = ()  # measurements the count mode needs; ratio mode needs probe data


@dataclass(frozen=True)
class Blacklist:
    """Causes that put a site on the published black list."""

    any_veto: bool = False
    health_deduction_over: float | None = None


@dataclass(frozen=True)
class EarlyWarningLines:
    """Alert lines below the vetoes; None switches one off."""

    homepage_unreachable_ratio: float | None = None
    homepage_days_without_update: int | None = None
    stale_columns: int | None = None
    blank_columns: int | None = None


@dataclass(frozen=True)
class RuleSet:
    """A validated rules file."""

    source: str
    profile: Profile
    periods: dict[str, int]
    keywords: dict[str, tuple[str, ...]]
    placeholders: tuple[str, ...]
    single_page_names: tuple[str, ...]
    rules: tuple[Rule, ...]
    group_caps: dict[str, float] = field(default_factory=dict)
    blacklist: Blacklist = Blacklist()
    early_warning: EarlyWarningLines = EarlyWarningLines()

    def rule(self, rule_id: str) -> Rule:
        """Return the rule with this id; raises KeyError if there is none."""
        for rule in self.rules:
            if rule.id == rule_id:
                return rule
        raise KeyError(rule_id)


def category_period(ruleset: RuleSet, category: str) -> int | None:
    """Update period of a column category in days; None when the category has no period."""
    return ruleset.periods.get(str(category)) or None
