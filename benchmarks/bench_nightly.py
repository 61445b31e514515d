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

Only the standard library is needed here (plus the helpers of ``bench_crawl.py`` beside it); the crawl and
the database read-back run with the project's venv (``.venv/bin/python``, or ``--python``).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import random
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
try:  # the single-site benchmark: its /proc sampling, nginx helpers, page template and py-spy summary
    import bench_crawl as bc
except Exception as exc:  # noqa: BLE001 - edited by someone else; say why instead of a traceback
    sys.exit(f"error: cannot import benchmarks/bench_crawl.py, whose helpers this script uses: {exc!r}")

# Settings of the benchmark (the brief's): no politeness delays, 8 requests at a time per site.
NIGHTLY_SETTINGS = {
    "GOVHEALTH_ALLOW_PRIVATE_TARGETS": "True",
    "DOWNLOAD_DELAY": "0",
    "AUTOTHROTTLE_ENABLED": "False",
    "CONCURRENT_REQUESTS_PER_DOMAIN": "8",
    "GOVHEALTH_RECHECK_DELAY": "1",
    "LOG_LEVEL": "WARNING",
}
# Production politeness, for the extrapolation (crawler/settings.py, README "Settings").
PROD_DOWNLOAD_DELAY = 0.25  # s; AutoThrottle never goes below it (it is AutoThrottle's floor)
PROD_RECHECK_DELAY = 30.0  # s; GOVHEALTH_RECHECK_DELAY default: a site with a failed target waits this long
NIGHT_WINDOW_HOURS = 8.0  # the systemd unit's TimeoutStartSec=8h: one night
EXTRAPOLATE_TO = (183, 14000)

SIZE_CLASSES = (  # name, share of the sites, min pages, max pages
    ("small", 0.70, 20, 100),
    ("medium", 0.25, 200, 800),
    ("large", 0.05, 2000, 3000),
)
NATIONAL_HOSTS = ("127.0.0.2", "127.0.0.3")  # www.gov.cn-like national portal and the province portal
SISTER_HOSTS = tuple(f"127.0.0.{i}" for i in range(10, 18))  # other external sites, each site its own pages
NATIONAL_POOL = 500  # national pages (政策, 解读 ...) that sites link to; 5 of them (1 %) are missing
NATIONAL_MISSING = frozenset(j for j in range(NATIONAL_POOL) if j % 100 == 37)
FOOTER_LINKS = (  # on every page of every site (the 网站 footer of the national template)
    ("/", "中国政府网", 0),
    ("/", "广西壮族自治区人民政府门户网站", 1),
    ("/hudong/index.html", "国务院“互联网+督查”", 0),
)
TREE_FANOUT = (
    8  # page i has children 8i+1..8i+8: every page reachable breadth-first, depth <= 4 at 3,000 pages
)
RANDOM_LINKS = 5  # other pages of the site per page
IMAGES_PER_PAGE, ATTACHMENTS_PER_PAGE, NATIONAL_PER_PAGE, SISTER_PER_PAGE = 2, 1, 2, 1
SIBLINGS_ON_HOMEPAGE = 5  # 友情链接: homepages of other benchmark sites
MISSING_SHARE = 0.01
CODE_PREFIX = "451199"  # a valid 网站标识码 prefix (Guangxi, prefecture 11, county 99) + 4 digits


# --- the sites ------------------------------------------------------------------------------------


@dataclass
class GenSite:
    """One generated site and its ground truth."""

    index: int
    code: str
    name: str
    host: str
    url: str
    size_class: str
    pages: int
    targets: int = 0  # distinct targets linked (the homepage included)
    internal_targets: int = 0
    external_targets: int = 0
    national_targets: int = 0  # of them, on the shared national / province portal
    links: int = 0  # (page, target) pairs
    missing: list[str] = field(default_factory=list)  # absolute URLs of linked targets that answer 404


def site_host(k: int) -> str:
    return f"127.0.{1 + k // 250}.{k % 250 + 1}"


def size_plan(n: int, rng: random.Random, shares: tuple[float, ...] | None = None) -> list[tuple[str, int]]:
    """The size class and page count of each site: the shares rounded, in a seeded random order."""
    shares = shares or tuple(share for _, share, _, _ in SIZE_CLASSES)
    counts = {name: round(n * share) for (name, *_), share in zip(SIZE_CLASSES[1:], shares[1:], strict=True)}
    counts["small"] = n - sum(counts.values())
    classes = [name for name, *_ in SIZE_CLASSES for _ in range(counts[name])]
    rng.shuffle(classes)
    bounds = {name: (lo, hi) for name, _, lo, hi in SIZE_CLASSES}
    return [(c, rng.randint(*bounds[c])) for c in classes]


