"""Load and validate a scoring rules file (TOML; README: Scores and history) into frozen dataclasses.

The format is documented in the header of the bundled ``data/national-2019.toml``.
"""

from __future__ import annotations

import math
import os
import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field, fields, replace
from functools import partial
from importlib import resources
from pathlib import Path
from typing import Any, NoReturn

from models.errors import GovHealthError
from pipelines.rules.kinds import ColumnCategory, FindingKind, ResourceType

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
_HEADER = re.compile(r"^\s*\[\[?([^\[\]]+)\]\]?\s*(?:#.*)?$")


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
        text = resources.files(__package__).joinpath("data", BUNDLED_RULES).read_text(encoding="utf-8")
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


@dataclass(frozen=True)
class _At:
    """Where a value lives: the key as messages name it, and what finds its line in the text."""

    label: str
    table: str | None = None
    key: str | None = None  # the key whose line is reported; None (or not found): the table's header
    index: int = 0  # which [[table]] of an array of tables


def _at(table: str, key: str) -> _At:
    return _At(f"{table}.{key}", table, key)


class _Parser:
    """Validates parsed TOML, naming the file, key and line of the first problem."""

    def __init__(self, name: str, text: str, *, bundled: bool) -> None:
        self.name, self.lines, self.bundled = name, text.splitlines(), bundled

    def fail(self, msg: str, at: _At) -> NoReturn:
        line = self.line_of(at)
        raise RulesError(
            f"{self.name}, line {line}: {at.label}: {msg}", path=self.name, line=line, key=at.label
        )

    def line_of(self, at: _At) -> int:
        """1-based line of ``at.key`` in the ``at.index``-th ``[table]``/``[[table]]``, else its header."""
        start: int | None = 0 if at.table is None else None
        seen = -1
        key_re = re.compile(rf"^\s*[\"']?{re.escape(at.key)}[\"']?\s*[=.]") if at.key else None
        for n, text in enumerate(self.lines):
            if header := _HEADER.match(text):
                if start is not None:
                    break
                if _header_name(header) == at.table:
                    seen += 1
                    start = n if seen == at.index else None
                continue
            if start is not None and key_re and key_re.match(text):
                return n + 1
        if at.table is None and at.key:  # an unknown top-level key may be a table: [key] or [key.sub]
            for n, text in enumerate(self.lines):
                if (header := _HEADER.match(text)) and _header_name(header).split(".")[0] == at.key:
                    return n + 1
        return (start or 0) + 1

    # -- typed getters ----------------------------------------------------------------------------
    def number(self, value: Any, at: _At, *, integer: bool = False, at_most: float | None = None) -> float:
        kind = "a whole number" if integer else "a number"
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or (integer and isinstance(value, float))
        ):
            self.fail(f"must be {kind}, got {value!r}", at)
        if not math.isfinite(value) or value < 0:
            self.fail(f"must be {kind} >= 0, got {value!r}", at)
        if at_most is not None and value > at_most:
            self.fail(f"must be at most {at_most:g}, got {value!r}", at)
        return float(value)

    def boolean(self, value: Any, at: _At) -> bool:
        if not isinstance(value, bool):
            self.fail(f"must be true or false, got {value!r}", at)
        return value

    def string(self, value: Any, at: _At) -> str:
        if not isinstance(value, str) or not value.strip():
            self.fail(f"must be a non-empty string, got {value!r}", at)
        return value

    def strings(self, value: Any, at: _At, allowed: frozenset[str] | None = None) -> tuple[str, ...]:
        """A string or a non-empty list of strings, each in ``allowed`` if given."""
        items = [value] if isinstance(value, str) else value
        if not isinstance(items, list) or not items:
            self.fail(f"must be a string or a non-empty list of strings, got {value!r}", at)
        out = tuple(self.string(v, at) for v in items)
        if allowed is not None and (bad := sorted(set(out) - allowed)):
            self.fail(f"unknown value(s) {', '.join(bad)}; expected one of {', '.join(sorted(allowed))}", at)
        return out

    def table(self, data: dict[str, Any], key: str, *, required: bool = False) -> dict[str, Any] | None:
        value = data.get(key)
        if value is None and required:
            self.fail("missing table", _At(f"[{key}]"))
        if value is not None and not isinstance(value, dict):
            self.fail(f"must be a table, got {value!r}", _At(key, None, key))
        return value

    def keys(self, data: dict[str, Any], allowed: frozenset[str], at: Callable[[str], _At]) -> None:
        for key in data:
            if key not in allowed:
                self.fail(f"unknown key; expected one of {', '.join(sorted(allowed))}", at(key))

    def require(self, data: dict[str, Any], keys: tuple[str, ...], at: Callable[[str], _At]) -> None:
        for key in keys:
            if key not in data:
                self.fail("missing key", replace(at(key), key=None))

    # -- sections ---------------------------------------------------------------------------------
    def ruleset(self, data: dict[str, Any]) -> RuleSet:
        self.keys(data, _TOP_KEYS, lambda k: _At(k, None, k))
        prof = self.table(data, "profile", required=True) or {}
        self.keys(
            prof, frozenset({"name", "base", "fail_below", "veto_means_fail"}), lambda k: _at("profile", k)
        )
        self.require(prof, ("name", "base", "fail_below"), lambda k: _at("profile", k))
        profile = Profile(
            name=self.string(prof["name"], _at("profile", "name")),
            base=self.number(prof["base"], _at("profile", "base")),
            fail_below=self.number(prof["fail_below"], _at("profile", "fail_below")),
            veto_means_fail=self.boolean(
                prof.get("veto_means_fail", True), _at("profile", "veto_means_fail")
            ),
        )
        categories = frozenset(c.value for c in ColumnCategory)
        cats = self.table(data, "categories", required=True) or {}
        self.keys(cats, categories, lambda k: _at("categories", k))
        periods = {k: int(self.number(v, _at("categories", k), integer=True)) for k, v in cats.items()}
        black = self.table(data, "blacklist") or {}
        self.keys(black, frozenset({"any_veto", "health_deduction_over"}), lambda k: _at("blacklist", k))
        over = black.get("health_deduction_over")
        warn = self.table(data, "early_warning") or {}
        self.keys(
            warn, frozenset(f.name for f in fields(EarlyWarningLines)), lambda k: _at("early_warning", k)
        )
        ratio_key = (
            "homepage_unreachable_ratio"  # a share of probes; the other lines are counts of days/columns
        )
        early: dict[str, Any] = {
            k: self.number(v, _at("early_warning", k), at_most=1.0)
            if k == ratio_key
            else int(self.number(v, _at("early_warning", k), integer=True))
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
                any_veto=self.boolean(black.get("any_veto", False), _at("blacklist", "any_veto")),
                health_deduction_over=None
                if over is None
                else self.number(over, _at("blacklist", "health_deduction_over")),
            ),
            early_warning=EarlyWarningLines(**early),
            **self.word_lists(data, categories),
        )

    def word_lists(self, data: dict[str, Any], categories: frozenset[str]) -> dict[str, Any]:
        """[keywords], [placeholders] and [single_page]; a file without one gets the bundled one."""
        out: dict[str, Any] = {}
        if (kw := self.table(data, "keywords")) is not None:
            self.keys(kw, categories, lambda k: _at("keywords", k))
            out["keywords"] = {k: self.strings(v, _at("keywords", k)) for k, v in kw.items()}
        for table, key, attr in (
            ("placeholders", "texts", "placeholders"),
            ("single_page", "names", "single_page_names"),
        ):
            if (section := self.table(data, table)) is not None:
                self.keys(section, frozenset({key}), partial(_at, table))
                self.require(section, (key,), partial(_at, table))
                out[attr] = self.strings(section[key], _at(table, key))
        if missing := [a for a in ("keywords", "placeholders", "single_page_names") if a not in out]:
            if self.bundled:
                self.fail("missing table", _At(f"[{missing[0]}]"))
            default = load_rules()
            out.update({a: getattr(default, a) for a in missing})
        return out

    def groups(self, data: dict[str, Any]) -> dict[str, float]:
        caps: dict[str, float] = {}
        for name, group in (self.table(data, "groups") or {}).items():
            table = f"groups.{name}"
            if not isinstance(group, dict):
                self.fail(
                    f"must be a table [{table}] with cap = N, got {group!r}", _At(table, "groups", name)
                )
            self.keys(group, frozenset({"cap"}), partial(_at, table))
            self.require(group, ("cap",), partial(_at, table))
            caps[name] = self.number(group["cap"], _at(table, "cap"))
        return caps

    def rules(self, data: dict[str, Any], group_caps: dict[str, float]) -> tuple[Rule, ...]:
        raw = data.get("rule")
        if not isinstance(raw, list) or not raw or not all(isinstance(r, dict) for r in raw):
            self.fail("needs at least one [[rule]] table", _At("[[rule]]", None, "rule"))
        rules: list[Rule] = []
        for i, r in enumerate(raw):
            rules.append(self.rule(r, i, group_caps, {x.id for x in rules}))
        vetoing = {r.id for r in rules if r.veto}
        for i, rule in enumerate(rules):
            if bad := [x for x in rule.unless_veto if x not in vetoing]:
                self.fail(
                    f"{bad[0]!r} is not the id of a veto rule",
                    _At(f'rule "{rule.id}".unless_veto', "rule", "unless_veto", i),
                )
        return tuple(rules)

    def rule(self, r: dict[str, Any], i: int, group_caps: dict[str, float], seen: set[str]) -> Rule:
        def at(key: str, line_key: str | None = None) -> _At:
            return _At(f'rule "{rid}".{key}', "rule", line_key or key, i)

        rid = f"#{i + 1}"  # until the id is known
        self.require(r, ("id",), lambda k: _At(f"rule {rid}.{k}", "rule", k, i))
        rid = self.string(r["id"], _At(f"rule {rid}.id", "rule", "id", i))
        if not re.fullmatch(r"[a-z][a-z0-9_]*", rid):
            self.fail(f"must be snake_case, got {rid!r}", _At(f"rule #{i + 1}.id", "rule", "id", i))
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

    def filter(self, c: dict[str, Any], at: Callable[[str], _At]) -> FindingFilter:
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


def _header_name(header: re.Match[str]) -> str:
    return re.sub(r"[\s\"']", "", header.group(1))
