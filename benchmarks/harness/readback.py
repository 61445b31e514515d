"""Read bench_nightly.py's newest nightly run back from any SQLAlchemy URL and print it as JSON.

Per crawl run: its figures, selected stats and broken URLs. Usage (with the project's venv):
``python -m benchmarks.harness.readback DATABASE_URL``.
"""

from __future__ import annotations

import json
import sys
from datetime import datetime
from typing import Any

from sqlalchemy import create_engine, text

KEEP = (
    "downloader/request_count",
    "downloader/response_count",
    "downloader/request_method_count/",
    "downloader/exception_count",
    "govhealth/linkcache/",
    "govhealth/pages",
    "govhealth/rechecks",
    "govhealth/budget/",
    "elapsed_time_seconds",
    "finish_reason",
    "memusage/",
)
RUNS = (
    "SELECT r.id, s.code, r.pages, r.targets, r.broken, r.unverified, r.status, r.close_reason, r.budget_hit,"
    " r.started_at, r.finished_at, r.stats FROM crawl_runs r JOIN sites s ON s.id = r.site_id"
    " WHERE r.nightly_id = :n ORDER BY r.id"
)


def ts(v: Any) -> datetime:
    """A timestamp column as a datetime."""
    return datetime.fromisoformat(v) if isinstance(v, str) else v  # SQLite gives text for a raw query


def secs(a: Any, b: Any) -> float | None:
    """Seconds from ``a`` to ``b``, or None when either is missing."""
    return (ts(b) - ts(a)).total_seconds() if a is not None and b is not None else None


def read_back(url: str) -> dict[str, Any]:
    """The newest nightly run, its crawl runs and the link cache's row count."""
    engine = create_engine(url)
    out: dict[str, Any] = {}
    with engine.connect() as c:
        n = c.execute(
            text("SELECT id, status, started_at, finished_at FROM nightly_runs ORDER BY id DESC LIMIT 1")
        ).one()
        out["nightly"] = {"id": n.id, "status": n.status, "seconds": secs(n.started_at, n.finished_at)}
        runs = []
        for r in c.execute(text(RUNS), {"n": n.id}):
            stats = r.stats if isinstance(r.stats, dict) else json.loads(r.stats or "{}")
            broken = [
                u
                for (u,) in c.execute(
                    text("SELECT url FROM link_checks WHERE run_id = :r AND state = 'broken'"), {"r": r.id}
                )
            ]
            runs.append(
                {
                    "run_id": r.id,
                    "code": r.code,
                    "pages": r.pages,
                    "targets": r.targets,
                    "broken": r.broken,
                    "unverified": r.unverified,
                    "status": r.status,
                    "close_reason": r.close_reason,
                    "budget_hit": r.budget_hit,
                    "start_offset": secs(n.started_at, r.started_at),
                    "seconds": secs(r.started_at, r.finished_at),
                    "stats": {k: v for k, v in stats.items() if k.startswith(KEEP)},
                    "broken_urls": broken,
                }
            )
        out["runs"] = runs
        out["link_cache_rows"] = c.execute(text("SELECT COUNT(*) FROM link_cache")).scalar()
    engine.dispose()
    return out


if __name__ == "__main__":
    print(json.dumps(read_back(sys.argv[1]), default=str))