def page_html(title: str, site_name: str, code: str, date: str, body: str, extra: str = "") -> bytes:
    """The page template of bench_crawl.py (same markup, same filler), so per-page costs are comparable."""
    filler = f"<p>{bc.FILLER}</p>\n" * 3
    return (
        f'<!DOCTYPE html>\n<html lang="zh-CN"><head><meta charset="utf-8"><title>{title}</title></head>\n'
        f'<body><div class="header"><h1>{site_name}</h1></div>\n<div class="main"><h2>{title}</h2>\n'
        f"<p>发布时间：{date} 来源：县人民政府办公室</p>\n{filler}"
        f'<ul class="links">\n{body}\n</ul>{extra}</div>\n<div class="footer">主办单位：{site_name} 网站标识码：{code}'
        "</div></body></html>\n"
    ).encode()


def generate_sites(
    base: Path, n_sites: int, port: int, seed: int, shares: tuple[float, ...] | None = None
) -> tuple[list[GenSite], dict[str, Any]]:
    """Write every site, the national portal and the sister sites under ``base``; return the ground truth."""
    started = time.perf_counter()
    rng = random.Random(seed)
    plan = size_plan(n_sites, rng, shares)
    national_root, sister_root = base / "national", base / "sister"
    files = total_bytes = 0

    def write(path: Path, data: bytes) -> None:
        nonlocal files, total_bytes
        path.write_bytes(data)
        files += 1
        total_bytes += len(data)

    def national_url(path: str, host: int) -> str:
        return f"http://{NATIONAL_HOSTS[host]}:{port}{path}"

    # the national portal (both hosts serve the same root) and the sister sites
    (national_root / "zhengce").mkdir(parents=True)
    (national_root / "hudong").mkdir()
    national_page = page_html("中国政府网", "中华人民共和国中央人民政府", "bm01000001", "2026-11-01", "")
    write(national_root / "index.html", national_page)
    write(national_root / "hudong" / "index.html", national_page)
    for j in range(NATIONAL_POOL):
        if j not in NATIONAL_MISSING:
            write(
                national_root / "zhengce" / f"{j}.html",
                page_html(f"国务院关于第{j}号事项的通知", "中国政府网", "bm01000001", "2026-10-01", ""),
            )
    sites: list[GenSite] = []
    for k, (size_class, pages) in enumerate(plan):
        host = site_host(k)
        code = f"{CODE_PREFIX}{k + 1:04d}"
        name = f"基准测试第{k + 1}县人民政府"
        site = GenSite(k, code, name, host, f"http://{host}:{port}/", size_class, pages)
        sites.append(site)
    for site in sites:
        k, pages, host = site.index, site.pages, site.host
        root = base / "sites" / site.code
        for sub in ("p", "img", "files"):
            (root / sub).mkdir(parents=True)
        (sister_root / f"s{k}").mkdir(parents=True)
        sister = SISTER_HOSTS[k % len(SISTER_HOSTS)]
        n_img, n_att, n_sis = max(4, pages * 2 // 5), max(3, pages // 4), max(2, pages // 5)
        miss_img = {j for j in range(n_img) if rng.random() < MISSING_SHARE}
        miss_att = {j for j in range(n_att) if rng.random() < MISSING_SHARE}
        miss_sis = {j for j in range(n_sis) if rng.random() < MISSING_SHARE}

        def att_path(j: int) -> str:
            return f"/files/{j}.{bc.ATTACHMENT_KINDS[j % 3][0]}"

        internal: set[str] = set()
        external: set[str] = set()
        missing: set[str] = set()
        gone_pages = 0
        for i in range(pages):
            column = bc.COLUMNS[i % len(bc.COLUMNS)]
            title = f"{column}第{i}号信息 - {site.name}"
            links: dict[str, str] = {"/": '<li><a href="/">首页</a></li>'}
            if i:
                parent = "/" if i <= TREE_FANOUT else f"/p/{(i - 1) // TREE_FANOUT}.html"
                links.setdefault(parent, f'<li><a href="{parent}">上一级栏目</a></li>')
            for child in range(TREE_FANOUT * i + 1, min(TREE_FANOUT * i + TREE_FANOUT + 1, pages)):
                links.setdefault(
                    f"/p/{child}.html",
                    f'<li><a href="/p/{child}.html">{bc.COLUMNS[child % 8]}子栏目{child}</a></li>',
                )
            for _ in range(RANDOM_LINKS):
                r = rng.randrange(1, pages)
                links.setdefault(
                    f"/p/{r}.html",
                    f'<li><a href="/p/{r}.html">{bc.COLUMNS[r % 8]}：关于第{r}号事项的通知</a></li>',
                )
            if rng.random() < MISSING_SHARE:  # a withdrawn article still linked
                gone = f"/p/gone-{i}.html"
                gone_pages += 1
                links[gone] = f'<li><a href="{gone}">已撤稿的信息</a></li>'
                missing.add(gone)
            for m in range(IMAGES_PER_PAGE):
                j = (IMAGES_PER_PAGE * i + m) % n_img
                links.setdefault(f"/img/{j}.png", f'<li><img src="/img/{j}.png" alt="配图{j}"></li>')
            for m in range(ATTACHMENTS_PER_PAGE):
                j = (ATTACHMENTS_PER_PAGE * i + m) % n_att
                links.setdefault(att_path(j), f'<li><a href="{att_path(j)}">附件{j}</a></li>')
            ext: dict[str, str] = {}
            for path, text, h in FOOTER_LINKS:
                ext.setdefault(
                    national_url(path, h), f'<li><a href="{national_url(path, h)}">{text}</a></li>'
                )
            for _ in range(NATIONAL_PER_PAGE):
                j = rng.randrange(NATIONAL_POOL)
                u = national_url(f"/zhengce/{j}.html", j % 2)
                ext.setdefault(u, f'<li><a href="{u}">国务院关于第{j}号事项的通知</a></li>')
                if j in NATIONAL_MISSING:
                    missing.add(u)
            for m in range(SISTER_PER_PAGE):
                j = (SISTER_PER_PAGE * i + m) % n_sis
                u = f"http://{sister}:{port}/s{k}/{j}.html"
                ext.setdefault(u, f'<li><a href="{u}">相关网站{j}</a></li>')
                if j in miss_sis:
                    missing.add(u)
            extra = ""
            if i == 0:
                friends = [sites[(k + d) % len(sites)] for d in range(1, SIBLINGS_ON_HOMEPAGE + 1)]
                friends = [f for f in friends if f is not site]
                for f in friends:
                    external.add(f.url)
                extra = (
                    '<div class="yqlj"><h3>友情链接</h3>'
                    + "".join(f'<a href="{f.url}">{f.name}</a>' for f in friends)
                    + "</div>"
                )
                site.links += len(friends)
            internal.update(links)
            external.update(ext)
            site.links += len(links) + len(ext)
            html = page_html(
                title,
                site.name,
                site.code,
                f"2024-{i % 12 + 1:02d}-{i % 28 + 1:02d}",
                "\n".join([*links.values(), *ext.values()]),
                extra,
            )
            write(root / ("index.html" if i == 0 else f"p/{i}.html"), html)
        for j in range(n_img):
            if j in miss_img:
                missing.add(f"/img/{j}.png")
            else:
                write(root / "img" / f"{j}.png", bc.PNG)
        for j in range(n_att):
            if j in miss_att:
                missing.add(att_path(j))
            else:
                write(root / att_path(j).lstrip("/"), bc.ATTACHMENT_KINDS[j % 3][1])
        for j in range(n_sis):
            if j not in miss_sis:
                write(
                    sister_root / f"s{k}" / f"{j}.html",
                    page_html(f"相关网站第{j}页", "市直部门网站", "4511000001", "2026-09-01", ""),
                )
        (root / "robots.txt").write_text("User-agent: *\nDisallow:\n")
        absolute = {t if t.startswith("http") else f"http://{host}:{port}{t}" for t in internal}
        linked = absolute | external
        site.targets = len(linked)
        site.internal_targets = len(internal)
        site.external_targets = len(external)
        site.national_targets = sum(1 for u in external if any(f"//{h}:" in u for h in NATIONAL_HOSTS))
        site.missing = sorted(
            u if u.startswith("http") else f"http://{host}:{port}{u}"
            for u in missing
            if (u if u.startswith("http") else f"http://{host}:{port}{u}") in linked
        )
    summary = {
        "sites": n_sites,
        "by_class": {name: sum(1 for s in sites if s.size_class == name) for name, *_ in SIZE_CLASSES},
        "pages": sum(s.pages for s in sites),
        "targets": sum(s.targets for s in sites),
        "links": sum(s.links for s in sites),
        "links_per_page": round(sum(s.links for s in sites) / max(1, sum(s.pages for s in sites)), 1),
        "external_targets": sum(s.external_targets for s in sites),
        "national_targets_linked": sum(s.national_targets for s in sites),
        "national_distinct": NATIONAL_POOL + 2,
        "missing": sum(len(s.missing) for s in sites),
        "files": files,
        "megabytes": round(total_bytes / 2**20, 1),
        "seconds": round(time.perf_counter() - started, 1),
    }
    return sites, summary


# --- nginx, one server block per site ---------------------------------------------------------------


class MultiSiteNginx:
    """nginx (daemon off, our child) serving every site on its own address, the portal and the sister sites."""

    kind = "nginx"

    def __init__(self, base: Path, sites: list[GenSite], port: int, workdir: Path) -> None:
        self.base, self.sites, self.port, self.workdir = base, sites, port, workdir
        self.status_port = bc.free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    def addresses(self) -> list[tuple[str, int]]:
        hosts = [s.host for s in self.sites] + list(NATIONAL_HOSTS) + list(SISTER_HOSTS)
        return [(h, self.port) for h in hosts] + [("127.0.0.1", self.status_port)]

    def config(self) -> str:
        w, p = self.workdir, self.port
        blocks = [
            f"server {{ listen {s.host}:{p} reuseport; root {self.base / 'sites' / s.code}; index index.html; }}"
            for s in self.sites
        ]
        national = "".join(f"listen {h}:{p} reuseport; " for h in NATIONAL_HOSTS)
        sister = "".join(f"listen {h}:{p} reuseport; " for h in SISTER_HOSTS)
        blocks.append(f"server {{ {national}root {self.base / 'national'}; index index.html; }}")
        blocks.append(f"server {{ {sister}root {self.base / 'sister'}; index index.html; }}")
        blocks.append(f"server {{ listen 127.0.0.1:{self.status_port}; location / {{ stub_status; }} }}")
        return bc.nginx_config(w, blocks)

    def start(self) -> None:
        binary = bc.NginxServer.available()
        if not binary:
            raise RuntimeError("nginx is not installed: apt-get install -y nginx-light")
        self.workdir.mkdir(parents=True, exist_ok=True)
        conf = self.workdir / "nginx.conf"
        conf.write_text(self.config())
        self.proc = subprocess.Popen(
            [binary, "-c", str(conf), "-p", str(self.workdir), "-e", str(self.workdir / "nginx-error.log")],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            bc.wait_until_listening(self.proc, self.addresses(), timeout=30)
        except RuntimeError as exc:
            log = (self.workdir / "nginx-error.log").read_text(errors="replace")[-2000:]
            self.stop()
            raise RuntimeError(f"nginx failed to start: {exc}\n{log}") from exc

    def requests(self) -> int | None:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.status_port}/", timeout=5) as r:
            match = re.search(rb"\n\s*(\d+)\s+(\d+)\s+(\d+)", r.read())
        return int(match[3]) if match else None

    def pids(self) -> list[int]:
        return bc.tree_pids(self.proc.pid) if self.proc else []

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                bc.kill_group(self.proc.pid)
                self.proc.wait()
        self.proc = None


# --- databases --------------------------------------------------------------------------------------

PG_ADMIN = r"""
import sys
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
url, action, name = make_url(sys.argv[1]), sys.argv[2], sys.argv[3]
engine = create_engine(url, isolation_level="AUTOCOMMIT")
with engine.connect() as c:
    if action == "create":
        c.execute(text(f'CREATE DATABASE "{name}"'))
    else:
        c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
engine.dispose()
print(url.set(database=name).render_as_string(hide_password=False))
"""

# Read a nightly run back (any SQLAlchemy URL): per crawl run its figures, selected stats and broken URLs.
READBACK = r"""
import json, sys
from datetime import datetime
from sqlalchemy import create_engine, text
def ts(v):  # SQLite gives text for a raw query, PostgreSQL a datetime
    return datetime.fromisoformat(v) if isinstance(v, str) else v
def secs(a, b):
    return (ts(b) - ts(a)).total_seconds() if a is not None and b is not None else None
KEEP = ("downloader/request_count", "downloader/response_count", "downloader/request_method_count/",
        "downloader/exception_count", "govhealth/linkcache/", "govhealth/pages", "govhealth/rechecks",
        "govhealth/budget/", "elapsed_time_seconds", "finish_reason", "memusage/")
engine = create_engine(sys.argv[1])
out = {}
with engine.connect() as c:
    n = c.execute(text("SELECT id, status, started_at, finished_at FROM nightly_runs ORDER BY id DESC LIMIT 1")).first()
    out["nightly"] = {"id": n.id, "status": n.status,
                      "seconds": secs(n.started_at, n.finished_at)}
    runs = []
    for r in c.execute(text(
            "SELECT r.id, s.code, r.pages, r.targets, r.broken, r.unverified, r.status, r.close_reason, r.budget_hit,"
            " r.started_at, r.finished_at, r.stats FROM crawl_runs r JOIN sites s ON s.id = r.site_id"
            " WHERE r.nightly_id = :n ORDER BY r.id"), {"n": n.id}):
        stats = r.stats if isinstance(r.stats, dict) else json.loads(r.stats or "{}")
        broken = [u for (u,) in c.execute(text("SELECT url FROM link_checks WHERE run_id = :r AND state = 'broken'"),
                                          {"r": r.id})]
        runs.append({"run_id": r.id, "code": r.code, "pages": r.pages, "targets": r.targets, "broken": r.broken,
                     "unverified": r.unverified, "status": r.status, "close_reason": r.close_reason,
                     "budget_hit": r.budget_hit,
                     "start_offset": secs(n.started_at, r.started_at), "seconds": secs(r.started_at, r.finished_at),
                     "stats": {k: v for k, v in stats.items() if k.startswith(KEEP)}, "broken_urls": broken})
    out["runs"] = runs
    out["link_cache_rows"] = c.execute(text("SELECT COUNT(*) FROM link_cache")).scalar()
engine.dispose()
print(json.dumps(out, default=str))
"""


def run_py(python: str, code: str, *args: str, env: dict[str, str] | None = None) -> str:
    proc = subprocess.run(
        [python, "-c", code, *args], cwd=ROOT, env=env, check=False, capture_output=True, text=True
    )
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr.strip()[-1500:])
    return proc.stdout


