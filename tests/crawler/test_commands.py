"""The scrapy commands as a user runs them: exit status, one-line errors, nothing written on bad input."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from models.session import make_sessionmaker, open_database
from models.site import Site
from tests.conftest import evidence_dir

ROOT = Path(__file__).resolve().parents[2]

GOOD = "code,name,url,level\n4510000031,百色市人民政府,http://www.baise.gov.cn.example/,city\n"


def scrapy(
    *args: str, db_url: str, timeout: int = 120, env_extra: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "GOVHEALTH_EVIDENCE_DIR": str(evidence_dir(db_url)),
        **(env_extra or {}),
        "GOVHEALTH_DATABASE_URL": db_url,
        "GOVHEALTH_LOG_LEVEL": "WARNING",
    }
    return subprocess.run(
        [sys.executable, "-m", "scrapy.cmdline", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def sites_in(db_url: str) -> list[tuple[str, str]]:
    engine = open_database(db_url)
    try:
        with make_sessionmaker(engine)() as session:
            return [(s.code, s.name) for s in session.scalars(select(Site).order_by(Site.code))]
    finally:
        engine.dispose()


def test_import_then_list(db_url: str, tmp_path: Path) -> None:
    path = tmp_path / "sites.csv"
    path.write_text(GOOD, encoding="utf-8")
    done = scrapy("sites", "import", str(path), db_url=db_url)
    assert done.returncode == 0, done.stderr
    assert "1 new" in done.stdout
    listed = scrapy("sites", "list", "--format", "json", db_url=db_url)
    assert json.loads(listed.stdout)[0]["name"] == "百色市人民政府"


def test_reimport_updates(db_url: str, tmp_path: Path) -> None:
    path = tmp_path / "sites.csv"
    path.write_text(GOOD, encoding="utf-8")
    scrapy("sites", "import", str(path), db_url=db_url)
    path.write_text(GOOD.replace("百色市人民政府", "百色市人民政府门户网站"), encoding="utf-8")
    done = scrapy("sites", "import", str(path), db_url=db_url)
    assert "1 updated" in done.stdout
    assert sites_in(db_url) == [("4510000031", "百色市人民政府门户网站")]


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (GOOD + "45100,坏代码,http://x.example/,city\n", "row 3"),
        (GOOD + "4510280002,乐业县人民政府,ftp://x.example/,county\n", "row 3"),
        (GOOD + "4510280002,乐业县人民政府,http://x.example/,village\n", "row 3"),
        (GOOD + "4510000031,百色市重复,http://x.example/,city\n", "duplicate"),
        ("name,url\n百色,http://x.example/\n", "code"),
        ("", "empty"),
        ("\x00\x01\x02PK garbage \xff", "not a CSV or XLSX file"),
    ],
)
def test_bad_file_writes_nothing(db_url: str, tmp_path: Path, content: str, expected: str) -> None:
    first = tmp_path / "first.csv"
    first.write_text(
        "code,name,url\n4509810018,北流市人民政府,http://www.beiliu.gov.cn.example/\n", encoding="utf-8"
    )
    scrapy("sites", "import", str(first), db_url=db_url)
    before = sites_in(db_url)
    path = tmp_path / "bad.csv"
    path.write_bytes(
        content.encode("utf-8", "surrogateescape") if "\xff" not in content else content.encode("latin-1")
    )
    done = scrapy("sites", "import", str(path), db_url=db_url)
    assert done.returncode == 1
    assert expected in done.stderr
    assert "Traceback" not in done.stderr
    assert sites_in(db_url) == before


def test_crawl_unknown_code_is_one_clear_error(db_url: str) -> None:
    done = scrapy("crawl", "portal", "-a", "code=4599999999", db_url=db_url)
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        "error: unknown site code '4599999999': register it first with 'scrapy sites import FILE'"
    ]


@pytest.mark.parametrize(
    "args", [("sites", "list"), ("crawl", "portal", "-a", "code=4510000031"), ("export", "-o", "x.jsonl")]
)
def test_unreachable_database_is_one_clear_error(args: tuple[str, ...], tmp_path: Path) -> None:
    done = scrapy(*args, db_url="postgresql+psycopg://gov:pw@127.0.0.1:1/gov")
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(
        "error: cannot reach database postgresql+psycopg://gov:***@127.0.0.1:1/gov"
    )


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        (
            {"GOVHEALTH_AS_OF": "yesterday"},
            "error: GOVHEALTH_AS_OF must be a date like 2026-11-20, got 'yesterday'",
        ),
        (
            {"GOVHEALTH_RULES": "/nonexistent/rules.toml"},
            "error: /nonexistent/rules.toml: cannot read rules file",
        ),
    ],
)
def test_bad_settings_are_one_clear_error(
    db_url: str, tmp_path: Path, env: dict[str, str], expected: str
) -> None:
    path = tmp_path / "sites.csv"
    path.write_text(GOOD, encoding="utf-8")
    scrapy("sites", "import", str(path), db_url=db_url)
    for args in (("crawl", "portal", "-a", "code=4510000031"), ("score",)):
        done = scrapy(*args, db_url=db_url, env_extra=env)
        assert done.returncode == 1, args
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith(expected), (args, done.stderr[-500:])


@pytest.mark.parametrize(
    ("setting", "expected"),
    [
        ("GOVHEALTH_MAX_PAGES=0", "error: GOVHEALTH_MAX_PAGES must be >= 1, got 0"),
        (
            "GOVHEALTH_GC_THRESHOLDS=abc",
            "error: GOVHEALTH_GC_THRESHOLDS must be 1 to 3 comma-separated whole numbers",
        ),
    ],
)
def test_bad_crawl_settings_are_one_clear_error(
    db_url: str, tmp_path: Path, setting: str, expected: str
) -> None:
    path = tmp_path / "sites.csv"
    path.write_text(GOOD, encoding="utf-8")
    scrapy("sites", "import", str(path), db_url=db_url)
    done = scrapy("crawl", "portal", "-a", "code=4510000031", "-s", setting, db_url=db_url)
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(expected), done.stderr[-500:]


def test_malformed_rules_file_names_key_and_line(db_url: str, tmp_path: Path) -> None:
    rules = tmp_path / "rules.toml"
    rules.write_text('[profile]\nname = "x"\nbase = 100\nfail_below = "sixty"\n', encoding="utf-8")
    done = scrapy("score", "--rules", str(rules), db_url=db_url)
    assert done.returncode == 1
    assert "line 4" in done.stderr and "fail_below" in done.stderr
