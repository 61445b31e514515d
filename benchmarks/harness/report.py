"""Figures and tables of bench_crawl.py: rates, completeness against the ground truth, machine info, summary."""

from __future__ import annotations

import contextlib
import json
import os
import platform
import re
import shutil
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import ROOT, module_command
from .servers import nginx_binary

if TYPE_CHECKING:
    from .servers import Site


def project_versions(python: str) -> dict[str, str] | None:
    """Versions of the crawl's interpreter and libraries, or None when ``python`` cannot import govhealth."""
    proc = subprocess.run(
        module_command(python, "versions"), cwd=ROOT, check=False, capture_output=True, text=True
    )
    if proc.returncode != 0:
        return None
    with contextlib.suppress(ValueError):
        return dict(json.loads(proc.stdout))
    return None


def write_json(path: Path, report: dict[str, Any], **options: Any) -> None:
    """Write the report as indented UTF-8 JSON and say so."""
    path.write_text(json.dumps(report, ensure_ascii=False, indent=2, **options))
    print(f"wrote {path}")


def add_rates(r: dict[str, Any]) -> dict[str, Any]:
    """Add the per-second rates, the CPU utilisation and the peak RSS in MB to a run."""
    wall = r.get("wall_seconds") or 0
    if wall > 0:
        for key, name in (
            ("requests", "requests_per_s"),
            ("server_requests", "server_requests_per_s"),
            ("pages", "pages_per_s"),
            ("link_occurrences", "links_per_s"),
            ("targets", "targets_per_s"),
        ):
            if r.get(key) is not None:
                r[name] = round(r[key] / wall, 1)
        r["cpu_utilisation"] = round(r.get("cpu_seconds", 0) / wall, 2)
    if r.get("targets") and r.get("cpu_seconds") is not None:
        r["cpu_ms_per_target"] = round(r["cpu_seconds"] * 1000 / r["targets"], 2)
    r["peak_rss_mb"] = round(r.get("peak_rss_bytes", 0) / 2**20, 1)
    return r


def machine_info(versions: dict[str, str] | None) -> dict[str, Any]:
    """Cores, CPU model, memory, Python and platform of this machine; the crawl's versions; nginx's and node's."""
    info: dict[str, Any] = {
        "cores": os.cpu_count(),
        "cores_usable": len(os.sched_getaffinity(0)),
        "python": platform.python_version(),
        "platform": platform.platform(),
    }
    with contextlib.suppress(OSError):
        cpu = re.search(r"model name\s*:\s*(.+)", Path("/proc/cpuinfo").read_text())
        info["cpu_model"] = cpu[1].strip() if cpu else None
        mem = re.search(r"MemTotal:\s+(\d+) kB", Path("/proc/meminfo").read_text())
        info["memory_mb"] = int(mem[1]) // 1024 if mem else None
    info.update(versions or {})
    if nginx := nginx_binary():
        info["nginx"] = (
            subprocess.run([nginx, "-v"], check=False, capture_output=True, text=True)
            .stderr.strip()
            .split("/")[-1]
        )
    if node := shutil.which("node"):
        info["node"] = subprocess.run(
            [node, "--version"], check=False, capture_output=True, text=True
        ).stdout.strip()
    return info


def fmt(value: Any, digits: int = 0) -> str:
    """A table cell: thousands separators, ``digits`` decimals for floats, ``-`` for None."""
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def print_table(title: str, runs: list[dict[str, Any]]) -> None:
    """The runs as an aligned text table."""
    headers = [
        "run",
        "site pages",
        "wall s",
        "requests",
        "req/s",
        "nginx req",
        "pages/s",
        "links/s",
        "targets/s",
        "CPU s",
        "CPU ms/target",
        "CPU %",
        "peak RSS MB",
        "other CPU s",
        "broken found/missed/false",
    ]
    rows = [
        [
            r["label"],
            fmt(r.get("site_pages")),
            fmt(r.get("wall_seconds"), 1),
            fmt(r.get("requests")),
            fmt(r.get("requests_per_s"), 0),
            fmt(r.get("server_requests")),
            fmt(r.get("pages_per_s"), 0),
            fmt(r.get("links_per_s"), 0),
            fmt(r.get("targets_per_s"), 0),
            fmt(r.get("cpu_seconds"), 1),
            fmt(r.get("cpu_ms_per_target"), 2),
            fmt(round(100 * r["cpu_utilisation"]) if "cpu_utilisation" in r else None),
            fmt(r.get("peak_rss_mb"), 1),
            fmt(r.get("other_cpu_seconds"), 1),
            f"{fmt(r.get('broken'))}/{fmt(r.get('broken_missed'))}/{fmt(r.get('broken_false'))}",
        ]
        for r in runs
    ]
    widths = [max(len(h), *(len(row[i]) for row in rows)) for i, h in enumerate(headers)]
    print(f"\n{title}")
    print(
        "  ".join(
            h.rjust(w) if i else h.ljust(w) for i, (h, w) in enumerate(zip(headers, widths, strict=True))
        )
    )
    print("  ".join("-" * w for w in widths))
    for row in rows:
        print(
            "  ".join(
                c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(row, widths, strict=True))
            )
        )