def mask(url: str) -> str:
    return re.sub(r"://([^:/@]+):[^@/]*@", r"://\1:***@", url)


@contextlib.contextmanager
def fresh_database(backend: str, work: Path, python: str, pg_url: str | None, keep: bool):
    """Yield the URL of an empty database: a new SQLite file, or a new PostgreSQL database (dropped afterwards)."""
    if backend == "sqlite":
        db = work / "nightly.sqlite3"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
        yield f"sqlite:///{db}"
        return
    assert pg_url
    name = f"govhealth_bench_{os.getpid()}_{int(time.time())}"
    url = run_py(python, PG_ADMIN, pg_url, "create", name).strip()
    try:
        yield url
    finally:
        if keep:
            print(f"  kept PostgreSQL database {name}", flush=True)
        else:
            with contextlib.suppress(RuntimeError):
                run_py(python, PG_ADMIN, pg_url, "drop", name)


def register_sites(sites: list[GenSite], work: Path, python: str, env: dict[str, str]) -> float:
    csv = work / "sites.csv"
    csv.write_text(
        "code,name,url,level\n" + "".join(f"{s.code},{s.name},{s.url},county\n" for s in sites),
        encoding="utf-8",
    )
    started = time.perf_counter()
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
    return round(time.perf_counter() - started, 2)


