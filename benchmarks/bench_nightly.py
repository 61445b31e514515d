#!/usr/bin/env python3
"""Benchmark `scrapy nightly` on many generated government sites of mixed sizes, served by one nginx on loopback.

It generates ``--sites`` sites (default 60: 70 % small of 20-100 pages, 25 % medium of 200-800, 5 % large of
2,000-3,000; ~17 links a page: pages of the site, images, attachments, links to a "national portal" shared by
every site, links to an external site of its own, ~1 % missing targets), serves each from its own nginx
``server`` block on its own loopback address (127.0.1.N, one port), registers them with ``scrapy sites import``
in a fresh SQLite database (and in a fresh PostgreSQL database when GOVHEALTH_BENCH_PG_URL or ``--pg`` is
given), runs ``scrapy nightly --parallel N`` with local-benchmark settings and reports: wall time, sites/hour,
pages/s, requests/s, CPU, peak RSS of the process tree (polled from /proc), the link-cache hit rate (the
command's own ``link cache: H of N`` line and the crawl runs' stats), the broken links found against the
generator's ground truth, a comparison with the single-site benchmark (``bench_crawl.py``) and an
extrapolation to 183 and 14,000 sites with and without production politeness delays.

Usage: .venv/bin/python benchmarks/bench_nightly.py [--sites 60] [--parallel 8] [--json out.json] [--keep]

Only the standard library is needed here (the harness package beside this file); the crawl and the database
read-back run with the project's venv (``.venv/bin/python``, or ``--python``).
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

from benchmarks.harness import DEFAULT_CACHE, ROOT, parse_settings, project_python
from benchmarks.harness import nightly_report as show
from benchmarks.harness.figures import extrapolate
from benchmarks.harness.nightly import NIGHTLY_SETTINGS, profile_nightly, run_nightly, run_reference
from benchmarks.harness.nightly_sites import generate_sites
from benchmarks.harness.report import machine_info, project_versions, write_json
from benchmarks.harness.servers import MultiSiteNginx, free_port, nginx_binary


def parse_args(argv: list[str] | None) -> tuple[argparse.Namespace, tuple[float, ...], dict[str, str]]:
    """The options, the size shares of ``--mix`` and the Scrapy settings of the runs."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add = parser.add_argument
    add("--sites", type=int, default=60, help="generated sites (default 60)")
    add("--parallel", type=int, default=8, help="scrapy nightly --parallel (default 8)")
    add("--workers", type=int, default=1, help="scrapy nightly --workers (default 1; 0: one per core)")
    add(
        "--nights",
        type=int,
        default=1,
        help="run the nightly this many times on one database and measure the last (default 1); from the second "
        "night on the sites are queued largest first by their last run, as every night but the first",
    )
    add("--json", type=Path, help="write every figure to this JSON file")
    add("--keep", action="store_true", help="keep the generated sites, databases and logs")
    add("--seed", type=int, default=2019, help="seed of the site generator")
    add(
        "--mix",
        default="70,25,5",
        metavar="S,M,L",
        help="percent of small (20-100 pages), medium (200-800) and large (2,000-3,000) sites "
        "(default 70,25,5; e.g. 100,0,0 to look for a per-site memory leak)",
    )
    add(
        "--pg",
        default=os.environ.get("GOVHEALTH_BENCH_PG_URL"),
        help="also run against PostgreSQL: a URL allowed to CREATE DATABASE (default "
        "$GOVHEALTH_BENCH_PG_URL); a fresh database is created and dropped",
    )
    add(
        "--single-site-json",
        type=Path,
        help="bench_crawl.py --json output to compare with (default: the newest found in the "
        "project or the temp dir)",
    )
    add(
        "--no-reference",
        action="store_true",
        help="skip the single-site control run (the largest generated site crawled alone)",
    )
    add(
        "--profile",
        action="store_true",
        help="afterwards, run the nightly once more under py-spy and print where the time goes",
    )
    add("--python", help="interpreter with govhealth installed (default: .venv/bin/python)")
    add("--cache-dir", type=Path, default=DEFAULT_CACHE, help="where py-spy is installed")
    add("--timeout", type=float, default=3 * 3600, help="seconds before a run is killed")
    add(
        "--stall-timeout",
        type=float,
        default=600,
        help="stop a nightly run in which no site finished for this many seconds (default 600; "
        "0: never), after saving a py-spy dump",
    )
    add(
        "--scrapy-wrapper",
        type=Path,
        help="run `python WRAPPER nightly ...` instead of `python -m scrapy nightly ...`, to measure "
        "a patch without editing the project (WRAPPER ends with scrapy.cmdline.execute())",
    )
    add(
        "-s",
        "--setting",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="extra Scrapy setting for the runs (repeatable)",
    )
    args = parser.parse_args(argv)
    if not 1 <= args.sites <= 5000:
        parser.error("--sites must be between 1 and 5000")
    if args.parallel < 1:
        parser.error("--parallel must be >= 1")
    if args.nights < 1:
        parser.error("--nights must be >= 1")
    try:
        mix = tuple(float(x) for x in args.mix.split(","))
        if len(mix) != 3 or min(mix) < 0 or not sum(mix):
            raise ValueError
    except ValueError:
        parser.error("--mix: three non-negative percentages, e.g. 70,25,5")
    try:
        settings = {**NIGHTLY_SETTINGS, **parse_settings(args.setting)}
    except ValueError as exc:
        parser.error(str(exc))
    return args, tuple(x / sum(mix) for x in mix), settings


