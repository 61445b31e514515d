"""Schema upgrades: once, not on every open; workers starting together on one PostgreSQL do not race."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from alembic import command

from models.session import current_revision, head_revision, open_database
from tests.conftest import ROOT

WORKER = """
import sys, time
from pathlib import Path
go = Path(sys.argv[2])
deadline = time.monotonic() + 60
while not go.exists():
    if time.monotonic() > deadline:
        raise SystemExit("never told to go")
    time.sleep(0.001)
from models.session import open_database, current_revision
engine = open_database(sys.argv[1])
print(current_revision(engine))
engine.dispose()
"""


def test_an_up_to_date_schema_is_not_migrated_again(db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    monkeypatch.setattr(command, "upgrade", lambda *args, **kwargs: calls.append("upgrade"))
    engine = open_database(db_url)  # migrated by the fixture already
    assert current_revision(engine) == head_revision()
    engine.dispose()
    assert calls == []


def test_an_empty_database_is_migrated_to_head(tmp_path: Path) -> None:
    engine = open_database(f"sqlite:///{tmp_path / 'new.sqlite3'}")
    assert current_revision(engine) == head_revision() is not None
    engine.dispose()


@pytest.mark.postgres
def test_two_workers_starting_at_once_on_one_postgresql_both_work(pg_url: str, tmp_path: Path) -> None:
    go = tmp_path / "go"
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, pg_url, str(go)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    go.touch()
    results = [w.communicate(timeout=120) for w in workers]
    assert [w.returncode for w in workers] == [0, 0, 0], [err for _, err in results]
    assert {out.strip() for out, _ in results} == {head_revision()}
