#!/usr/bin/env python3
"""Benchmark the full govhealth pipeline on a large generated local site, side by side with linkinator and LinkChecker.

It generates a static site (``--pages`` HTML pages, ~21 links each: pages of the site, images, pdf/doc/xls
attachments and links to "external" sites on 127.0.0.2-9, ~1% of the targets missing), serves it with nginx
(or, when nginx is missing, a multi-process Python server), and measures:

* ``scrapy crawl portal`` (crawl + check + classify + store into SQLite), as a subprocess;
* a plain Scrapy spider making the same requests and nothing else (the floor, ``harness/floor_spider.py``);
* linkinator (npm) on the same site;
* LinkChecker (PyPI, in its own venv) on a 1,000-page slice, with govhealth run on the same slice.

For each run: wall time, requests/s (client's count and nginx's count), pages/s, links/s, targets/s, CPU time
and peak RSS of the process tree. Prints a table and writes every figure to ``--json``.

Usage: .venv/bin/python benchmarks/bench_crawl.py [--pages 20000] [--json out.json] [--keep]
       [--skip-linkinator] [--skip-linkchecker]

Only the standard library is needed here (the harness package beside this file); the crawl itself runs with the
project's venv (``.venv/bin/python`` beside this folder, or ``--python``).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # `benchmarks.harness`, run as a script

from benchmarks.harness import DEFAULT_CACHE, ROOT, parse_settings, project_python
from benchmarks.harness.crawl import GOVHEALTH_SETTINGS, profile_govhealth, run_govhealth
from benchmarks.harness.floor import run_floor
from benchmarks.harness.report import (
    compare,
    crawl_targets,
    finish,
    machine_info,
    print_crawl_summary,
    project_versions,
    write_json,
)
from benchmarks.harness.servers import Site, nginx_binary, served_site
from benchmarks.harness.tools import (
    LINKCHECKER_PAGES,
    LINKINATOR_VERSION,
    install_linkchecker,
    install_linkinator,
    run_linkchecker,
    run_linkinator,
)


def parse_args(argv: list[str] | None) -> tuple[argparse.Namespace, dict[str, str]]:
    """The options and the extra Scrapy settings (``-s``)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add = parser.add_argument
    add("--pages", type=int, default=20000, help="HTML pages of the main site (default 20000)")
    add("--linkchecker-pages", type=int, default=LINKCHECKER_PAGES, help="pages of the LinkChecker slice")
    add("--skip-linkinator", action="store_true")
    add(
        "--linkinator-version",
        default=LINKINATOR_VERSION,
        help=f"npm version of linkinator (default {LINKINATOR_VERSION}; 'latest' is 7.6.1 on Node 20, which runs out "
        "of file descriptors on a 20,000-page site)",
    )
    add("--skip-linkchecker", action="store_true")
    add("--skip-floor", action="store_true", help="leave out the plain-Scrapy floor run")
    add(
        "--linkinator-skip-external",
        action="store_true",
        help="pass --skip for 127.0.0.2-9 (default: check external links, as govhealth does)",
    )
    add("--keep", action="store_true", help="keep the generated sites, databases and logs")
    add("--json", type=Path, help="write every figure to this JSON file")
    add("--python", help="interpreter with govhealth installed (default: .venv/bin/python)")
    add(
        "--cache-dir",
        type=Path,
        default=DEFAULT_CACHE,
        help=f"npm/venv installs of the tools ({DEFAULT_CACHE})",
    )
    add("--python-server", action="store_true", help="serve with the Python fallback even if nginx exists")
    add("--timeout", type=float, default=3900, help="seconds before a tool run is killed")
    add(
        "-s",
        "--setting",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="extra Scrapy setting for the govhealth runs (repeatable), e.g. -s CONCURRENT_ITEMS=4",
    )
    add(
        "--profile",
        action="store_true",
        help="afterwards, crawl the main site once more under py-spy and print where the time goes",
    )
    args = parser.parse_args(argv)
    if args.pages < 10:
        parser.error("--pages must be >= 10")
    try:
        return args, parse_settings(args.setting)
    except ValueError as exc:
        parser.error(str(exc))