# --- measuring --------------------------------------------------------------------------------------


class TimelineMonitor(bc.TreeMonitor):
    """bench_crawl's tree RSS sampler (every 0.1 s), plus a timeline of RSS and CPU every ``every`` s."""

    def __init__(self, pid: int, every: float = 5.0) -> None:
        super().__init__(pid)
        self.every, self.timeline, self.t0 = every, [], time.monotonic()
        self.last_rss = 0

    def sample(self) -> None:
        before = self.peak_tree_rss
        self.peak_tree_rss = 0
        super().sample()
        self.last_rss, self.peak_tree_rss = self.peak_tree_rss, max(before, self.peak_tree_rss)

    def run(self) -> None:
        next_mark = 0.0
        while not self.stop_event.wait(self.interval):
            self.sample()
            elapsed = time.monotonic() - self.t0
            if elapsed >= next_mark:
                cpu = bc.cpu_seconds(bc.tree_pids(self.pid))
                self.timeline.append((round(elapsed, 1), round(self.last_rss / 2**20, 1), round(cpu, 1)))
                next_mark += self.every


class StallWatchdog(threading.Thread):
    """Stop a nightly run in which no site has finished for ``limit`` s (its `[i/N] code ...` lines).

    It first saves a py-spy dump of the stuck process (when py-spy is installed), then sends SIGTERM (Scrapy's
    graceful shutdown, which records the run as interrupted), then SIGKILL after 60 s.
    """

    def __init__(
        self, proc: subprocess.Popen[bytes], out_path: Path, limit: float, py_spy: Path | None
    ) -> None:
        super().__init__(daemon=True)
        self.proc, self.out_path, self.limit, self.py_spy = proc, out_path, limit, py_spy
        self.stop_event = threading.Event()
        self.stalled: dict[str, Any] | None = None
        self.dump_path: Path | None = None  # where the py-spy dump goes (default: beside the log)

    def run(self) -> None:
        started = last_change = time.monotonic()
        done = 0
        while not self.stop_event.wait(5):
            with contextlib.suppress(OSError):
                now_done = len(re.findall(rb"(?m)^\[\d+/\d+\] ", self.out_path.read_bytes()))
                if now_done != done:
                    done, last_change = now_done, time.monotonic()
            if time.monotonic() - last_change < self.limit or self.proc.poll() is not None:
                continue
            self.stalled = {
                "after_seconds": round(time.monotonic() - started),
                "sites_done": done,
                "no_site_finished_for_seconds": self.limit,
            }
            if self.py_spy is not None:
                dump = self.dump_path or self.out_path.with_suffix(".stall-pyspy.txt")
                with contextlib.suppress(OSError, subprocess.SubprocessError):
                    dump.write_bytes(
                        subprocess.run(
                            [str(self.py_spy), "dump", "--pid", str(self.proc.pid)],
                            capture_output=True,
                            timeout=60,
                            check=False,
                        ).stdout
                    )
                    self.stalled["py_spy_dump"] = str(dump)
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGTERM)
            if self.stop_event.wait(60):
                return
            bc.kill_group(self.proc.pid)
            return

    def stop(self) -> None:
        self.stop_event.set()
        self.join()


