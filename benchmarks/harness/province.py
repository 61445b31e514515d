"""bench_province.py's server, run and figures: nginx with an access log, `scrapy nightly` at production politeness.

The access log (address, port, end time, duration of every request) gives what each server saw: the most
requests in flight at once and the most started within one second, per site and per server (a platform).
"""

from __future__ import annotations

import bisect
import csv
import heapq
import json
import os
from collections import defaultdict
from pathlib import Path
from typing import Any

from .crawl import import_sites
from .measure import run_with_timeline, tail
from .nightly import run_module
from .province_sites import NATIONAL_HOST, ProvinceSite
from .servers import MAIN_HOST, Nginx, nginx_config

LOG_FORMAT = "log_format province '$server_addr $server_port $msec $request_time $status';"


class ProvinceNginx(Nginx):
    """nginx serving every province site on its address and port, the national portal, and an access log."""

    start_timeout = 60.0

    def __init__(self, base: Path, sites: list[ProvinceSite], national_port: int, workdir: Path) -> None:
        super().__init__(national_port, workdir)
        self.base, self.sites = base, sites
        self.log = workdir / "access.log"

    def addresses(self) -> list[tuple[str, int]]:
        return [(s.host, s.port) for s in self.sites] + [
            (NATIONAL_HOST, self.port),
            (MAIN_HOST, self.status_port),
        ]

    def config(self) -> str:
        log = f"access_log {self.log} province buffer=512k flush=2s;"
        blocks = [LOG_FORMAT, "limit_req_zone $server_addr$server_port zone=rl:1m rate=2r/s;"]
        for s in self.sites:
            extra = {
                "slow": "limit_rate 16k;",
                "rate_limited": "limit_req zone=rl burst=4 nodelay; limit_req_status 429;",
            }
            blocks.append(
                f"server {{ listen {s.host}:{s.port} reuseport; root {self.base / 'sites' / s.code}; index index.html; "
                f"{log} {extra.get(s.kind, '')} }}"
            )
        blocks.append(
            f"server {{ listen {NATIONAL_HOST}:{self.port} reuseport; root {self.base / 'national'}; {log} }}"
        )
        blocks.append(self.status_block())
        return nginx_config(self.workdir, blocks)


def register(sites: list[ProvinceSite], work: Path, python: str, env: dict[str, str]) -> None:
    """`scrapy sites import` of the province, with its level and platform columns."""
    path = work / "province.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        out = csv.writer(f)
        out.writerow(["code", "name", "url", "level", "platform"])
        for s in sites:
            out.writerow([s.code, s.name, s.url, s.level, s.platform or ""])
    import_sites(python, path, env)


def server_load(log: Path, sites: list[ProvinceSite]) -> dict[str, Any]:
    """Per site and per server: the most requests in flight at once and the most started in one second."""
    by_addr = {(s.host, s.port): s for s in sites}
    spans: dict[str, list[tuple[float, float]]] = defaultdict(list)
    site_spans: dict[str, list[tuple[float, float]]] = defaultdict(list)
    statuses: dict[str, int] = defaultdict(int)
    for line in log.read_text(errors="replace").splitlines():
        parts = line.split()
        if len(parts) != 5:
            continue
        addr, port, end, took, status = parts[0], int(parts[1]), float(parts[2]), float(parts[3]), parts[4]
        site = by_addr.get((addr, port))
        server = site.server if site else f"national {addr}"
        span = (end - took, end)
        spans[server].append(span)
        if site:
            site_spans[site.code].append(span)
        statuses[status] += 1

    def peaks(items: list[tuple[float, float]]) -> tuple[int, int]:
        starts = sorted(a for a, _ in items)
        per_second = max((bisect.bisect_left(starts, t + 1.0) - i for i, t in enumerate(starts)), default=0)
        ends: list[float] = []
        most = 0
        for a, b in sorted(items):
            while ends and ends[0] <= a:
                heapq.heappop(ends)
            heapq.heappush(ends, b)
            most = max(most, len(ends))
        return most, per_second

    servers = {
        k: dict(zip(("in_flight", "per_second"), peaks(v), strict=True), requests=len(v))
        for k, v in spans.items()
    }
    per_site = {k: peaks(v) for k, v in site_spans.items()}
    return {
        "servers": servers,
        "busiest_server": max(servers.items(), key=lambda kv: kv[1]["per_second"], default=(None, None)),
        "site_in_flight_max": max((p[0] for p in per_site.values()), default=0),
        "site_per_second_max": max((p[1] for p in per_site.values()), default=0),
        "statuses": dict(statuses),
    }


def run_province(
    sites: list[ProvinceSite],
    work: Path,
    server: ProvinceNginx,
    python: str,
    args: Any,
    settings: dict[str, str],
) -> dict[str, Any]:
    """Register, run `scrapy nightly --parallel P --workers W`, read back; the run's figures."""
    db = work / "province.sqlite3"
    env = {**os.environ, "GOVHEALTH_DATABASE_URL": f"sqlite:///{db}", "PYTHONUNBUFFERED": "1",
           "GOVHEALTH_EVIDENCE_DIR": str(work / "evidence")}  # fmt: skip
    register(sites, work, python, env)
    command = [
        python,
        "-m",
        "scrapy",
        "nightly",
        "--parallel",
        str(args.parallel),
        "--workers",
        str(args.workers),
    ]
    for name, value in settings.items():
        command += ["-s", f"{name}={value}"]
    print(f"[province] {' '.join(command[2:])}", flush=True)
    m = run_with_timeline(command, env, work, "province", server, args.timeout)
    result: dict[str, Any] = {**m}
    if m["exit_code"] != 0:
        result["error"] = f"exit {m['exit_code']}: {tail(m['stderr_path'])}"
    back = json.loads(run_module(python, "readback", f"sqlite:///{db}", env=env))
    by_code = {s.code: s for s in sites}
    found = missed = false = 0
    for r in back["runs"]:
        expected, got = set(by_code[r["code"]].missing), set(r["broken_urls"])
        found, missed, false = (
            found + len(expected & got),
            missed + len(expected - got),
            false + len(got - expected),
        )
    result["runs"] = [{k: v for k, v in r.items() if k != "broken_urls"} for r in back["runs"]]
    result["broken"] = {"found": found, "missed": missed, "false": false}
    result["requests"] = sum(int(r["stats"].get("downloader/request_count", 0)) for r in back["runs"])
    result["pages"] = sum(r["pages"] for r in back["runs"])
    return result
