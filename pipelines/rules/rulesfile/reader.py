"""Typed getters over parsed TOML that name the file, key and line of the first problem (rules files)."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, NoReturn

from pipelines.rules.rulesfile.model import RulesError

HEADER = re.compile(r"^\s*\[\[?([^\[\]]+)\]\]?\s*(?:#.*)?$")


@dataclass(frozen=True)
class At:
    """Where a value lives: the key as messages name it, and what finds its line in the text."""

    label: str
    table: str | None = None
    key: str | None = None  # the key whose line is reported; None (or not found): the table's header
    index: int = 0  # which [[table]] of an array of tables


def key_at(table: str, key: str) -> At:
    """The place of ``key`` in ``[table]``."""
    return At(f"{table}.{key}", table, key)


class TomlReader:
    """Validates parsed TOML, naming the file, key and line of the first problem."""

    def __init__(self, name: str, text: str, *, bundled: bool) -> None:
        self.name, self.lines, self.bundled = name, text.splitlines(), bundled

    def fail(self, msg: str, at: At) -> NoReturn:
        line = self.line_of(at)
        raise RulesError(
            f"{self.name}, line {line}: {at.label}: {msg}", path=self.name, line=line, key=at.label
        )

    def line_of(self, at: At) -> int:
        """1-based line of ``at.key`` in the ``at.index``-th ``[table]``/``[[table]]``, else its header."""
        start: int | None = 0 if at.table is None else None
        seen = -1
        key_re = re.compile(rf"^\s*[\"']?{re.escape(at.key)}[\"']?\s*[=.]") if at.key else None
        for n, text in enumerate(self.lines):
            if header := HEADER.match(text):
                if start is not None:
                    break
                if header_name(header) == at.table:
                    seen += 1
                    start = n if seen == at.index else None
                continue
            if start is not None and key_re and key_re.match(text):
                return n + 1
        if at.table is None and at.key:  # an unknown top-level key may be a table: [key] or [key.sub]
            for n, text in enumerate(self.lines):
                if (header := HEADER.match(text)) and header_name(header).split(".")[0] == at.key:
                    return n + 1
        return (start or 0) + 1

    # -- typed getters ----------------------------------------------------------------------------
    def number(self, value: Any, at: At, *, integer: bool = False, at_most: float | None = None) -> float:
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

    def boolean(self, value: Any, at: At) -> bool:
        if not isinstance(value, bool):
            self.fail(f"must be true or false, got {value!r}", at)
        return value

    def string(self, value: Any, at: At) -> str:
        if not isinstance(value, str) or not value.strip():
            self.fail(f"must be a non-empty string, got {value!r}", at)
        return value

    def strings(self, value: Any, at: At, allowed: frozenset[str] | None = None) -> tuple[str, ...]:
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
            self.fail("missing table", At(f"[{key}]"))
        if value is not None and not isinstance(value, dict):
            self.fail(f"must be a table, got {value!r}", At(key, None, key))
        return value

    def keys(self, data: dict[str, Any], allowed: frozenset[str], at: Callable[[str], At]) -> None:
        for key in data:
            if key not in allowed:
                self.fail(f"unknown key; expected one of {', '.join(sorted(allowed))}", at(key))

    def require(self, data: dict[str, Any], keys: tuple[str, ...], at: Callable[[str], At]) -> None:
        for key in keys:
            if key not in data:
                self.fail("missing key", replace(at(key), key=None))


def header_name(header: re.Match[str]) -> str:
    return re.sub(r"[\s\"']", "", header.group(1))
