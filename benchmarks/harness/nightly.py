"""bench_nightly.py's runs: `scrapy nightly` on a fresh SQLite or PostgreSQL database, measured and read back.

Also the control run (the largest generated site crawled alone) and the nightly once more under py-spy.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import sqlite3
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import ROOT, module_command
from .crawl import import_sites
from .figures import figures
from .measure import run_with_timeline, tail
from .tools import install_py_spy, py_spy_record, summarise_stacks

if TYPE_CHECKING:
    from .nightly_sites import GenSite
    from .servers import MultiSiteNginx

# Settings of the benchmark (the brief's): no politeness delays, 8 requests at a time per site.
NIGHTLY_SETTINGS = {
    "GOVHEALTH_ALLOW_PRIVATE_TARGETS": "True",
    "DOWNLOAD_DELAY": "0",
    "AUTOTHROTTLE_ENABLED": "False",
    "CONCURRENT_REQUESTS_PER_DOMAIN": "8",
    "GOVHEALTH_PER_SERVER_DELAY": "0",  # each site has its own address; its limit is the per-site one
    "GOVHEALTH_RECHECK_DELAY": "1",
    "LOG_LEVEL": "WARNING",
}


def run_module(python: str, module: str, *args: str, env: dict[str, str] | None = None) -> str:
    """The output of ``python -m benchmarks.harness.<module> args...`` run in the project root.

    Raises:
        RuntimeError: it failed (the end of its stderr in the message).
    """
    proc = subprocess.run(
        module_command(python, module, *args), cwd=ROOT, env=env, check=False, capture_output=True, text=True
    )
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr.strip()[-1500:])
    return proc.stdout


def mask(url: str) -> str:
    """The URL with its password hidden, for the printed report and the JSON."""
    return re.sub(r"://([^:/@]+):[^@/]*@", r"://\1:***@", url)


@contextlib.contextmanager
def fresh_database(backend: str, work: Path, python: str, pg_url: str | None, keep: bool) -> Iterator[str]:
    """Yield the URL of an empty database: a new SQLite file, or a new PostgreSQL database (dropped afterwards)."""
    if backend == "sqlite":
        db = work / "nightly.sqlite3"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
        yield f"sqlite:///{db}"
        return
    assert pg_url
    name = f"govhealth_bench_{os.getpid()}_{int(time.time())}"
    url = run_module(python, "pgadmin", pg_url, "create", name).strip()
    try:
        yield url
    finally:
        if keep:
            print(f"  kept PostgreSQL database {name}", flush=True)
        else:
            with contextlib.suppress(RuntimeError):
                run_module(python, "pgadmin", pg_url, "drop", name)


def register_sites(sites: list[GenSite], work: Path, python: str, env: dict[str, str]) -> float:
    """Register the sites with `scrapy sites import` (``level`` county); the seconds it took."""
    csv = work / "sites.csv"
    csv.write_text(
        "code,name,url,level\n" + "".join(f"{s.code},{s.name},{s.url},county\n" for s in sites),
        encoding="utf-8",
    )
    started = time.perf_counter()
    import_sites(python, csv, env)
    return round(time.perf_counter() - started, 2)


def settings_args(settings: dict[str, str]) -> list[str]:
    """``-s NAME=VALUE`` arguments for the settings."""
    return [a for name, value in settings.items() for a in ("-s", f"{name}={value}")]


def scrapy_command(python: str, wrapper: Path | None) -> list[str]:
    """How `scrapy` is started: ``python -m scrapy``, or ``python WRAPPER`` (a patch tried without editing the project)."""
    return [python, str(wrapper)] if wrapper else [python, "-m", "scrapy"]


def nightly_command(
    python: str, parallel: int, settings: dict[str, str], wrapper: Path | None = None, workers: int = 1
) -> list[str]:
    """`scrapy nightly --parallel N --workers W` with the settings."""
    return [
        *scrapy_command(python, wrapper),
        "nightly",
        "--parallel",
        str(parallel),
        "--workers",
        str(workers),
        *settings_args(settings),
    ]


def run_nightly(
    backend: str,
    sites: list[GenSite],
    work: Path,
    server: MultiSiteNginx,
    python: str,
    args: argparse.Namespace,
    settings: dict[str, str],
) -> dict[str, Any]:
    """Register the sites in a fresh database, run `scrapy nightly`, read the run back, compute the figures."""
    label = f"nightly-{backend}"
    with fresh_database(backend, work, python, args.pg, args.keep) as url:
        env = {**os.environ, "GOVHEALTH_DATABASE_URL": url, "PYTHONUNBUFFERED": "1"}
        print(f"[{label}] registering {len(sites)} sites in {mask(url)} ...", flush=True)
        import_seconds = register_sites(sites, work, python, env)
        command = nightly_command(python, args.parallel, settings, args.scrapy_wrapper, args.workers)
        for night in range(1, args.nights):  # earlier nights: the sites' last runs, which order the queue
            started = time.perf_counter()
            proc = subprocess.run(command, cwd=ROOT, env=env, check=False, capture_output=True, text=True)
            if proc.returncode != 0:
                raise RuntimeError(f"night {night} failed (exit {proc.returncode}):\n{proc.stderr[-2000:]}")
            print(
                f"[{label}] night {night} of {args.nights}: {time.perf_counter() - started:.1f} s, not measured"
            )
        print(
            f"[{label}] scrapy nightly --parallel {args.parallel} --workers {args.workers} ({len(sites)} sites, "
            f"{sum(s.pages for s in sites):,} pages) ...",
            flush=True,
        )
        py_spy = args.cache_dir / "py-spy-venv" / "bin" / "py-spy"
        m = run_with_timeline(
            command,
            env,
            work,
            label,
            server,
            args.timeout,
            args.stall_timeout or None,
            py_spy if py_spy.exists() else None,
            # outside the temp dir, which is removed without --keep
            (args.json.parent if args.json else Path(tempfile.gettempdir()))
            / f"bench_nightly-{label}.stall-pyspy.txt",
        )
        result: dict[str, Any] = {
            "label": label,
            "backend": backend,
            "database": mask(url),
            "import_seconds": import_seconds,
            **m,
        }
        stdout = Path(m["stdout_path"]).read_text(errors="replace")
        if m["stalled"]:
            st = m["stalled"]
            result["error"] = (
                f"STALLED: no site finished for {st['no_site_finished_for_seconds']:.0f} s "
                f"({st['sites_done']} of {len(sites)} sites done after {st['after_seconds']} s); "
                f"stopped. py-spy dump: {st.get('py_spy_dump', '-')}. The figures below are not valid."
            )
        elif m["exit_code"] != 0:
            result["error"] = f"exit {m['exit_code']}: {tail(m['stderr_path'])}\n{tail(m['stdout_path'], 5)}"
        try:
            db = json.loads(run_module(python, "readback", url, env=env))
        except (RuntimeError, json.JSONDecodeError) as exc:
            result.setdefault("error", f"read-back failed: {exc}")
            return result
    line = re.search(r"link cache: (\d+) of (\d+) external targets", stdout)
    result["link_cache_line"] = {"hits": int(line[1]), "lookups": int(line[2])} if line else None
    result.update(figures(db, sites, m["wall_seconds"], args.parallel))
    result["per_site"] = [{k: v for k, v in r.items() if k != "broken_urls"} for r in db["runs"]]
    return result


def run_reference(
    sites: list[GenSite],
    work: Path,
    server: MultiSiteNginx,
    python: str,
    args: argparse.Namespace,
    settings: dict[str, str],
) -> dict[str, Any]:
    """`scrapy crawl portal` on the largest generated site alone, same settings: single-site speed, same conditions."""
    site = max(sites, key=lambda s: s.pages)
    ref = work / "reference"
    ref.mkdir(exist_ok=True)
    db = ref / "reference.sqlite3"
    env = {**os.environ, "GOVHEALTH_DATABASE_URL": f"sqlite:///{db}", "PYTHONUNBUFFERED": "1"}
    register_sites([site], ref, python, env)
    print(
        f"[reference] scrapy crawl portal on the largest site alone ({site.code}, {site.pages:,} pages) ...",
        flush=True,
    )
    command = [
        *scrapy_command(python, args.scrapy_wrapper),
        "crawl",
        "portal",
        "-a",
        f"code={site.code}",
        *settings_args(settings),
    ]
    m = run_with_timeline(command, env, ref, "reference", server, args.timeout)
    with contextlib.closing(sqlite3.connect(db)) as conn:
        row = conn.execute("SELECT pages, stats FROM crawl_runs ORDER BY id DESC LIMIT 1").fetchone()
    if row is None or m["exit_code"] != 0:
        raise RuntimeError(f"reference crawl failed (exit {m['exit_code']}): {tail(m['stderr_path'])}")
    pages, stats_json = row
    requests = int(json.loads(stats_json or "{}").get("downloader/request_count", 0))
    return {
        "label": "reference-single-site",
        "code": site.code,
        "site_pages": site.pages,
        **m,
        "pages": pages,
        "requests": requests,
        "pages_per_s": round(pages / m["wall_seconds"], 1),
        "requests_per_s": round(requests / m["wall_seconds"], 1),
        "pages_per_cpu_s": round(pages / max(m["cpu_seconds"], 1e-6), 1),
    }


def profile_nightly(
    sites: list[GenSite], work: Path, python: str, args: argparse.Namespace, settings: dict[str, str]
) -> dict[str, Any]:
    """Run the nightly once more under py-spy (100 Hz, raw stacks) and summarise where the main thread goes."""
    binary, why = install_py_spy(args.cache_dir)
    if binary is None:
        print(f"  profile skipped: {why}", flush=True)
        return {"skipped": why}
    pdir = work / "profile"
    pdir.mkdir(exist_ok=True)
    with fresh_database("sqlite", pdir, python, None, args.keep) as url:
        env = {**os.environ, "GOVHEALTH_DATABASE_URL": url, "PYTHONUNBUFFERED": "1"}
        register_sites(sites, pdir, python, env)
        out = (args.json.parent if args.json else work) / "nightly.pyspy.txt"
        command = py_spy_record(
            binary, out, nightly_command(python, args.parallel, settings, args.scrapy_wrapper, args.workers)
        )
        print(f"[profile] scrapy nightly under py-spy into {out} ...", flush=True)
        proc = subprocess.run(command, cwd=ROOT, env=env, check=False, capture_output=True, text=True)
    if not out.exists():
        return {"skipped": f"py-spy failed: {proc.stderr.strip()[-500:]}"}
    summary = {"raw_stacks": str(out), **summarise_stacks(out, top=40)}
    print(f"\nwhere the nightly's main thread spends its time ({summary['samples']} samples):")
    print("  self %:")
    for name, pct in summary["self_percent"][:20]:
        print(f"    {pct:5.1f}%  {name[:110]}")
    print("  inclusive %:")
    for name, pct in summary["inclusive_percent"][:40]:
        print(f"    {pct:5.1f}%  {name[:110]}")
    return summary
