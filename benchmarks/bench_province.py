#!/usr/bin/env python3
"""The province night: `scrapy nightly` over a generated Guangxi (183 sites) at the production defaults.

Sites of 30-80 KB pages, sizes from a long-tailed distribution (generated at 1/``--scale`` of their size), four
platforms hosting 20-40 sites each, slow and rate-limited sites, served by nginx with an access log. The run keeps
every production default (DOWNLOAD_DELAY, AutoThrottle, 4 requests per site, the 30 s re-check delay, the
per-server limit); only the page and time budgets are divided by ``--scale`` with the sites' sizes. It reports the
wall time, CPU, peak RSS, what the busiest server saw, sites/hour, memory per concurrently crawled site, and the
arithmetic to the full-size province, the default ``--parallel`` and the nation (harness/province_figures.py).

Usage: .venv/bin/python benchmarks/bench_province.py [--scale 10] [--parallel 16] [--workers 2] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # `benchmarks.harness`, run as a script

from benchmarks.harness import ROOT, project_python
from benchmarks.harness.province import ProvinceNginx, run_province, server_load
from benchmarks.harness.province_figures import extrapolate
from benchmarks.harness.province_sites import generate_province, plan_province
from benchmarks.harness.report import machine_info, project_versions, write_json
from benchmarks.harness.servers import free_port, nginx_binary

# bench_crawl.py's memory growth (README, Benchmarks): RSS per distinct target between 20,000 and 80,000 pages.
BYTES_PER_TARGET = 1_900
# `scrapy nightly --redis` with an empty queue: its peak RSS (the interpreter, Scrapy, the project's modules).
IDLE_WORKER_MB = 113.0


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add = parser.add_argument
    add("--scale", type=int, default=10, help="sites are generated at 1/SCALE of their size (default 10)")
    add("--parallel", type=int, default=16, help="scrapy nightly --parallel (default 16)")
    add("--workers", type=int, default=2, help="scrapy nightly --workers (default 2)")
    add("--seed", type=int, default=2017)
    add("--json", type=Path, help="write every figure to this JSON file")
    add("--keep", action="store_true", help="keep the generated sites, database and logs")
    add("--python", help="interpreter with govhealth installed (default: .venv/bin/python)")
    add("--timeout", type=float, default=4 * 3600)
    add(
        "--bytes-per-target",
        type=float,
        default=BYTES_PER_TARGET,
        help="ledger memory per target (bench_crawl)",
    )
    add(
        "--idle-worker-mb", type=float, default=IDLE_WORKER_MB, help="RSS of a nightly worker before any site"
    )
    args = parser.parse_args(argv)
    if args.scale < 1 or args.parallel < 1 or args.workers < 1:
        parser.error("--scale, --parallel and --workers must be >= 1")
    args.cores = len(os.sched_getaffinity(0))
    args.recheck_delay = 30.0  # GOVHEALTH_RECHECK_DELAY's default, kept
    return args


def settings_for(scale: int) -> dict[str, str]:
    """Production defaults, but for the budgets divided with the sizes and the loopback addresses allowed."""
    return {
        "GOVHEALTH_ALLOW_PRIVATE_TARGETS": "True",
        "GOVHEALTH_MAX_PAGES": str(5000 // scale),
        "GOVHEALTH_MAX_SECONDS": str(3600 // scale),
        "LOG_LEVEL": "WARNING",
    }


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    python = project_python(args.python)
    versions = project_versions(python)
    if versions is None or not nginx_binary():
        print(f"error: needs nginx and govhealth installed in {python} ({ROOT})", file=sys.stderr)
        return 2
    base = Path(tempfile.mkdtemp(prefix="govhealth-bench-province-"))
    base.chmod(0o755)
    work = base / "run"
    work.mkdir()
    report: dict[str, Any] = {"benchmark": "province night", "started_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                              "machine": machine_info(versions), "scale": args.scale, "parallel": args.parallel,
                              "workers": args.workers, "settings": settings_for(args.scale)}  # fmt: skip
    server = None
    try:
        port = free_port()
        sites = plan_province(args.scale, port + 1, args.seed)
        print(f"generating the province into {base} ...", flush=True)
        report["generated"] = generate_province(base, sites, port, args.seed)
        print(json.dumps(report["generated"], ensure_ascii=False), flush=True)
        server = ProvinceNginx(base, sites, port, work / "nginx")
        server.start()
        run = run_province(sites, work, server, python, args, report["settings"])
        server.stop()
        server = None
        run["load"] = server_load(work / "nginx" / "access.log", sites)
        report["run"] = run
        report["extrapolation"] = extrapolate(run, sites, args, args.bytes_per_target)
    finally:
        if server is not None:
            server.stop()
        if args.keep:
            print(f"kept {base}")
        else:
            shutil.rmtree(base, ignore_errors=True)
    run, ex = report["run"], report["extrapolation"]
    busiest = run["load"]["busiest_server"]
    print(
        f"\nprovince at 1/{args.scale}: {run['wall_seconds']:.0f} s wall, {run['cpu_seconds']:.0f} s CPU, "
        f"peak RSS {run['peak_rss_mb']} MB, {len(run['runs'])} sites ({len(run['runs']) / run['wall_seconds'] * 3600:.0f}"
        f"/hour), {run['pages']:,} pages, {run['requests']:,} requests; broken found/missed/false "
        f"{run['broken']['found']}/{run['broken']['missed']}/{run['broken']['false']}"
    )
    print(f"busiest server: {busiest[0]} {busiest[1]}; per site at most {run['load']['site_in_flight_max']} in flight, "
          f"{run['load']['site_per_second_max']} started in one second")  # fmt: skip
    print(json.dumps(ex, ensure_ascii=False, indent=1, default=str).replace(ex["method"], "..."))
    if args.json:
        write_json(args.json, report, default=str)
    return 1 if run.get("error") else 0


if __name__ == "__main__":
    sys.exit(main())
