"""bench_nightly.py's printed report: each run, the comparison with the single-site figures, the extrapolation."""

from __future__ import annotations

import contextlib
import json
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import BENCHMARKS, ROOT
from .figures import NIGHT_WINDOW_HOURS, PROD_DOWNLOAD_DELAY, PROD_RECHECK_DELAY
from .nightly_sites import NATIONAL_HOSTS, SISTER_HOSTS

if TYPE_CHECKING:
    from .nightly_sites import GenSite


def print_generated(summary: dict[str, Any]) -> None:
    """What the generator wrote (``generate_sites``'s summary)."""
    print(
        f"  {summary['by_class']}, {summary['pages']:,} pages, {summary['targets']:,} distinct targets "
        f"({summary['external_targets']:,} external, {summary['national_targets_linked']:,} of them on the "
        f"shared portal), {summary['links']:,} links ({summary['links_per_page']} a page), "
        f"{summary['missing']} missing, {summary['files']:,} files, {summary['megabytes']} MB, "
        f"in {summary['seconds']} s",
        flush=True,
    )


def print_serving(sites: list[GenSite], port: int) -> None:
    """Where the sites, the national portal and the sister sites are served."""
    print(
        f"  serving {len(sites)} sites on 127.0.1.1-{sites[-1].host}:{port}, the portal on "
        f"{'/'.join(NATIONAL_HOSTS)}, sister sites on {SISTER_HOSTS[0]}-{SISTER_HOSTS[-1]} (nginx)",
        flush=True,
    )


def print_reference(ref: dict[str, Any]) -> None:
    """The control run: the largest generated site crawled alone."""
    print(
        f"  reference: {ref['pages']:,} pages in {ref['wall_seconds']:.1f} s -> {ref['pages_per_s']:.1f} "
        f"pages/s, {ref['pages_per_cpu_s']:.1f} pages per CPU s, peak RSS {ref['peak_rss_mb']:.0f} MB, "
        f"rest of the machine {ref['other_cpu_seconds']:.0f} CPU s",
        flush=True,
    )


