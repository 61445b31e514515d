"""Early warnings in words: the rules file's [early_warning] lines a card reached, and how far the veto is.

"空白栏目 3 个：再有 2 个即单项否决（空白栏目）" — the distance comes from the veto rules counting the same thing.
"""

from __future__ import annotations

import math

from pipelines.rules.judge import HOMEPAGE_PERIOD_DAYS
from pipelines.rules.kinds import FindingKind
from pipelines.rules.rulesfile import Rule, RuleSet
from pipelines.rules.scoring import EarlyWarning, ScoreCard

# [early_warning] key -> (the finding kind its veto rules count, the Chinese label, the unit)
COUNTED = {
    "blank_columns": (FindingKind.BLANK_COLUMN, "空白栏目", "个"),
    "stale_columns": (FindingKind.STALE_COLUMN, "长期未更新栏目", "个"),
}


def warning_lines(card: ScoreCard, rules: RuleSet) -> list[str]:
    """One line per early warning the card reached, in the card's order."""
    return [warning_line(w, card, rules) for w in card.early_warnings]


def warning_line(warning: EarlyWarning, card: ScoreCard, rules: RuleSet) -> str:
    """One early warning: the value, then how much more makes a veto (or that the veto is reached)."""
    if warning.key in COUNTED:
        kind, label, unit = COUNTED[warning.key]
        head = f"{label} {warning.value:g} {unit}"
        counts = {line.rule_id: line.count for line in card.lines if line.measured and line.count is not None}
        distances = [
            (math.ceil(rule.threshold) - counts[rule.id], rule)
            for rule in _veto_rules(rules, kind)
            if rule.id in counts and rule.ratio is None
        ]
        return head + _distance(distances, unit="个", verb="再有")
    if warning.key == "homepage_days_without_update":
        head = f"首页已 {warning.value:g} 天未更新"
        rules_found = [
            (HOMEPAGE_PERIOD_DAYS - int(warning.value), r) for r in _veto_rules(rules, "homepage_stale")
        ]
        return head + _distance(rules_found, unit="天", verb="再过")
    if warning.key == "homepage_unreachable_ratio":
        head = f"首页近 7 天 {warning.value:.1%} 的探测无法打开"
        ratio_rules = [r for r in rules.rules if r.veto and r.ratio == "probes"]
        if ratio_rules:
            rule = min(ratio_rules, key=lambda r: r.threshold)
            return f"{head}：达到 {rule.threshold:.0%} 即单项否决（{rule.zh}）"
        return f"{head}（预警线 {warning.threshold:.0%}）"
    return f"{warning.key} = {warning.value:g}（预警线 {warning.threshold:g}）"


def _veto_rules(rules: RuleSet, kind: str) -> list[Rule]:
    return [r for r in rules.rules if r.veto and any(kind in c.kinds for c in r.counts)]


def _distance(distances: list[tuple[int, Rule]], *, unit: str, verb: str) -> str:
    if not distances:
        return ""
    remaining, rule = min(distances, key=lambda d: d[0])
    if remaining <= 0:
        return f"：已达到单项否决线（{rule.zh}）"
    return f"：{verb} {remaining} {unit}即单项否决（{rule.zh}）"
