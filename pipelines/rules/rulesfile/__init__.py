"""Scoring rules files (TOML; README: Scores and history): ``load_rules`` and the frozen rule model.

The format is documented in the header of the bundled ``pipelines/rules/data/national-2019.toml``.
"""

from __future__ import annotations

from pipelines.rules.rulesfile.model import (
    BUNDLED_RULES,
    KIND_NEEDS,
    MEASUREMENTS,
    Blacklist,
    EarlyWarningLines,
    FindingFilter,
    Profile,
    Rule,
    RulesError,
    RuleSet,
    category_period,
)
from pipelines.rules.rulesfile.parser import load_rules

__all__ = [
    "BUNDLED_RULES",
    "KIND_NEEDS",
    "MEASUREMENTS",
    "Blacklist",
    "EarlyWarningLines",
    "FindingFilter",
    "Profile",
    "Rule",
    "RuleSet",
    "RulesError",
    "category_period",
    "load_rules",
]