def run_measured(
    command: list[str],
    env: dict[str, str],
    logs: Path,
    name: str,
    server: MultiSiteNginx,
    timeout: float,
    stall_limit: float | None = None,
    py_spy: Path | None = None,
    dump_path: Path | None = None,
) -> dict[str, Any]:
    """bench_crawl's run_measured with an RSS/CPU timeline and, with ``stall_limit``, a stall watchdog."""
    monitors: list[TimelineMonitor] = []
    watchdogs: list[StallWatchdog] = []

    def timeline(pid: int) -> TimelineMonitor:
        monitors.append(TimelineMonitor(pid))
        return monitors[0]

    def watchdog(proc: subprocess.Popen[bytes]) -> list[StallWatchdog]:
        if stall_limit:
            watchdogs.append(StallWatchdog(proc, logs / f"{name}.stdout", stall_limit, py_spy))
            watchdogs[0].dump_path = dump_path
        return watchdogs

    m = bc.run_measured(command, cwd=ROOT, env=env, logs=logs, name=name, server=server, timeout=timeout,
                        monitor=timeline, companions=watchdog)
    return {
        "command": command,
        "exit_code": m.exit_code,
        "wall_seconds": round(m.wall_seconds, 2),
        "cpu_seconds": m.cpu_seconds,
        "user_seconds": m.user_seconds,
        "system_seconds": m.system_seconds,
        "cpu_utilisation": round(m.cpu_seconds / m.wall_seconds, 2),
        "peak_rss_mb": round(m.peak_rss_bytes / 2**20, 1),
        "peak_rss_sampled_tree_mb": round(m.peak_rss_sampled_tree_bytes / 2**20, 1),
        "ru_maxrss_mb": round(m.ru_maxrss_bytes / 2**20, 1),
        "rss_cpu_timeline": monitors[0].timeline,  # (seconds, RSS MB, CPU s) every 5 s
        "server_requests": m.server_requests,
        "server_cpu_seconds": m.server_cpu_seconds,
        "other_cpu_seconds": m.other_cpu_seconds,
        "load_average_before": m.load_average_before,
        "stdout_path": m.stdout_path,
        "stderr_path": m.stderr_path,
        "stalled": watchdogs[0].stalled if watchdogs else None,
    }