def main(argv: list[str] | None = None) -> int:
    """Run the scenario; exit 1 when a run failed or stalled, 2 when govhealth or nginx is missing."""
    args, shares, settings = parse_args(argv)
    python = project_python(args.python)
    versions = project_versions(python)
    if versions is None:
        print(
            f"error: {python} cannot import crawler; run {python} -m pip install -e {ROOT}", file=sys.stderr
        )
        return 2
    if not nginx_binary():
        print("error: nginx is not installed (apt-get install -y nginx-light)", file=sys.stderr)
        return 2
    report: dict[str, Any] = {
        "benchmark": "govhealth scrapy nightly on many generated sites",
        "started_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": machine_info(versions),
        "settings": settings,
        "parallel": args.parallel,
        "workers": args.workers,
        "nights": args.nights,
        "mix": args.mix,
        "runs": [],
    }
    base = Path(tempfile.mkdtemp(prefix="govhealth-bench-nightly-"))
    base.chmod(0o755)  # nginx workers run as nobody
    work = base / "run"
    work.mkdir()
    server: MultiSiteNginx | None = None
    try:
        port = free_port()
        print(f"generating {args.sites} sites into {base} ...", flush=True)
        sites, summary = generate_sites(base, args.sites, port, args.seed, shares)
        report["generated"] = summary
        show.print_generated(summary)
        server = MultiSiteNginx(base, sites, port, work / "nginx")
        server.start()
        show.print_serving(sites, port)
        for backend in ["sqlite"] + (["postgresql"] if args.pg else []):
            try:
                run = run_nightly(backend, sites, work, server, python, args, settings)
            except RuntimeError as exc:
                run = {"label": f"nightly-{backend}", "database": backend, "error": str(exc)}
            report["runs"].append(run)
            show.report_run(run)
        if not args.no_reference:
            ref = run_reference(sites, work, server, python, args, settings)
            report["reference"] = ref
            show.print_reference(ref)
        if args.profile:
            report["profile"] = profile_nightly(sites, work, python, args, settings)
    finally:
        if server is not None:
            server.stop()
        if args.keep:
            print(f"\nkept {base}")
        else:
            shutil.rmtree(base, ignore_errors=True)

    main_run = report["runs"][0]
    if "pages" not in main_run:
        print("\nthe SQLite nightly run failed: no figures", file=sys.stderr)
        if args.json:
            args.json.write_text(json.dumps(report, ensure_ascii=False, indent=2))
        return 1
    report["targets_met"] = targets = show.compare_with_single_site(report, main_run, args.single_site_json)
    report["extrapolation"] = ex = extrapolate(main_run, args.parallel, len(os.sched_getaffinity(0)))
    show.print_extrapolation(ex, args.parallel)
    show.print_verdict(targets, main_run)
    if args.json:
        write_json(args.json, report, default=str)
    return 1 if any(r.get("error") for r in report["runs"]) else 0


if __name__ == "__main__":
    sys.exit(main())
