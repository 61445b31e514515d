"""bench_nightly.py's figures: throughput, link cache, broken links and site times of a run (from its read-back).

``extrapolate`` scales them to 183 and 14,000 sites, with and without production politeness delays.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .nightly_sites import GenSite

# Production politeness, for the extrapolation (crawler/settings.py, README "Settings").
PROD_DOWNLOAD_DELAY = 0.25  # s; AutoThrottle never goes below it (it is AutoThrottle's floor)
PROD_RECHECK_DELAY = 30.0  # s; GOVHEALTH_RECHECK_DELAY default: a site with a failed target waits this long
NIGHT_WINDOW_HOURS = 8.0  # the systemd unit's TimeoutStartSec=8h: one night
EXTRAPOLATE_TO = (183, 14000)


def figures(db: dict[str, Any], sites: list[GenSite], wall: float, parallel: int) -> dict[str, Any]:
    """A nightly run's figures from its read-back (``readback.py``) and the generator's ground truth."""
    runs = db["runs"]
    by_code = {s.code: s for s in sites}
    stat = lambda r, k: int(r["stats"].get(k, 0) or 0)
    pages = sum(r["pages"] for r in runs)
    requests = sum(stat(r, "downloader/request_count") for r in runs)
    hit = sum(stat(r, "govhealth/linkcache/hit") for r in runs)
    shared = sum(stat(r, "govhealth/linkcache/shared") for r in runs)
    miss = sum(stat(r, "govhealth/linkcache/miss") for r in runs)
    found = missed = false = 0
    for r in runs:
        expected, got = set(by_code[r["code"]].missing), set(r["broken_urls"])
        found += len(expected & got)
        missed += len(expected - got)
        false += len(got - expected)
    durations = [r["seconds"] or 0.0 for r in runs]
    span = max((r["start_offset"] + (r["seconds"] or 0.0) for r in runs), default=0.0)
    classes: dict[str, dict[str, Any]] = {}
    for r in runs:
        c = classes.setdefault(
            by_code[r["code"]].size_class, {"sites": 0, "pages": 0, "requests": 0, "seconds": 0.0}
        )
        c["sites"] += 1
        c["pages"] += r["pages"]
        c["requests"] += stat(r, "downloader/request_count")
        c["seconds"] += r["seconds"] or 0.0
    for c in classes.values():
        c["mean_pages"] = round(c["pages"] / c["sites"])
        c["mean_requests"] = round(c["requests"] / c["sites"])
        c["mean_seconds"] = round(c["seconds"] / c["sites"], 1)
        c["seconds"] = round(c["seconds"], 1)
    last_start = max((r["start_offset"] for r in runs), default=0.0)
    return {
        "nightly": db["nightly"],
        "sites": len(runs),
        "sites_done": sum(
            1
            for r in runs
            if r["close_reason"] in ("finished", "govhealth_max_seconds", "closespider_timeout")
        ),
        "run_statuses": {s: sum(1 for r in runs if r["status"] == s) for s in {r["status"] for r in runs}},
        "pages": pages,
        "requests": requests,
        "targets": sum(r["targets"] for r in runs),
        "sites_per_hour": round(len(runs) / wall * 3600, 1),
        "pages_per_s": round(pages / wall, 1),
        "requests_per_s": round(requests / wall, 1),
        "link_cache_db": {
            "hit": hit,
            "shared": shared,
            "miss": miss,
            "hit_rate": round((hit + shared) / (hit + shared + miss), 3) if hit + shared + miss else None,
        },
        "link_cache_rows": db.get("link_cache_rows"),
        "broken": {
            "expected": sum(len(s.missing) for s in sites),
            "found": found,
            "missed": missed,
            "false": false,
        },
        "unverified": sum(r["unverified"] for r in runs),
        "by_class": classes,
        "site_seconds": {
            "sum": round(sum(durations), 1),
            "max": round(max(durations, default=0), 1),
            "median": round(sorted(durations)[len(durations) // 2], 1) if durations else None,
        },
        # share of (span x parallel) slots in which a site was being crawled: < 1 means idle slots (tail, start-up)
        "slot_utilisation": round(sum(durations) / (span * parallel), 2) if span else None,
        "crawl_span_seconds": round(span, 1),
        "tail_seconds": round(span - last_start, 1),  # from the last site's start to the end
    }


def extrapolate(r: dict[str, Any], parallel: int, cores: int) -> dict[str, Any]:
    """Nightly hours for 183 and 14,000 sites: at the measured (CPU-bound) speed, and under production delays."""
    sites, wall, cpu = r["sites"], r["wall_seconds"], r["cpu_seconds"]
    runs = r["per_site"]
    # requests to the site's own host: every request minus the external checks this crawl made (cache misses)
    internal = [
        int(x["stats"].get("downloader/request_count", 0))
        - int(x["stats"].get("govhealth/linkcache/miss", 0))
        for x in runs
    ]
    mean_internal = sum(internal) / len(internal)
    delay_site = mean_internal * PROD_DOWNLOAD_DELAY + PROD_RECHECK_DELAY  # s per site, mean
    delay_max = max(internal) * PROD_DOWNLOAD_DELAY + PROD_RECHECK_DELAY
    cpu_site = cpu / sites
    mix = ", ".join(f"{c}: {v['sites']}" for c, v in r["by_class"].items())
    out: dict[str, Any] = {
        "assumptions": [
            (
                f"the measured size mix ({mix} sites; {r['pages'] / sites:.0f} pages and {mean_internal:.0f} requests "
                "to its own host per site on average)"
            ),
            "CPU cost per page as on this machine and this generated site (~17 links a page)",
            (
                f"production politeness: DOWNLOAD_DELAY={PROD_DOWNLOAD_DELAY} s per site; Scrapy starts at most one "
                "request per delay per download slot, so per-site concurrency does not divide the delay; AutoThrottle "
                "never goes below DOWNLOAD_DELAY, and stays at it while a server answers within "
                f"DOWNLOAD_DELAY x AUTOTHROTTLE_TARGET_CONCURRENCY = {PROD_DOWNLOAD_DELAY * 2:.1f} s"
            ),
            (
                f"GOVHEALTH_RECHECK_DELAY={PROD_RECHECK_DELAY:.0f} s at the end of every site (nearly every real site "
                "has a failed target to confirm)"
            ),
            f"one `scrapy nightly` process uses one core; a night is {NIGHT_WINDOW_HOURS:.0f} h (TimeoutStartSec)",
            "no slow or unreachable servers: timeouts (DOWNLOAD_TIMEOUT 30 s) and 429/503 back-offs only add time",
        ],
        "measured": {
            "sites_per_hour": r["sites_per_hour"],
            "cpu_seconds_per_site": round(cpu_site, 2),
            "mean_internal_requests_per_site": round(mean_internal),
            "delay_bound_seconds_per_site": round(delay_site, 1),
            "delay_bound_seconds_largest_site": round(delay_max, 1),
        },
        "targets": {},
    }
    for n in EXTRAPOLATE_TO:
        cpu_bound = n * wall / sites  # as measured: no delays, loopback, CPU-bound
        delay_bound = max(n * delay_site / parallel, delay_max)  # every slot busy waiting out the delays
        cpu_only = n * cpu_site  # the CPU the crawl needs, on one core
        production = max(delay_bound, cpu_only)
        machines = math.ceil(production / 3600 / NIGHT_WINDOW_HOURS)
        parallel_needed = math.ceil(delay_site / cpu_site) if cpu_site else None
        out["targets"][str(n)] = {
            "no_delay_hours": round(cpu_bound / 3600, 2),
            "no_delay_arithmetic": f"{n} sites x {wall:.0f} s / {sites} sites = {cpu_bound:,.0f} s",
            "delay_bound_hours": round(delay_bound / 3600, 2),
            "delay_bound_arithmetic": (
                f"{n} sites x ({mean_internal:.0f} requests x {PROD_DOWNLOAD_DELAY} s + "
                f"{PROD_RECHECK_DELAY:.0f} s) / {parallel} parallel = {n * delay_site / parallel:,.0f} s"
                f" (at least the largest site: {delay_max:,.0f} s)"
            ),
            "cpu_hours": round(cpu_only / 3600, 2),
            "cpu_arithmetic": f"{n} sites x {cpu_site:.1f} CPU s = {cpu_only:,.0f} CPU s on one core",
            "production_hours": round(production / 3600, 2),
            "production_sites_per_hour": round(n / production * 3600, 1),
            "production_rule": "max(delay bound, CPU bound): the delays are waited out while other sites use the CPU",
            f"machines_for_{NIGHT_WINDOW_HOURS:.0f}h_at_parallel_{parallel}": machines,
            "parallel_to_saturate_one_core": parallel_needed,
            "parallel_arithmetic": (
                f"{delay_site:.0f} s of delays per site / {cpu_site:.1f} CPU s per site: at "
                f"--parallel >= {parallel_needed} one process is CPU-bound instead of delay-bound"
            ),
            "cpu_bound_machines": math.ceil(cpu_only / cores / 3600 / NIGHT_WINDOW_HOURS),
            "cpu_bound_arithmetic": (
                f"at --parallel >= {parallel_needed}, one worker process per core "
                f"(`scrapy nightly --redis`): {cpu_only:,.0f} CPU s / {cores} cores = "
                f"{cpu_only / cores / 3600:.1f} h on one {cores}-core machine"
            ),
        }
    return out
