"""bench_crawl.py's govhealth runs: `scrapy crawl portal` on a fresh SQLite database, measured, then read back.

``profile_govhealth`` runs the same crawl once more under py-spy.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import subprocess
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import ROOT
from .measure import run_measured, tail
from .sites import SITE_CODE, SITE_NAME, absolute
from .tools import install_py_spy, py_spy_record, summarise_stacks

if TYPE_CHECKING:
    from .servers import Site

# Settings of a local benchmark: no politeness delays, enough concurrency to keep the crawler busy.
GOVHEALTH_SETTINGS = {
    "GOVHEALTH_MAX_PAGES": "30000",
    "GOVHEALTH_MAX_SECONDS": "3600",
    "GOVHEALTH_ALLOW_PRIVATE_TARGETS": "True",
    "DOWNLOAD_DELAY": "0",
    "AUTOTHROTTLE_ENABLED": "False",
    "CONCURRENT_REQUESTS": "64",
    "CONCURRENT_REQUESTS_PER_DOMAIN": "32",
    "GOVHEALTH_PER_SERVER_CONCURRENCY": "32",  # one local server: the per-site figure, as before the limit
    "GOVHEALTH_PER_SERVER_DELAY": "0",
    "GOVHEALTH_RECHECK_DELAY": "1",
    "LOG_LEVEL": "WARNING",
}


def govhealth_command(python: str, extra_settings: dict[str, str]) -> list[str]:
    """`scrapy crawl portal` on the benchmark site with GOVHEALTH_SETTINGS and the extra settings."""
    command = [python, "-m", "scrapy", "crawl", "portal", "-a", f"code={SITE_CODE}"]
    for name, value in {**GOVHEALTH_SETTINGS, **extra_settings}.items():
        command += ["-s", f"{name}={value}"]
    return command


def import_sites(python: str, csv: Path, env: dict[str, str]) -> None:
    """`scrapy sites import CSV` into the database of ``env``.

    Raises:
        RuntimeError: the command failed (its output in the message).
    """
    proc = subprocess.run(
        [python, "-m", "scrapy", "sites", "import", str(csv)],
        cwd=ROOT,
        env=env,
        check=False,
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"scrapy sites import failed:\n{proc.stdout}{proc.stderr}")


def register_site(site_url: str, work: Path, python: str, label: str) -> tuple[Path, dict[str, str]]:
    """A fresh SQLite database with the site registered by `scrapy sites import`."""
    db = work / f"{label}.sqlite3"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    env = {
        **os.environ,
        "GOVHEALTH_DATABASE_URL": f"sqlite:///{db}",
        "GOVHEALTH_EVIDENCE_DIR": str(work / f"{label}-evidence"),  # the archive stays with the run
        "PYTHONUNBUFFERED": "1",
    }
    sites_csv = work / f"{label}-sites.csv"
    sites_csv.write_text(f"code,name,url\n{SITE_CODE},{SITE_NAME},{site_url}\n", encoding="utf-8")
    import_sites(python, sites_csv, env)
    return db, env


def run_govhealth(
    site: Site, python: str, label: str, timeout: float, extra_settings: dict[str, str]
) -> dict[str, Any]:
    """Register the site in a fresh SQLite DB, crawl it with `scrapy crawl portal`, read the run back."""
    site_url, spec, work, server = site.url, site.spec, site.work, site.server
    db, env = register_site(site_url, work, python, label)
    command = govhealth_command(python, extra_settings)
    m = run_measured(command, cwd=ROOT, env=env, logs=work, name=label, server=server, timeout=timeout)
    result: dict[str, Any] = {"tool": "govhealth", "label": label, **asdict(m)}
    if m.exit_code != 0:
        result["error"] = f"exit {m.exit_code}: {tail(m.stderr_path)}"
    with contextlib.closing(sqlite3.connect(db)) as conn:
        row = conn.execute(
            "SELECT id, pages, targets, broken, unverified, status, budget_hit, close_reason, stats"
            " FROM crawl_runs ORDER BY id DESC LIMIT 1"
        ).fetchone()
        if row is None:
            result.setdefault("error", "no crawl_runs row was stored")
            return result
        run_id, pages, targets, broken, unverified, status, budget, reason, stats_json = row
        stats = json.loads(stats_json or "{}")
        occurrences = conn.execute(
            "SELECT COALESCE(SUM(source_count), 0) FROM link_checks WHERE run_id=?", (run_id,)
        ).fetchone()[0]
        broken_urls = {
            u
            for (u,) in conn.execute(
                "SELECT url FROM link_checks WHERE run_id=? AND state='broken'", (run_id,)
            )
        }
        by_type = dict(
            conn.execute(
                "SELECT resource_type, COUNT(*) FROM link_checks WHERE run_id=? GROUP BY 1", (run_id,)
            ).fetchall()
        )
    expected = {absolute(site_url, t) for t in spec.missing}
    requests = int(stats.get("downloader/request_count", 0))
    result.update(
        pages=pages,
        targets=targets,
        link_occurrences=int(occurrences) + 1,  # + the homepage itself, which no page "links to" first
        broken=broken,
        unverified=unverified,
        run_status=status,
        budget_hit=budget,
        close_reason=reason,
        requests=requests,
        responses=int(stats.get("downloader/response_count", 0)),
        request_methods={
            k.rsplit("/", 1)[-1]: v
            for k, v in stats.items()
            if k.startswith("downloader/request_method_count/")
        },
        rechecks=stats.get("govhealth/rechecks", 0),
        scrapy_elapsed_seconds=stats.get("elapsed_time_seconds"),
        targets_by_type=by_type,
        response_bytes=stats.get("downloader/response_bytes", 0),
        evidence_bytes=stats.get("govhealth/evidence/bytes", 0),  # the run's WARC archive
        evidence_records=stats.get("govhealth/evidence/records", 0),
        broken_missed=len(expected - broken_urls),
        broken_false=len(broken_urls - expected),
    )
    return result


def profile_govhealth(
    site: Site, python: str, extra: dict[str, str], cache: Path, json_path: Path | None
) -> dict[str, Any]:
    """Crawl the site once more under py-spy (sampling, ~100 Hz) and summarise where the main thread spends its time."""
    binary, why = install_py_spy(cache)
    if binary is None:
        print(f"  profile skipped: {why}", flush=True)
        return {"skipped": why}
    _, env = register_site(site.url, site.work, python, "govhealth-profile")
    out = (json_path.parent if json_path else site.work) / "govhealth.pyspy.txt"
    command = py_spy_record(binary, out, govhealth_command(python, extra))
    print(f"  profiling govhealth with py-spy into {out} ...", flush=True)
    proc = subprocess.run(command, cwd=ROOT, env=env, check=False, capture_output=True, text=True)
    if proc.returncode != 0 or not out.exists():
        return {"skipped": f"py-spy failed: {proc.stderr.strip()[-500:]}"}
    summary = {"raw_stacks": str(out), **summarise_stacks(out)}
    print(
        f"\nwhere govhealth's main thread spends its time ({summary['samples']} samples; self %, then inclusive %):"
    )
    for (name, pct), (iname, ipct) in zip(
        summary["self_percent"][:25], summary["inclusive_percent"][10:35], strict=False
    ):
        print(f"  {pct:5.1f}%  {name[:70]:70}  {ipct:5.1f}%  {iname[:70]}")
    return summary
