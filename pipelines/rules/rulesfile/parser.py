"""Load a scoring rules file (TOML) and validate its sections into a ``RuleSet``.

The format is documented in the header of the bundled ``data/national-2019.toml``.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Callable
from dataclasses import fields
from functools import partial
from importlib import resources
from pathlib import Path
from typing import Any

from pipelines.rules.kinds import ColumnCategory, FindingKind, ResourceType
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
)
from pipelines.rules.rulesfile.reader import At, TomlReader, key_at

_TOP_KEYS = frozenset(
    {
        "profile",
        "categories",
        "keywords",
        "placeholders",
        "single_page",
        "groups",
        "rule",
        "blacklist",
        "early_warning",
    }
)
_RULE_KEYS = frozenset(
    {
        "id",
        "zh",
        "measures",
        "counts",
        "ratio",
        "threshold",
        "veto",
        "points",
        "points_each",
        "cap",
        "group",
        "unless_veto",
        "needs",
    }
)
_FILTER_KEYS = frozenset({"kind", "resource_type", "column_category", "on_homepage", "top_level"})


def load_rules(path: str | os.PathLike[str] | None = None) -> RuleSet:
    """Read and validate a rules file.

    Args:
        path: the TOML file; None reads the bundled default (``data/national-2019.toml``).

    Raises:
        RulesError: the file cannot be read, is not TOML, or breaks the format; the one-line message
            names the file, the key and the line.
    """
    if path is None:
        name = f"<bundled {BUNDLED_RULES}>"
        text = resources.files("pipelines.rules").joinpath("data", BUNDLED_RULES).read_text(encoding="utf-8")
    else:
        name = os.fspath(path)
        try:
            text = Path(path).read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            raise RulesError(f"{name}: cannot read rules file: {exc}", path=name) from exc
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        m = re.search(r"at line (\d+)", str(exc))
        line = int(m.group(1)) if m else None
        where = f", line {line}" if line else ""
        raise RulesError(f"{name}{where}: not valid TOML: {exc}", path=name, line=line) from exc
    return _Parser(name, text, bundled=path is None).ruleset(data)


class _Parser(TomlReader):
    """Validates the sections of a rules file."""

    def ruleset(self, data: dict[str, Any]) -> RuleSet:
        self.keys(data, _TOP_KEYS, lambda k: At(k, None, k))
        prof = self.table(data, "profile", required=True) or {}
        self.keys(
            prof, frozenset({"name", "base", "fail_below", "veto_means_fail"}), lambda k: key_at("profile", k)
        )
        self.require(prof, ("name", "base", "fail_below"), lambda k: key_at("profile", k))
        profile = Profile(
            name=self.string(prof["name"], key_at("profile", "name")),
            base=self.number(prof["base"], key_at("profile", "base")),
            fail_below=self.number(prof["fail_below"], key_at("profile", "fail_below")),
            veto_means_fail=self.boolean(
                prof.get("veto_means_fail", True), key_at("profile", "veto_means_fail")
            ),
        )
        categories = frozenset(c.value for c in ColumnCategory)
        cats = self.table(data, "categories", required=True) or {}
        self.keys(cats, categories, lambda k: key_at("categories", k))
        periods = {k: int(self.number(v, key_at("categories", k), integer=True)) for k, v in cats.items()}
        black = self.table(data, "blacklist") or {}
        self.keys(black, frozenset({"any_veto", "health_deduction_over"}), lambda k: key_at("blacklist", k))
        over = black.get("health_deduction_over")
        warn = self.table(data, "early_warning") or {}
        self.keys(
            warn, frozenset(f.name for f in fields(EarlyWarningLines)), lambda k: key_at("early_warning", k)
        )
        ratio_key = (
            "homepage_unreachable_ratio"  # a share of probes; the other lines are counts of days/columns
        )
        early: dict[str, Any] = {
            k: self.number(v, key_at("early_warning", k), at_most=1.0)
            if k == ratio_key
            else int(self.number(v, key_at("early_warning", k), integer=True))
            for k, v in warn.items()
        }
        group_caps = self.groups(data)
        return RuleSet(
            source=self.name,
            profile=profile,
            periods=periods,
            rules=self.rules(data, group_caps),
            group_caps=group_caps,
            blacklist=Blacklist(
                any_veto=self.boolean(black.get("any_veto", False), key_at("blacklist", "any_veto")),
                health_deduction_over=None
                if over is None
                else self.number(over, key_at("blacklist", "health_deduction_over")),
            ),
            early_warning=EarlyWarningLines(**early),
            **self.word_lists(data, categories),
        )

    def word_lists(self, data: dict[str, Any], categories: frozenset[str]) -> dict[str, Any]:
        """[keywords], [placeholders] and [single_page]; a file without one gets the bundled one."""
        out: dict[str, Any] = {}
        if (kw := self.table(data, "keywords")) is not None:
            self.keys(kw, categories, lambda k: key_at("keywords", k))
            out["keywords"] = {k: self.strings(v, key_at("keywords", k)) for k, v in kw.items()}
        for table, key, attr in (
            ("placeholders", "texts", "placeholders"),
            ("single_page", "names", "single_page_names"),
        ):
            if (section := self.table(data, table)) is not None:
                self.keys(section, frozenset({key}), partial(key_at, table))
                self.require(section, (key,), partial(key_at, table))
                out[attr] = self.strings(section[key], key_at(table, key))
        if missing := [a for a in ("keywords", "placeholders", "single_page_names") if a not in out]:
            if self.bundled:
                self.fail("missing table", At(f"[{missing[0]}]"))
            default = load_rules()
            out.update({a: getattr(default, a) for a in missing})
        return out

    def groups(self, data: dict[str, Any]) -> dict[str, float]:
        caps: dict[str, float] = {}
        for name, group in (self.table(data, "groups") or {}).items():
            table = f"groups.{name}"
            if not isinstance(group, dict):
                self.fail(f"must be a table [{table}] with cap = N, got {group!r}", At(table, "groups", name))
            self.keys(group, frozenset({"cap"}), partial(key_at, table))
            self.require(group, ("cap",), partial(key_at, table))
            caps[name] = self.number(group["cap"], key_at(table, "cap"))
        return caps

    def rules(self, data: dict[str, Any], group_caps: dict[str, float]) -> tuple[Rule, ...]:
        raw = data.get("rule")
        if not isinstance(raw, list) or not raw or not all(isinstance(r, dict) for r in raw):
            self.fail("needs at least one [[rule]] table", At("[[rule]]", None, "rule"))
        rules: list[Rule] = []
        for i, r in enumerate(raw):
            rules.append(self.rule(r, i, group_caps, {x.id for x in rules}))
        vetoing = {r.id for r in rules if r.veto}
        for i, rule in enumerate(rules):
            if bad := [x for x in rule.unless_veto if x not in vetoing]:
                self.fail(
                    f"{bad[0]!r} is not the id of a veto rule",
                    At(f'rule "{rule.id}".unless_veto', "rule", "unless_veto", i),
                )
        return tuple(rules)

    def rule(self, r: dict[str, Any], i: int, group_caps: dict[str, float], seen: set[str]) -> Rule:
        def at(key: str, line_key: str | None = None) -> At:
            return At(f'rule "{rid}".{key}', "rule", line_key or key, i)

        rid = f"#{i + 1}"  # until the id is known
        self.require(r, ("id",), lambda k: At(f"rule {rid}.{k}", "rule", k, i))
        rid = self.string(r["id"], At(f"rule {rid}.id", "rule", "id", i))
        if not re.fullmatch(r"[a-z][a-z0-9_]*", rid):
            self.fail(f"must be snake_case, got {rid!r}", At(f"rule #{i + 1}.id", "rule", "id", i))
        if rid in seen:
            self.fail("duplicate rule id", at("id"))
        self.keys(r, _RULE_KEYS, at)
        self.require(r, ("zh",), at)
        counts_raw = r.get("counts", [])
        counts_list = [counts_raw] if isinstance(counts_raw, dict) else counts_raw
        if not isinstance(counts_list, list) or not all(isinstance(c, dict) for c in counts_list):
            self.fail(f"must be a table or a list of tables, got {counts_raw!r}", at("counts"))
        counts = tuple(self.filter(c, lambda k: at(f"counts.{k}", "counts")) for c in counts_list)
        ratio = self.string(r["ratio"], at("ratio")) if "ratio" in r else None
        if ratio not in (None, "probes"):
            self.fail(f'must be "probes", got {ratio!r}', at("ratio"))
        if not counts and ratio is None:
            self.fail(
                'says nothing to count: add counts = { kind = "..." } or ratio = "probes"', at("counts", "id")
            )
        if ratio and "threshold" not in r:
            self.fail("missing key (a ratio rule needs its line)", at("threshold", "ratio"))
        if ratio and r.get("points_each"):
            self.fail("a ratio rule has nothing to count per item; use points", at("points_each"))
        group = self.string(r["group"], at("group")) if "group" in r else None
        if group is not None and group not in group_caps:
            self.fail(f"group {group!r} is not defined: add [groups.{group}] with cap = N", at("group"))

        def num(key: str, default: float, at_most: float | None = None) -> float:
            return self.number(r[key], at(key), at_most=at_most) if key in r else default

        return Rule(
            id=rid,
            zh=self.string(r["zh"], at("zh")),
            measures=self.string(r["measures"], at("measures")) if "measures" in r else "",
            counts=counts,
            ratio=ratio,
            threshold=num("threshold", 1.0, 1.0 if ratio else None),
            veto=self.boolean(r.get("veto", False), at("veto")),
            points=num("points", 0.0),
            points_each=num("points_each", 0.0),
            cap=self.number(r["cap"], at("cap")) if "cap" in r else None,
            group=group,
            unless_veto=self.strings(r["unless_veto"], at("unless_veto")) if "unless_veto" in r else (),
            needs=self.strings(r["needs"], at("needs"), MEASUREMENTS)
            if "needs" in r
            else tuple(sorted({KIND_NEEDS[k] for c in counts for k in c.kinds})),
        )

    def filter(self, c: dict[str, Any], at: Callable[[str], At]) -> FindingFilter:
        self.keys(c, _FILTER_KEYS, at)
        self.require(c, ("kind",), at)
        if {FindingKind.UNVERIFIED_LINK, FindingKind.UNVERIFIED_COLUMN} & set(
            self.strings(c["kind"], at("kind"))
        ):
            self.fail("unverified findings never count", at("kind"))

        def opt(key: str, allowed: frozenset[str]) -> tuple[str, ...]:
            return self.strings(c[key], at(key), allowed) if key in c else ()

        def flag(key: str) -> bool | None:
            return self.boolean(c[key], at(key)) if key in c else None

        return FindingFilter(
            kinds=opt("kind", frozenset(KIND_NEEDS)),
            resource_types=opt("resource_type", frozenset(t.value for t in ResourceType)),
            column_categories=opt("column_category", frozenset(c.value for c in ColumnCategory)),
            on_homepage=flag("on_homepage"),
            top_level=flag("top_level"),
        )