def compare(gov: dict[str, Any], other: dict[str, Any]) -> dict[str, Any]:
    """govhealth's speed (wall time) and memory ratios against another tool's run."""
    return {
        "speed_ratio": round(other["wall_seconds"] / gov["wall_seconds"], 2),  # >1: govhealth faster
        "cpu_ratio": round(gov["cpu_seconds"] / other["cpu_seconds"], 2),  # <1: govhealth spends less CPU
        "memory_ratio": round(gov["peak_rss_bytes"] / other["peak_rss_bytes"], 2),  # <1: govhealth smaller
    }


def finish(result: dict[str, Any], site: Site) -> dict[str, Any]:
    """Add the rates and mark a run that did not check the whole site as incomplete; print a line."""
    result["site_pages"] = site.spec.pages
    add_rates(result)
    # A run that did not check the whole site is not comparable: say so, and leave it out of the ratios.
    if not result.get("error"):
        problems = []
        if result.get("broken_missed") or result.get("broken_false"):
            problems.append(
                f"{result.get('broken_missed')} of {len(site.spec.missing)} missing targets not reported, "
                f"{result.get('broken_false')} working targets reported broken"
            )
        server_requests = result.get("server_requests")
        if server_requests is not None and server_requests < site.spec.distinct_targets:
            problems.append(
                f"only {server_requests:,} requests for {site.spec.distinct_targets:,} distinct targets"
            )
        if problems:
            result["error"] = "incomplete run: " + "; ".join(problems)
    if result.get("error"):
        print(f"  ! {result['label']}: {result['error']}", flush=True)
    else:
        print(
            f"  {result['label']}: {result['wall_seconds']:.1f}s, {fmt(result.get('requests_per_s'), 0)} req/s, "
            f"peak RSS {result['peak_rss_mb']} MB",
            flush=True,
        )
    return result


def crawl_targets(report: dict[str, Any]) -> dict[str, bool]:
    """The project's targets for the main govhealth run: requests/s, peak RSS and the ratios to linkinator."""
    gov = report["runs"][0]
    targets = {
        "requests_per_s >= 300": (gov.get("requests_per_s") or 0) >= 300,
        "peak_rss_mb <= 300": gov["peak_rss_mb"] <= 300,
        "cpu_ms_per_target <= 1.0": (gov.get("cpu_ms_per_target") or 99) <= 1.0,
    }
    if "vs_linkinator" in report:
        targets["speed >= 2x linkinator"] = report["vs_linkinator"]["speed_ratio"] >= 2
        targets["memory < 0.5x linkinator"] = report["vs_linkinator"]["memory_ratio"] < 0.5
    return targets


def print_crawl_summary(report: dict[str, Any]) -> None:
    """The machine, the site, the table of runs, the ratios, the errors, the targets and what was skipped."""
    runs = report["runs"]
    m = report["machine"]
    print(
        f"\nmachine: {m['cores']} cores ({m.get('cpu_model')}), {m.get('memory_mb')} MB RAM, Python {m.get('crawl_python')}, "
        f"Scrapy {m.get('scrapy')}, nginx {m.get('nginx', '-')}, node {m.get('node', '-')}"
    )
    s = report["site"]
    print(
        f"site: {s['pages']:,} pages, {s['distinct_targets']:,} distinct targets, {s['link_occurrences']:,} links, "
        f"{s['missing']} missing (404), served by {s['server']}"
    )
    print_table("results (rates are per second of wall time; links = (page, target) pairs)", runs)
    for name in ("vs_linkinator", "vs_plain_scrapy", "vs_linkchecker"):
        if name in report:
            c = report[name]
            print(
                f"{name}: govhealth is {c['speed_ratio']}x as fast, spends {c.get('cpu_ratio')}x the CPU, "
                f"uses {c['memory_ratio']}x the memory"
            )
    for r in runs:
        if r.get("error"):
            print(f"{r['label']}: {r['error']}")
    targets = report["targets_met"]
    print("targets: " + ", ".join(f"{k}: {'met' if v else 'MISSED'}" for k, v in targets.items()))
    for tool, why in report["skipped"].items():
        print(f"skipped {tool}: {why}")
