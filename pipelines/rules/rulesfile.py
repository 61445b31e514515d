"""Load and validate a scoring rules file (TOML, DESIGN 4.4) into frozen dataclasses.

The format is documented in the header of the bundled ``data/national-2019.toml``.
"""

from __future__ import annotations

import math
import os
import re
import tomllib
from dataclasses import dataclass, field
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
    {"profile", "categories", "keywords", "placeholders", "single_page", "groups", "rule", "blacklist",
     "early_warning"}
)
_RULE_KEYS = frozenset(
    {"id", "zh", "measures", "counts", "ratio", "threshold", "veto", "points", "points_each", "cap", "group",
     "unless_veto", "needs"}
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


class _Parser:
    """Validates parsed TOML, naming the file, key and line of the first problem."""

    def __init__(self, name: str, text: str, *, bundled: bool) -> None:
        self.name, self.lines, self.bundled = name, text.splitlines(), bundled

    def fail(self, msg: str, table: str | None, key: str | None, *, index: int = 0, label: str = "") -> NoReturn:
        line = self.line_of(table, key, index)
        label = label or ".".join(p for p in (table, key) if p)
        raise RulesError(f"{self.name}, line {line}: {label}: {msg}", path=self.name, line=line, key=label)

    def line_of(self, table: str | None, key: str | None, index: int = 0) -> int:
        """1-based line of ``key`` in the index-th ``[table]``/``[[table]]`` (its header if key is absent)."""
        start: int | None = 0 if table is None else None
        seen = -1
        key_re = re.compile(rf"^\s*[\"']?{re.escape(key)}[\"']?\s*[=.]") if key else None
        for n, text in enumerate(self.lines):
            header = _HEADER.match(text)
            if header:
                if start is not None:
                    break
                if re.sub(r"[\s\"']", "", header.group(1)) == table:
                    seen += 1
                    if seen == index:
                        start = n
                continue
            if start is not None and key_re and key_re.match(text):
                return n + 1
        if table is None and key:  # an unknown top-level key may be a table: [key] or [key.sub]
            for n, text in enumerate(self.lines):
                header = _HEADER.match(text)
                if header and re.sub(r"[\s\"']", "", header.group(1)).split(".")[0] == key:
                    return n + 1
        return (start or 0) + 1

    # -- typed getters ----------------------------------------------------------------------------
    def number(self, value: Any, table: str | None, key: str, *, label: str = "", index: int = 0,
               integer: bool = False, at_most: float | None = None) -> float:
        kind = "a whole number" if integer else "a number"
        if isinstance(value, bool) or not isinstance(value, int | float) or (integer and isinstance(value, float)):
            self.fail(f"must be {kind}, got {value!r}", table, key, index=index, label=label)
        if not math.isfinite(value) or value < 0:
            self.fail(f"must be {kind} >= 0, got {value!r}", table, key, index=index, label=label)
        if at_most is not None and value > at_most:
            self.fail(f"must be at most {at_most:g}, got {value!r}", table, key, index=index, label=label)
        return float(value)

    def boolean(self, value: Any, table: str | None, key: str, *, label: str = "", index: int = 0) -> bool:
        if not isinstance(value, bool):
            self.fail(f"must be true or false, got {value!r}", table, key, index=index, label=label)
        return value

    def string(self, value: Any, table: str | None, key: str, *, label: str = "", index: int = 0) -> str:
        if not isinstance(value, str) or not value.strip():
            self.fail(f"must be a non-empty string, got {value!r}", table, key, index=index, label=label)
        return value

    def strings(self, value: Any, table: str | None, key: str, *, label: str = "", index: int = 0,
                allowed: frozenset[str] | None = None) -> tuple[str, ...]:
        items = [value] if isinstance(value, str) else value
        if not isinstance(items, list) or not items:
            self.fail(f"must be a string or a non-empty list of strings, got {value!r}", table, key,
                      index=index, label=label)
        out = tuple(self.string(v, table, key, index=index, label=label) for v in items)
        bad = sorted(set(out) - allowed) if allowed is not None else []
        if bad:
            self.fail(f"unknown value(s) {', '.join(bad)}; expected one of {', '.join(sorted(allowed or ()))}",
                      table, key, index=index, label=label)
        return out

    def table(self, data: dict[str, Any], key: str, *, required: bool = False) -> dict[str, Any] | None:
        value = data.get(key)
        if value is None and required:
            self.fail("missing table", None, None, label=f"[{key}]")
        if value is not None and not isinstance(value, dict):
            self.fail(f"must be a table, got {value!r}", None, key, label=key)
        return value

    def keys(self, table_data: dict[str, Any], allowed: frozenset[str], table: str | None, *,
             index: int = 0, prefix: str = "", line_key: str | None = None) -> None:
        for key in table_data:
            if key not in allowed:
                self.fail(f"unknown key; expected one of {', '.join(sorted(allowed))}", table, line_key or key,
                          index=index, label=f"{prefix}{key}")

    # -- sections ---------------------------------------------------------------------------------
    def ruleset(self, data: dict[str, Any]) -> RuleSet:
        self.keys(data, _TOP_KEYS, None)
        prof = self.table(data, "profile", required=True) or {}
        self.keys(prof, frozenset({"name", "base", "fail_below", "veto_means_fail"}), "profile", prefix="profile.")
        for key in ("name", "base", "fail_below"):
            if key not in prof:
                self.fail("missing key", "profile", None, label=f"profile.{key}")
        profile = Profile(
            name=self.string(prof["name"], "profile", "name"),
            base=self.number(prof["base"], "profile", "base"),
            fail_below=self.number(prof["fail_below"], "profile", "fail_below"),
            veto_means_fail=self.boolean(prof.get("veto_means_fail", True), "profile", "veto_means_fail"),
        )
        categories = frozenset(c.value for c in ColumnCategory)
        cats = self.table(data, "categories", required=True) or {}
        self.keys(cats, categories, "categories", prefix="categories.")
        periods = {k: int(self.number(v, "categories", k, integer=True)) for k, v in cats.items()}
        texts = self.text_tables(data, categories)
        group_caps = self.groups(data)
        rules = self.rules(data, group_caps)
        black = self.table(data, "blacklist") or {}
        self.keys(black, frozenset({"any_veto", "health_deduction_over"}), "blacklist", prefix="blacklist.")
        blacklist = Blacklist(
            any_veto=self.boolean(black.get("any_veto", False), "blacklist", "any_veto"),
            health_deduction_over=None if "health_deduction_over" not in black
            else self.number(black["health_deduction_over"], "blacklist", "health_deduction_over"),
        )
        warn = self.table(data, "early_warning") or {}
        ew_keys = {"homepage_unreachable_ratio": False, "homepage_days_without_update": True,
                   "stale_columns": True, "blank_columns": True}
        self.keys(warn, frozenset(ew_keys), "early_warning", prefix="early_warning.")
        lines = {k: self.number(v, "early_warning", k, integer=ew_keys[k],
                                at_most=None if ew_keys[k] else 1.0) for k, v in warn.items()}

        def count_line(key: str) -> int | None:
            return int(lines[key]) if key in lines else None

        early = EarlyWarningLines(
            homepage_unreachable_ratio=lines.get("homepage_unreachable_ratio"),
            homepage_days_without_update=count_line("homepage_days_without_update"),
            stale_columns=count_line("stale_columns"),
            blank_columns=count_line("blank_columns"),
        )
        return RuleSet(source=self.name, profile=profile, periods=periods, rules=rules, group_caps=group_caps,
                       blacklist=blacklist, early_warning=early, **texts)

    def text_tables(self, data: dict[str, Any], categories: frozenset[str]) -> dict[str, Any]:
        """[keywords], [placeholders] and [single_page]; a file without one gets the bundled one."""
        missing = [k for k in ("keywords", "placeholders", "single_page") if k not in data]
        default = load_rules() if missing and not self.bundled else None
        out: dict[str, Any] = {}
        if (kw := self.table(data, "keywords")) is not None:
            self.keys(kw, categories, "keywords", prefix="keywords.")
            out["keywords"] = {k: self.strings(v, "keywords", k) for k, v in kw.items()}
        for table, key, attr in (("placeholders", "texts", "placeholders"), ("single_page", "names", "single_page_names")):
            if (section := self.table(data, table)) is not None:
                self.keys(section, frozenset({key}), table, prefix=f"{table}.")
                if key not in section:
                    self.fail("missing key", table, None, label=f"{table}.{key}")
                out[attr] = self.strings(section[key], table, key)
        for table, attr in (("keywords", "keywords"), ("placeholders", "placeholders"), ("single_page", "single_page_names")):
            if attr not in out:
                if default is None:
                    self.fail("missing table", None, None, label=f"[{table}]")
                out[attr] = getattr(default, attr)
        return out

    def groups(self, data: dict[str, Any]) -> dict[str, float]:
        caps: dict[str, float] = {}
        for name, group in (self.table(data, "groups") or {}).items():
            table = f"groups.{name}"
            if not isinstance(group, dict):
                self.fail(f"must be a table such as [groups.{name}] with cap = N, got {group!r}", "groups", name,
                          label=table)
            self.keys(group, frozenset({"cap"}), table, prefix=f"{table}.")
            if "cap" not in group:
                self.fail("missing key", table, None, label=f"{table}.cap")
            caps[name] = self.number(group["cap"], table, "cap")
        return caps

    def rules(self, data: dict[str, Any], group_caps: dict[str, float]) -> tuple[Rule, ...]:
        raw = data.get("rule")
        if not isinstance(raw, list) or not raw or not all(isinstance(r, dict) for r in raw):
            self.fail("needs at least one [[rule]] table", None, "rule", label="[[rule]]")
        rules: list[Rule] = []
        for i, r in enumerate(raw):
            rules.append(self.rule(r, i, group_caps, seen={x.id: x for x in rules}))
        ids = {r.id: r for r in rules}
        for i, rule in enumerate(rules):
            for other in rule.unless_veto:
                if other not in ids or not ids[other].veto:
                    self.fail(f"{other!r} is not the id of a veto rule", "rule", "unless_veto", index=i,
                              label=f'rule "{rule.id}".unless_veto')
        return tuple(rules)

    def rule(self, r: dict[str, Any], i: int, group_caps: dict[str, float], seen: dict[str, Rule]) -> Rule:
        if "id" not in r:
            self.fail("missing key", "rule", None, index=i, label=f"rule #{i + 1}.id")
        rid = self.string(r["id"], "rule", "id", index=i, label=f"rule #{i + 1}.id")
        if not re.fullmatch(r"[a-z][a-z0-9_]*", rid):
            self.fail(f"must be snake_case, got {rid!r}", "rule", "id", index=i, label=f"rule #{i + 1}.id")
        if rid in seen:
            self.fail("duplicate rule id", "rule", "id", index=i, label=f'rule "{rid}".id')

        def lab(key: str) -> dict[str, Any]:
            return {"index": i, "label": f'rule "{rid}".{key}'}

        self.keys(r, _RULE_KEYS, "rule", index=i, prefix=f'rule "{rid}".')
        if "zh" not in r:
            self.fail("missing key", "rule", None, **lab("zh"))
        counts_raw = r.get("counts", [])
        counts_list = [counts_raw] if isinstance(counts_raw, dict) else counts_raw
        if not isinstance(counts_list, list) or not all(isinstance(c, dict) for c in counts_list):
            self.fail(f"must be a table or a list of tables, got {counts_raw!r}", "rule", "counts", **lab("counts"))
        counts = tuple(self.filter(c, i, rid) for c in counts_list)
        ratio = None
        if "ratio" in r:
            ratio = self.string(r["ratio"], "rule", "ratio", **lab("ratio"))
            if ratio != "probes":
                self.fail(f'must be "probes", got {ratio!r}', "rule", "ratio", **lab("ratio"))
        if not counts and ratio is None:
            self.fail('says nothing to count: add counts = { kind = "..." } or ratio = "probes"', "rule", "id",
                      **lab("counts"))
        if ratio and "threshold" not in r:
            self.fail("missing key (a ratio rule needs its line)", "rule", "ratio", **lab("threshold"))
        if ratio and r.get("points_each"):
            self.fail("a ratio rule has nothing to count per item; use points", "rule", "points_each",
                      **lab("points_each"))
        group = None
        if "group" in r:
            group = self.string(r["group"], "rule", "group", **lab("group"))
            if group not in group_caps:
                self.fail(f"group {group!r} is not defined: add [groups.{group}] with cap = N", "rule", "group",
                          **lab("group"))
        needs = (self.strings(r["needs"], "rule", "needs", allowed=MEASUREMENTS, **lab("needs")) if "needs" in r
                 else tuple(sorted({KIND_NEEDS[k] for c in counts for k in c.kinds})))

        def num(key: str, default: float, **kw: Any) -> float:
            return self.number(r[key], "rule", key, **lab(key), **kw) if key in r else default

        return Rule(
            id=rid,
            zh=self.string(r["zh"], "rule", "zh", **lab("zh")),
            measures=self.string(r["measures"], "rule", "measures", **lab("measures")) if "measures" in r else "",
            counts=counts,
            ratio=ratio,
            threshold=num("threshold", 1.0, at_most=1.0 if ratio else None),
            veto=self.boolean(r.get("veto", False), "rule", "veto", **lab("veto")),
            points=num("points", 0.0),
            points_each=num("points_each", 0.0),
            cap=num("cap", 0.0) if "cap" in r else None,
            group=group,
            unless_veto=self.strings(r["unless_veto"], "rule", "unless_veto", **lab("unless_veto"))
            if "unless_veto" in r else (),
            needs=needs,
        )

    def filter(self, c: dict[str, Any], i: int, rid: str) -> FindingFilter:
        self.keys(c, _FILTER_KEYS, "rule", index=i, prefix=f'rule "{rid}".counts.', line_key="counts")
        if "kind" not in c:
            self.fail("missing key", "rule", "counts", index=i, label=f'rule "{rid}".counts.kind')
        if {FindingKind.UNVERIFIED_LINK, FindingKind.UNVERIFIED_COLUMN} & set(c["kind"] if isinstance(c["kind"], list)
                                                                          else [c["kind"]]):
            self.fail("unverified findings never count", "rule", "counts", index=i,
                      label=f'rule "{rid}".counts.kind')

        def opt(key: str, allowed: frozenset[str]) -> tuple[str, ...]:
            if key not in c:
                return ()
            return self.strings(c[key], "rule", "counts", allowed=allowed, index=i, label=f'rule "{rid}".counts.{key}')

        def flag(key: str) -> bool | None:
            if key not in c:
                return None
            return self.boolean(c[key], "rule", "counts", index=i, label=f'rule "{rid}".counts.{key}')

        return FindingFilter(
            kinds=opt("kind", frozenset(KIND_NEEDS)),
            resource_types=opt("resource_type", frozenset(t.value for t in ResourceType)),
            column_categories=opt("column_category", frozenset(c.value for c in ColumnCategory)),
            on_homepage=flag("on_homepage"),
            top_level=flag("top_level"),
        )
