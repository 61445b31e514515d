#!/usr/bin/env python3
"""Benchmark `scrapy report` on a large province: 200 sites x 500 findings (two complete runs each, for the diff).

It fills a fresh SQLite database directly (sites, runs, findings with their history, 40 columns a site), runs
`scrapy report -o DIR` as a user would and prints the wall time, the CPU and peak RSS of the command, and the
sizes of the pages (the overview, the largest and the median site page).

Usage: .venv/bin/python benchmarks/bench_report.py [--sites 200] [--findings 500] [--runs 2] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the project's packages, run as a script

from sqlalchemy import insert

from models.column import Column
from models.finding import Finding, FindingHistory
from models.run import CrawlRun
from models.session import make_sessionmaker, open_database
from models.site import Site
from pipelines.rules.history import fingerprint

ROOT = Path(__file__).resolve().parent.parent
KINDS = ["broken_link"] * 90 + ["stale_column"] * 4 + ["blank_column"] * 2 + ["unverified_link"] * 4
LEVELS = ["department"] * 57 + ["city"] * 14 + ["county"] * 112  # Guangxi's mix


def fill(db_url: str, sites: int, findings: int, runs: int, seed: int = 13) -> None:
    """Sites with ``runs`` complete runs each; about 5 % of the findings change between runs."""
    rng = random.Random(seed)
    engine = open_database(db_url)
    start = datetime(2026, 11, 1, 17, 30, tzinfo=UTC)
    try:
        with make_sessionmaker(engine).begin() as session:
            for n in range(sites):
                code = f"45{n:08d}"
                base = f"http://www{n}.gov.cn.example"
                site = Site(
                    code=code, name=f"第{n}号测试县人民政府", url=f"{base}/", level=LEVELS[n % len(LEVELS)]
                )
                session.add(site)
                session.flush()
                kinds = [rng.choice(KINDS) for _ in range(findings + findings // 10)]
                history: dict[str, dict[str, Any]] = {}
                for r in range(runs):
                    at = start + timedelta(days=r)
                    run = CrawlRun(
                        site_id=site.id, started_at=at, finished_at=at + timedelta(minutes=20), status="complete",
                        close_reason="finished", pages=800, targets=9000, stats={},
                    )  # fmt: skip
                    session.add(run)
                    session.flush()
                    shift = r * findings // 20  # the window of findings moves: some fixed, some new
                    rows = []
                    for i in range(shift, shift + findings):
                        kind = kinds[i]
                        column = kind.endswith("_column")
                        url = f"{base}/{'col' if column else 'p'}/{i}/index.html"
                        fp = fingerprint(code, kind, url)
                        rows.append(
                            {
                                "run_id": run.id, "site_id": site.id, "fingerprint": fp, "kind": kind, "url": url,
                                "source_url": None if column else f"{base}/list/{i % 50}.html",
                                "sources": [] if column else [f"{base}/list/{i % 50}.html", f"{base}/"],
                                "source_count": 0 if column else 2, "on_homepage": i % 17 == 0,
                                "external": False, "link_text": None if column else f"第{i}条新闻标题 <b>",
                                "resource_type": None if column else "page",
                                "status": None if column else 404,
                                "error": None if column else "http_error", "reason": "HTTP 404 on GET",
                                "column_name": f"栏目{i}" if column else None,
                                "column_category": "news" if column else None,
                                "latest_date": date(2026, 9, 1) if kind == "stale_column" else None,
                                "item_count": 5 if column else None, "detected_at": at,
                            }
                        )  # fmt: skip
                        seen = history.setdefault(fp, {"site_id": site.id, "fingerprint": fp, "kind": kind,
                                                       "url": url, "first_seen": at, "runs_seen": 0})  # fmt: skip
                        seen["last_seen"] = at
                        seen["runs_seen"] += 1
                    session.execute(insert(Finding), rows)
                    session.execute(
                        insert(Column),
                        [
                            {
                                "run_id": run.id,
                                "url": f"{base}/col/{c}/index.html",
                                "name": f"栏目{c}",
                                "category": "news",
                                "how": "nav",
                                "page_kind": "list",
                                "item_count": 20,
                                "latest_date": date(2026, 10, 30),
                                "status": "ok",
                                "top_level": True,
                            }
                            for c in range(40)
                        ],
                    )
                session.execute(insert(FindingHistory), list(history.values()))
    finally:
        engine.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sites", type=int, default=200)
    parser.add_argument("--findings", type=int, default=500, help="findings per site and run")
    parser.add_argument("--runs", type=int, default=2, help="complete runs per site")
    parser.add_argument("--json", help="write the figures to this file")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="govhealth-bench-report-") as tmp:
        db_url = f"sqlite:///{Path(tmp) / 'report.sqlite3'}"
        began = time.monotonic()
        fill(db_url, args.sites, args.findings, args.runs)
        print(
            f"filled {args.sites} sites x {args.findings} findings x {args.runs} runs in {time.monotonic() - began:.1f} s"
        )
        out = Path(tmp) / "report"
        env = {**os.environ, "GOVHEALTH_DATABASE_URL": db_url, "GOVHEALTH_AS_OF": "2026-11-20"}
        began = time.monotonic()
        done = subprocess.run(
            [sys.executable, "-m", "scrapy.cmdline", "report", "-o", str(out)],
            cwd=ROOT, env=env, capture_output=True, text=True, check=False,
        )  # fmt: skip
        wall = time.monotonic() - began
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        if done.returncode != 0:
            print(done.stderr)
            return 1
        pages = sorted(p.stat().st_size for p in (out / "sites").glob("*.html"))
        figures = {
            "sites": args.sites,
            "findings_per_site": args.findings,
            "runs_per_site": args.runs,
            "wall_s": round(wall, 2),
            "cpu_s": round(usage.ru_utime + usage.ru_stime, 2),
            "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),
            "index_kb": round((out / "index.html").stat().st_size / 1024, 1),
            "site_page_kb_median": round(statistics.median(pages) / 1024, 1),
            "site_page_kb_max": round(pages[-1] / 1024, 1),
            "total_mb": round(sum(p.stat().st_size for p in out.rglob("*") if p.is_file()) / 2**20, 1),
        }
        print(done.stdout.strip())
        for key, value in figures.items():
            print(f"{key:>22}: {value}")
        if args.json:
            Path(args.json).write_text(json.dumps(figures, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
