"""bench_province.py's arithmetic: from a run at 1/scale of the province's size to the province and the nation.

A site crawled at production politeness is bound by its delays, not by the CPU: its time grows with its requests
(DOWNLOAD_DELAY, AutoThrottle, the per-server spacing), so a site generated at 1/scale of its size takes about
1/scale of its time, plus the confirmation re-check wait, which does not shrink. Each site's full-size time is
therefore ``scale * (measured - recheck wait) + recheck wait``; the province's wall time is the nightly's schedule
replayed with those times (each next site to the first free slot); CPU grows with pages (``scale *``); memory per
site grows with its targets (the ledger), at bench_crawl's measured bytes per target.
"""

from __future__ import annotations

import heapq
import math
from typing import Any

NIGHT_HOURS = 8.0
PROVINCE_HOURS = 4.0  # the goal: a province within 4 hours on one 2-core machine
MEMORY_BUDGET_MB = 2048.0
NATION_SITES = 14_000
CPU_SHARE = 0.8  # of the machine's cores a night may use


def replay(durations: list[float], slots: int) -> float:
    """Wall time of running ``durations`` in order, each on the first free of ``slots``."""
    free = [0.0] * slots
    for d in durations:
        heapq.heappush(free, heapq.heappop(free) + d)
    return max(free)


def extrapolate(run: dict[str, Any], sites: list[Any], args: Any, bytes_per_target: float) -> dict[str, Any]:
    """The province and the nation at full size, with the arithmetic spelled out."""
    scale, parallel, workers = args.scale, args.parallel, args.workers
    recheck = float(args.recheck_delay)
    by_code = {s.code: s for s in sites}
    runs = sorted(run["runs"], key=lambda r: r["start_offset"] or 0)
    full = [scale * max(0.0, (r["seconds"] or 0) - recheck) + recheck for r in runs]
    site_seconds = sum(full)
    wall = replay(full, parallel)
    cpu_full = scale * run["cpu_seconds"]
    idle = workers * args.idle_worker_mb  # the workers' interpreters, Scrapy and the project, before any site
    per_site_scaled = max(0.0, run["peak_rss_mb"] - idle) / parallel
    extra_targets = sum(by_code[r["code"]].targets * (scale - 1) for r in runs) / max(1, len(runs))
    per_site_full = per_site_scaled + extra_targets * bytes_per_target / 2**20
    largest = max(s.targets * scale for s in sites) * bytes_per_target / 2**20 + per_site_scaled
    p_time = next(  # the schedule replayed: the fewest sites at a time that end the province within 4 hours
        (p for p in range(workers, len(full) + 1) if replay(full, p) <= PROVINCE_HOURS * 3600), len(full)
    )
    p_mem = int((MEMORY_BUDGET_MB - idle) // per_site_full) if per_site_full else parallel
    cpu_per_site_second = cpu_full / site_seconds if site_seconds else 0.0
    cores = args.cores
    p_cpu = int(cores * CPU_SHARE / cpu_per_site_second) if cpu_per_site_second else p_mem
    default_parallel = max(workers, min(p_mem, p_cpu, p_time))
    wall_default = replay(full, default_parallel)
    nation_site_seconds = site_seconds / len(runs) * NATION_SITES
    nation_concurrent = nation_site_seconds / (NIGHT_HOURS * 3600)
    per_machine = min(p_mem, p_cpu)  # a nation's machine runs as many sites at once as memory and CPU allow
    machines = math.ceil(nation_concurrent / per_machine) if per_machine else None
    return {
        "method": __doc__,
        "scale": scale,
        "recheck_delay": recheck,
        "site_seconds_full": round(site_seconds),
        "mean_site_seconds_full": round(site_seconds / len(runs)),
        "longest_site_seconds_full": round(max(full)),
        "province_wall_hours_at_parallel": {
            parallel: round(wall / 3600, 2),
            default_parallel: round(wall_default / 3600, 2),
        },
        "province_cpu_seconds_full": round(cpu_full),
        "cpu_seconds_per_site_second": round(cpu_per_site_second, 4),
        "idle_workers_rss_mb": idle,
        "memory_per_concurrent_site_mb_at_scale": round(per_site_scaled, 1),
        "memory_per_concurrent_site_mb_full": round(per_site_full, 1),
        "memory_largest_site_mb_full": round(largest, 1),
        "peak_rss_mb_full_at_default_parallel": round(idle + default_parallel * per_site_full, 1),
        "parallel_for_4h": p_time,
        "parallel_memory_bound": p_mem,
        "parallel_cpu_bound": p_cpu,
        "default_parallel": default_parallel,
        "nation": {
            "sites": NATION_SITES,
            "site_seconds": round(nation_site_seconds),
            "concurrent_sites_for_8h": round(nation_concurrent, 1),
            "sites_per_machine_at_once": per_machine,
            "machines": machines,
            "arithmetic": (
                f"{NATION_SITES} sites x {site_seconds / len(runs):.0f} s each (the province's mean at full size) = "
                f"{nation_site_seconds:.0f} site-seconds; / {NIGHT_HOURS * 3600:.0f} s of night = "
                f"{nation_concurrent:.1f} sites at once; one machine holds min(memory {p_mem}, CPU {p_cpu}) = "
                f"{per_machine} -> {machines} machines"
            ),
        },
    }