def report_run(r: dict[str, Any]) -> None:
    """One nightly run: throughput, CPU, memory, link cache, broken links, site times."""
    print(f"\n== {r['label']} ({r['database']}) ==")
    if r.get("error"):
        print(f"  ! {r['error']}")
    if "pages" not in r:
        return
    lc, db = r.get("link_cache_line"), r["link_cache_db"]
    lc_text = (
        f"{lc['hits']} of {lc['lookups']} ({lc['hits'] / lc['lookups']:.0%})"
        if lc and lc["lookups"]
        else "no `link cache:` line printed"
    )
    print(
        f"  sites {r['sites']} ({r['sites_done']} inspected; runs {r['run_statuses']}), nightly status "
        f"{r['nightly']['status']}"
    )
    print(
        f"  wall {r['wall_seconds']:.1f} s (import {r['import_seconds']} s not included) -> "
        f"{r['sites_per_hour']:,.0f} sites/hour"
    )
    print(
        f"  pages {r['pages']:,} -> {r['pages_per_s']:.1f} pages/s; requests {r['requests']:,} -> "
        f"{r['requests_per_s']:.1f} requests/s (nginx counted {r['server_requests']:,})"
    )
    print(
        f"  CPU {r['cpu_seconds']:.0f} s ({r['cpu_utilisation']:.0%} of one core; user {r['user_seconds']:.0f} s, "
        f"system {r['system_seconds']:.0f} s) -> {r['pages'] / r['cpu_seconds']:.1f} pages per CPU s; "
        f"nginx {r['server_cpu_seconds']:.0f} s; rest of the machine {r['other_cpu_seconds']:.0f} s"
    )
    print(
        f"  peak RSS {r['peak_rss_mb']:.0f} MB (sampled tree {r['peak_rss_sampled_tree_mb']:.0f} MB, "
        f"ru_maxrss {r['ru_maxrss_mb']:.0f} MB)"
    )
    print(
        f"  link cache: command line {lc_text}; crawl stats hit {db['hit']} + shared {db['shared']} vs miss "
        f"{db['miss']} -> {db['hit_rate']:.1%} answered without a fetch; {r['link_cache_rows']} rows kept"
    )
    b = r["broken"]
    print(
        f"  broken links: {b['found']} of {b['expected']} expected found, {b['missed']} missed, {b['false']} false; "
        f"{r['unverified']} unverified"
    )
    s = r["site_seconds"]
    print(
        f"  site crawl times: median {s['median']} s, max {s['max']} s; slot utilisation {r['slot_utilisation']:.0%} "
        f"(sum of site times / (crawl span {r['crawl_span_seconds']:.0f} s x parallel)); tail after the last "
        f"start {r['tail_seconds']:.0f} s"
    )
    print("  by size class:")
    for name, c in r["by_class"].items():
        print(
            f"    {name:7} {c['sites']:3} sites  {c['mean_pages']:5} pages  {c['mean_requests']:5} requests  "
            f"{c['mean_seconds']:6.1f} s per site (sharing the CPU with the other sites)"
        )
    tl = r.get("rss_cpu_timeline") or []
    if tl:
        step = max(1, len(tl) // 8)
        print("  RSS MB over time: " + ", ".join(f"{t:.0f}s {m:.0f}" for t, m, _ in tl[::step]))


def find_single_site_json(explicit: Path | None) -> Path | None:
    """bench_crawl.py's --json output: the given file, else the newest one in the project or the temp dir."""
    if explicit:
        return explicit
    candidates = [
        *ROOT.glob("*.json"),
        *BENCHMARKS.glob("*.json"),
        *Path(tempfile.gettempdir()).glob("*.json"),
    ]
    found = []
    for path in candidates:
        with contextlib.suppress(OSError, ValueError, AttributeError):
            if path.stat().st_size > 5_000_000:
                continue
            data = json.loads(path.read_text())
            if str(data.get("benchmark", "")).startswith("govhealth full pipeline") and data.get("runs"):
                found.append((path.stat().st_mtime, path))
    return max(found)[1] if found else None


def single_site_figures(path: Path | None) -> dict[str, Any] | None:
    """The main govhealth run of a bench_crawl.py JSON file, or None."""
    if path is None or not path.exists():
        return None
    data = json.loads(path.read_text())
    gov = next((r for r in data.get("runs", []) if r.get("label") == "govhealth"), None)
    if not gov or not gov.get("wall_seconds"):
        return None
    return {
        "file": str(path),
        "started_at": data.get("started_at"),
        "site_pages": gov.get("site_pages") or gov.get("pages"),
        "pages": gov.get("pages"),
        "wall_seconds": gov.get("wall_seconds"),
        "pages_per_s": gov.get("pages_per_s") or round(gov["pages"] / gov["wall_seconds"], 1),
        "requests_per_s": gov.get("requests_per_s"),
        "cpu_seconds": gov.get("cpu_seconds"),
        "pages_per_cpu_s": round(gov["pages"] / gov["cpu_seconds"], 1) if gov.get("cpu_seconds") else None,
        "peak_rss_mb": gov.get("peak_rss_mb") or round(gov.get("peak_rss_bytes", 0) / 2**20, 1),
        "other_cpu_seconds": gov.get("other_cpu_seconds"),
        "links_per_page": round(gov["link_occurrences"] / gov["pages"], 1)
        if gov.get("link_occurrences")
        else None,
        "settings": data.get("govhealth_settings"),
    }


def compare_with_single_site(
    report: dict[str, Any], main_run: dict[str, Any], single_site_json: Path | None
) -> dict[str, Any]:
    """Print the nightly's pages/s against bench_crawl's JSON and the reference run; return the targets met.

    Fills ``report["single_site"]``, ``report["vs_single_site"]`` and ``report["vs_reference"]``.
    """
    single = single_site_figures(find_single_site_json(single_site_json))
    report["single_site"] = single
    targets: dict[str, Any] = {"peak_rss_mb <= 600": main_run["peak_rss_mb"] <= 600}
    if main_run.get("stalled"):
        targets["no stall (every site finished)"] = False
    print("\n== against the single-site figures ==")
    nightly_ppcpu = main_run["pages"] / main_run["cpu_seconds"]
    if single:
        ratio = main_run["pages_per_s"] / single["pages_per_s"]
        targets[">= 80% of single-site pages/s (bench_crawl)"] = ratio >= 0.8
        report["vs_single_site"] = {
            "pages_per_s_ratio": round(ratio, 2),
            "pages_per_cpu_s_ratio": round(nightly_ppcpu / single["pages_per_cpu_s"], 2)
            if single.get("pages_per_cpu_s")
            else None,
        }
        print(
            f"  bench_crawl.py ({single['file']}, {single['started_at']}): {single['site_pages']:,}-page site, "
            f"{single['links_per_page']} links a page, {single['pages_per_s']} pages/s, "
            f"{single['pages_per_cpu_s']} pages per CPU s, peak RSS {single['peak_rss_mb']} MB, rest of the machine "
            f"{single['other_cpu_seconds']} CPU s"
        )
        print(
            f"  nightly: {main_run['pages_per_s']} pages/s = {ratio:.0%} of it; {nightly_ppcpu:.1f} pages per CPU s "
            f"= {report['vs_single_site']['pages_per_cpu_s_ratio']:.0%} of it"
        )
    else:
        print("  no bench_crawl.py JSON found (run it with --json FILE, or pass --single-site-json FILE)")
    if ref := report.get("reference"):
        ratio = main_run["pages_per_s"] / ref["pages_per_s"]
        report["vs_reference"] = {
            "pages_per_s_ratio": round(ratio, 2),
            "pages_per_cpu_s_ratio": round(nightly_ppcpu / ref["pages_per_cpu_s"], 2),
        }
        targets[">= 80% of single-site pages/s (reference run, same generator)"] = ratio >= 0.8
        print(
            f"  reference (largest generated site alone, same settings): {ref['pages_per_s']} pages/s, "
            f"{ref['pages_per_cpu_s']} pages per CPU s; nightly = {ratio:.0%} of its pages/s, "
            f"{report['vs_reference']['pages_per_cpu_s_ratio']:.0%} of its pages per CPU s"
        )
    return targets


def print_extrapolation(ex: dict[str, Any], parallel: int) -> None:
    """The assumptions, the measured figures and the arithmetic for each site count."""
    print("\n== extrapolation ==")
    for a in ex["assumptions"]:
        print(f"  assumption: {a}")
    me = ex["measured"]
    print(
        f"  measured: {me['sites_per_hour']:,.0f} sites/hour without delays, {me['cpu_seconds_per_site']} CPU s per "
        f"site; delay bound {me['delay_bound_seconds_per_site']:.0f} s per site "
        f"({me['mean_internal_requests_per_site']} requests x {PROD_DOWNLOAD_DELAY} s + {PROD_RECHECK_DELAY:.0f} s)"
    )
    for n, t in ex["targets"].items():
        key = next(k for k in t if k.startswith("machines_for_"))
        print(f"  {int(n):,} sites:")
        print(f"    no delays (as measured):   {t['no_delay_hours']:7.2f} h   {t['no_delay_arithmetic']}")
        print(f"    CPU needed:                {t['cpu_hours']:7.2f} h   {t['cpu_arithmetic']}")
        print(
            f"    production delay bound:    {t['delay_bound_hours']:7.2f} h   {t['delay_bound_arithmetic']}"
        )
        print(
            f"    production estimate:       {t['production_hours']:7.2f} h   ({t['production_sites_per_hour']:,.0f} "
            f"sites/hour; {t['production_rule']}) -> {t[key]} machine(s) for an {NIGHT_WINDOW_HOURS:.0f} h night "
            f"at --parallel {parallel}"
        )
        print(f"    {t['parallel_arithmetic']}")
        print(
            f"    {t['cpu_bound_arithmetic']} -> {t['cpu_bound_machines']} machine(s) for an "
            f"{NIGHT_WINDOW_HOURS:.0f} h night (if memory allows that many sites at once)"
        )


def print_verdict(targets: dict[str, Any], main_run: dict[str, Any]) -> None:
    """The targets line, and a warning when other load on the machine inflated the wall times."""
    print("\ntargets: " + ", ".join(f"{k}: {'met' if v else 'MISSED'}" for k, v in targets.items()))
    if main_run["other_cpu_seconds"] > 0.3 * main_run["wall_seconds"]:
        print(
            f"warning: the rest of the machine used {main_run['other_cpu_seconds']:.0f} CPU s during the nightly run "
            f"({main_run['other_cpu_seconds'] / main_run['wall_seconds']:.1f} cores on average): wall-time figures "
            "are inflated; compare pages per CPU s"
        )