def main_site_runs(
    site: Site, args: argparse.Namespace, python: str, extra: dict[str, str], report: Any
) -> None:
    """govhealth, the plain-Scrapy floor and linkinator on the main site (and py-spy with ``--profile``)."""
    runs = report["runs"]
    gov = finish(
        run_govhealth(site, python, "govhealth", args.timeout, extra),
        site,
    )
    runs.append(gov)
    if args.skip_floor:
        report["skipped"]["plain-scrapy"] = "--skip-floor"
    else:
        floor = finish(run_floor(site, python, args.timeout), site)
        runs.append(floor)
        if not floor.get("error") and not gov.get("error"):
            report["vs_plain_scrapy"] = compare(gov, floor)
    if args.skip_linkinator:
        report["skipped"]["linkinator"] = "--skip-linkinator"
    else:
        binary, why = install_linkinator(args.cache_dir, args.linkinator_version)
        if binary is None:
            print(f"  linkinator skipped: {why}", flush=True)
            report["skipped"]["linkinator"] = why
        else:
            lk = run_linkinator(binary, site, args.timeout, args.linkinator_skip_external)
            runs.append(finish(lk, site))
            if not lk.get("error") and not gov.get("error"):
                report["vs_linkinator"] = compare(gov, lk)
    if args.profile:
        report["profile"] = profile_govhealth(site, python, extra, args.cache_dir, args.json)


def slice_runs(base: Path, args: argparse.Namespace, python: str, extra: dict[str, str], report: Any) -> None:
    """govhealth and LinkChecker on the smaller slice site."""
    if args.skip_linkchecker:
        report["skipped"]["linkchecker"] = "--skip-linkchecker"
        return
    binary, why = install_linkchecker(args.cache_dir)
    if binary is None:
        print(f"  LinkChecker skipped: {why}", flush=True)
        report["skipped"]["linkchecker"] = why
        return
    with served_site(base, "slice", min(args.pages, args.linkchecker_pages), args.python_server) as sl:
        report["slice_site"] = sl.summary(server=False)
        gov_s = run_govhealth(sl, python, "govhealth-slice", args.timeout, extra)
        gov_s = finish(gov_s, sl)
        lc = finish(run_linkchecker(binary, sl, args.timeout), sl)
        report["runs"] += [gov_s, lc]
        if not lc.get("error") and not gov_s.get("error"):
            report["vs_linkchecker"] = compare(gov_s, lc)


def main(argv: list[str] | None = None) -> int:
    """Run the scenario; exit 1 when a run failed or was incomplete, 2 when govhealth is not installed."""
    args, extra = parse_args(argv)
    python = project_python(args.python)
    versions = project_versions(python)
    if versions is None:
        print(
            f"error: {python} cannot import crawler; run {python} -m pip install -e {ROOT}", file=sys.stderr
        )
        return 2
    if not args.python_server and not nginx_binary():
        print(
            "nginx not found (apt-get install -y nginx-light): serving with the multi-process Python fallback,"
            " which may itself be the bottleneck",
            flush=True,
        )
    args.cache_dir.mkdir(parents=True, exist_ok=True)
    report: dict[str, Any] = {
        "benchmark": "govhealth full pipeline (crawl + check + classify + store into SQLite)",
        "started_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": machine_info(versions),
        "govhealth_settings": {**GOVHEALTH_SETTINGS, **extra},
        "runs": [],
        "skipped": {},
    }
    base = Path(tempfile.mkdtemp(prefix="govhealth-bench-"))
    base.chmod(0o755)  # nginx workers and LinkChecker run as nobody
    try:
        with served_site(base, "main", args.pages, args.python_server) as site:
            report["site"] = site.summary()
            main_site_runs(site, args, python, extra, report)
        slice_runs(base, args, python, extra, report)
    finally:
        if args.keep:
            print(f"\nkept {base}", flush=True)
        else:
            shutil.rmtree(base, ignore_errors=True)
    report["targets_met"] = crawl_targets(report)
    print_crawl_summary(report)
    if args.json:
        write_json(args.json, report)
    return 1 if any(r.get("error") for r in report["runs"]) else 0


if __name__ == "__main__":
    sys.exit(main())
