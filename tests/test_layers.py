"""Guard: layers point down, crawler -> pipelines -> models, never back (README: Architecture)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# package -> the project packages it must never import
BELOW = {"crawler": set(), "pipelines": {"crawler"}, "models": {"crawler", "pipelines"}}


def imported(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
    return names


MODULES = sorted(p for package in BELOW for p in (ROOT / package).rglob("*.py"))


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(ROOT)))
def test_imports_point_down(path: Path) -> None:
    package = path.relative_to(ROOT).parts[0]
    bad = {name for name in imported(path) if name.split(".")[0] in BELOW[package]}
    assert not bad, f"{path.relative_to(ROOT)} imports {sorted(bad)} from a layer above it"


def test_the_guard_sees_an_upward_import(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text("def f():\n    from crawler.config import as_of_date\n", encoding="utf-8")
    assert "crawler.config" in imported(module)