def settings_args(settings: dict[str, str]) -> list[str]:
    return [a for name, value in settings.items() for a in ("-s", f"{name}={value}")]


def scrapy_command(python: str, wrapper: Path | None) -> list[str]:
    """How `scrapy` is started: ``python -m scrapy``, or ``python WRAPPER`` (a patch tried without editing the project)."""
    return [python, str(wrapper)] if wrapper else [python, "-m", "scrapy"]


def nightly_command(
    python: str, parallel: int, settings: dict[str, str], wrapper: Path | None = None
) -> list[str]:
    return [
        *scrapy_command(python, wrapper),
        "nightly",
        "--parallel",
        str(parallel),
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
        command = nightly_command(python, args.parallel, settings, args.scrapy_wrapper)
        print(
            f"[{label}] scrapy nightly --parallel {args.parallel} ({len(sites)} sites, "
            f"{sum(s.pages for s in sites):,} pages) ...",
            flush=True,
        )
        py_spy = args.cache_dir / "py-spy-venv" / "bin" / "py-spy"
        m = run_measured(
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
            result["error"] = (
                f"exit {m['exit_code']}: {bc.tail(m['stderr_path'])}\n{bc.tail(m['stdout_path'], 5)}"
            )
        try:
            db = json.loads(run_py(python, READBACK, url, env=env))
        except (RuntimeError, json.JSONDecodeError) as exc:
            result.setdefault("error", f"read-back failed: {exc}")
            return result
    line = re.search(r"link cache: (\d+) of (\d+) external targets", stdout)
    result["link_cache_line"] = {"hits": int(line[1]), "lookups": int(line[2])} if line else None
    result.update(figures(db, sites, m["wall_seconds"], args.parallel))
    result["per_site"] = [{k: v for k, v in r.items() if k != "broken_urls"} for r in db["runs"]]
    return result


def figures(db: dict[str, Any], sites: list[GenSite], wall: float, parallel: int) -> dict[str, Any]:
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
    m = run_measured(command, env, ref, "reference", server, args.timeout)
    with contextlib.closing(sqlite3.connect(db)) as conn:
        row = conn.execute("SELECT pages, stats FROM crawl_runs ORDER BY id DESC LIMIT 1").fetchone()
    if row is None or m["exit_code"] != 0:
        raise RuntimeError(f"reference crawl failed (exit {m['exit_code']}): {bc.tail(m['stderr_path'])}")
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


# --- the single-site benchmark's figures --------------------------------------------------------------


def find_single_site_json(explicit: Path | None) -> Path | None:
    """bench_crawl.py's --json output: the given file, else the newest one in the project or the temp dir."""
    if explicit:
        return explicit
    candidates = [*ROOT.glob("*.json"), *HERE.glob("*.json"), *Path(tempfile.gettempdir()).glob("*.json")]
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


# --- extrapolation ----------------------------------------------------------------------------------


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


# --- profile ----------------------------------------------------------------------------------------


def profile_nightly(
    sites: list[GenSite], work: Path, python: str, args: argparse.Namespace, settings: dict[str, str]
) -> dict[str, Any]:
    """Run the nightly once more under py-spy (100 Hz, raw stacks) and summarise where the main thread goes."""
    binary, why = bc.install_py_spy(args.cache_dir)
    if binary is None:
        print(f"  profile skipped: {why}", flush=True)
        return {"skipped": why}
    pdir = work / "profile"
    pdir.mkdir(exist_ok=True)
    with fresh_database("sqlite", pdir, python, None, args.keep) as url:
        env = {**os.environ, "GOVHEALTH_DATABASE_URL": url, "PYTHONUNBUFFERED": "1"}
        register_sites(sites, pdir, python, env)
        out = (args.json.parent if args.json else work) / "nightly.pyspy.txt"
        command = bc.py_spy_record(binary, out, nightly_command(python, args.parallel, settings, args.scrapy_wrapper))
        print(f"[profile] scrapy nightly under py-spy into {out} ...", flush=True)
        proc = subprocess.run(command, cwd=ROOT, env=env, check=False, capture_output=True, text=True)
    if not out.exists():
        return {"skipped": f"py-spy failed: {proc.stderr.strip()[-500:]}"}
    summary = {"raw_stacks": str(out), **bc.summarise_stacks(out, top=40)}
    print(f"\nwhere the nightly's main thread spends its time ({summary['samples']} samples):")
    print("  self %:")
    for name, pct in summary["self_percent"][:20]:
        print(f"    {pct:5.1f}%  {name[:110]}")
    print("  inclusive %:")
    for name, pct in summary["inclusive_percent"][:40]:
        print(f"    {pct:5.1f}%  {name[:110]}")
    return summary


# --- report -----------------------------------------------------------------------------------------


def report_run(r: dict[str, Any]) -> None:
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sites", type=int, default=60, help="generated sites (default 60)")
    parser.add_argument("--parallel", type=int, default=8, help="scrapy nightly --parallel (default 8)")
    parser.add_argument("--json", type=Path, help="write every figure to this JSON file")
    parser.add_argument("--keep", action="store_true", help="keep the generated sites, databases and logs")
    parser.add_argument("--seed", type=int, default=2019, help="seed of the site generator")
    parser.add_argument(
        "--mix",
        default="70,25,5",
        metavar="S,M,L",
        help="percent of small (20-100 pages), medium (200-800) and large (2,000-3,000) sites "
        "(default 70,25,5; e.g. 100,0,0 to look for a per-site memory leak)",
    )
    parser.add_argument(
        "--pg",
        default=os.environ.get("GOVHEALTH_BENCH_PG_URL"),
        help="also run against PostgreSQL: a URL allowed to CREATE DATABASE (default "
        "$GOVHEALTH_BENCH_PG_URL); a fresh database is created and dropped",
    )
    parser.add_argument(
        "--single-site-json",
        type=Path,
        help="bench_crawl.py --json output to compare with (default: the newest found in the "
        "project or the temp dir)",
    )
    parser.add_argument(
        "--no-reference",
        action="store_true",
        help="skip the single-site control run (the largest generated site crawled alone)",
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="afterwards, run the nightly once more under py-spy and print where the time goes",
    )
    parser.add_argument("--python", help="interpreter with govhealth installed (default: .venv/bin/python)")
    parser.add_argument("--cache-dir", type=Path, default=bc.DEFAULT_CACHE, help="where py-spy is installed")
    parser.add_argument("--timeout", type=float, default=3 * 3600, help="seconds before a run is killed")
    parser.add_argument(
        "--stall-timeout",
        type=float,
        default=600,
        help="stop a nightly run in which no site finished for this many seconds (default 600; "
        "0: never), after saving a py-spy dump",
    )
    parser.add_argument(
        "--scrapy-wrapper",
        type=Path,
        help="run `python WRAPPER nightly ...` instead of `python -m scrapy nightly ...`, to measure "
        "a patch without editing the project (WRAPPER ends with scrapy.cmdline.execute())",
    )
    parser.add_argument(
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
    try:
        mix = tuple(float(x) for x in args.mix.split(","))
        if len(mix) != 3 or min(mix) < 0 or not sum(mix):
            raise ValueError
    except ValueError:
        parser.error("--mix: three non-negative percentages, e.g. 70,25,5")
    shares = tuple(x / sum(mix) for x in mix)
    settings = dict(NIGHTLY_SETTINGS)
    for item in args.setting:
        name, sep, value = item.partition("=")
        if not sep:
            parser.error(f"--setting {item!r}: use NAME=VALUE")
        settings[name] = value
    python = bc.project_python(args.python)
    if subprocess.run([python, "-c", "import crawler, scrapy"], check=False, capture_output=True).returncode:
        print(
            f"error: {python} cannot import crawler; run {python} -m pip install -e {ROOT}", file=sys.stderr
        )
        return 2
    if not bc.NginxServer.available():
        print("error: nginx is not installed (apt-get install -y nginx-light)", file=sys.stderr)
        return 2

    report: dict[str, Any] = {
        "benchmark": "govhealth scrapy nightly on many generated sites",
        "started_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": bc.machine_info(python),
        "settings": settings,
        "parallel": args.parallel,
        "mix": args.mix,
        "runs": [],
    }
    base = Path(tempfile.mkdtemp(prefix="govhealth-bench-nightly-"))
    base.chmod(0o755)  # nginx workers run as nobody
    work = base / "run"
    work.mkdir()
    server: MultiSiteNginx | None = None
    try:
        port = bc.free_port()
        print(f"generating {args.sites} sites into {base} ...", flush=True)
        sites, summary = generate_sites(base, args.sites, port, args.seed, shares)
        report["generated"] = summary
        print(
            f"  {summary['by_class']}, {summary['pages']:,} pages, {summary['targets']:,} distinct targets "
            f"({summary['external_targets']:,} external, {summary['national_targets_linked']:,} of them on the "
            f"shared portal), {summary['links']:,} links ({summary['links_per_page']} a page), "
            f"{summary['missing']} missing, {summary['files']:,} files, {summary['megabytes']} MB, "
            f"in {summary['seconds']} s",
            flush=True,
        )
        server = MultiSiteNginx(base, sites, port, work / "nginx")
        server.start()
        print(
            f"  serving {len(sites)} sites on 127.0.1.1-{sites[-1].host}:{port}, the portal on "
            f"{'/'.join(NATIONAL_HOSTS)}, sister sites on {SISTER_HOSTS[0]}-{SISTER_HOSTS[-1]} (nginx)",
            flush=True,
        )
        backends = ["sqlite"] + (["postgresql"] if args.pg else [])
        for backend in backends:
            try:
                run = run_nightly(backend, sites, work, server, python, args, settings)
            except RuntimeError as exc:
                run = {"label": f"nightly-{backend}", "database": backend, "error": str(exc)}
            report["runs"].append(run)
            report_run(run)
        if not args.no_reference:
            ref = run_reference(sites, work, server, python, args, settings)
            report["reference"] = ref
            print(
                f"  reference: {ref['pages']:,} pages in {ref['wall_seconds']:.1f} s -> {ref['pages_per_s']:.1f} "
                f"pages/s, {ref['pages_per_cpu_s']:.1f} pages per CPU s, peak RSS {ref['peak_rss_mb']:.0f} MB, "
                f"rest of the machine {ref['other_cpu_seconds']:.0f} CPU s",
                flush=True,
            )
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
    single_path = find_single_site_json(args.single_site_json)
    single = single_site_figures(single_path)
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
    report["targets_met"] = targets
    ex = extrapolate(main_run, args.parallel, len(os.sched_getaffinity(0)))
    report["extrapolation"] = ex
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
            f"at --parallel {args.parallel}"
        )
        print(f"    {t['parallel_arithmetic']}")
        print(
            f"    {t['cpu_bound_arithmetic']} -> {t['cpu_bound_machines']} machine(s) for an "
            f"{NIGHT_WINDOW_HOURS:.0f} h night (if memory allows that many sites at once)"
        )
    print("\ntargets: " + ", ".join(f"{k}: {'met' if v else 'MISSED'}" for k, v in targets.items()))
    if main_run["other_cpu_seconds"] > 0.3 * main_run["wall_seconds"]:
        print(
            f"warning: the rest of the machine used {main_run['other_cpu_seconds']:.0f} CPU s during the nightly run "
            f"({main_run['other_cpu_seconds'] / main_run['wall_seconds']:.1f} cores on average): wall-time figures "
            "are inflated; compare pages per CPU s"
        )
    if args.json:
        args.json.write_text(json.dumps(report, ensure_ascii=False, indent=2, default=str))
        print(f"wrote {args.json}")
    return 1 if any(r.get("error") for r in report["runs"]) else 0


if __name__ == "__main__":
    sys.exit(main())
