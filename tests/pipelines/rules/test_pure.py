"""Guard: the pure logic in pipelines/rules/ never imports Scrapy, Twisted or SQLAlchemy."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

RULES = Path(__file__).resolve().parents[3] / "pipelines" / "rules"
FORBIDDEN = ("scrapy", "twisted", "sqlalchemy", "alembic", "crawler", "models.session")


def imported(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


@pytest.mark.parametrize("path", sorted(RULES.rglob("*.py")), ids=lambda p: str(p.relative_to(RULES)))
def test_rules_module_is_pure(path: Path) -> None:
    bad = {name for name in imported(path) if name.split(".")[0] in FORBIDDEN or name in FORBIDDEN}
    assert not bad, f"{path.name} imports {sorted(bad)}"
