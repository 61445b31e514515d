#!/usr/bin/env python3
"""Benchmark the full govhealth pipeline on a large generated local site, side by side with linkinator and LinkChecker.

It generates a static site (``--pages`` HTML pages, ~21 links each: pages of the site, images, pdf/doc/xls
attachments and links to "external" sites on 127.0.0.2-9, ~1% of the targets missing), serves it with nginx
(or, when nginx is missing, a multi-process Python server), and measures:

* ``scrapy crawl portal`` (crawl + check + classify + store into SQLite), as a subprocess;
* linkinator (npm) on the same site;
* LinkChecker (PyPI, in its own venv) on a 1,000-page slice, with govhealth run on the same slice.

For each run: wall time, requests/s (client's count and nginx's count), pages/s, links/s, targets/s, CPU time
and peak RSS of the process tree. Prints a table and writes every figure to ``--json``.

Usage: .venv/bin/python benchmarks/bench_crawl.py [--pages 20000] [--json out.json] [--keep]
       [--skip-linkinator] [--skip-linkchecker]

Only the standard library is needed here; the crawl itself runs with the project's venv
(``.venv/bin/python`` beside this folder, or ``--python``).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import random
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SITE_CODE = "4511990001"
SITE_NAME = "基准测试县人民政府"
MAIN_HOST = "127.0.0.1"
EXTERNAL_HOSTS = tuple(f"127.0.0.{i}" for i in range(2, 10))  # Linux routes all of 127/8 to lo
DEFAULT_CACHE = Path(tempfile.gettempdir()) / "govhealth-bench-cache"
LINKCHECKER_PAGES = 1000
# linkinator 7.x starts every discovered link's check at once (its --concurrency only bounds the queue of
# promises already running), so on a 20,000-page site it opens > 20,000 sockets and fails most checks with
# EMFILE. 6.3.0 honours --concurrency and checks the whole site; 8.x needs Node >= 22.
LINKINATOR_VERSION = "6.3.0"

# Settings of a local benchmark: no politeness delays, enough concurrency to keep the crawler busy.
GOVHEALTH_SETTINGS = {
    "GOVHEALTH_MAX_PAGES": "30000",
    "GOVHEALTH_MAX_SECONDS": "3600",
    "GOVHEALTH_ALLOW_PRIVATE_TARGETS": "True",
    "DOWNLOAD_DELAY": "0",
    "AUTOTHROTTLE_ENABLED": "False",
    "CONCURRENT_REQUESTS": "64",
    "CONCURRENT_REQUESTS_PER_DOMAIN": "32",
    "GOVHEALTH_RECHECK_DELAY": "1",
    "LOG_LEVEL": "WARNING",
}

# --- the site -------------------------------------------------------------------------------------

TREE_FANOUT = (
    8  # page i has children 8i+1 .. 8i+8: every page is reachable, depth ~log8(N) <= GOVHEALTH_MAX_DEPTH
)
RANDOM_LINKS = 12  # other pages linked from each page by a seeded pseudo-random scheme
MEDIA_PER_PAGE = 2  # images, attachments and external links per page (each)
MISSING_MOD = 100  # target j of a kind is missing when j % 100 == 37: ~1% of each kind
COLUMNS = ("政务公开", "通知公告", "政策解读", "办事服务", "互动交流", "走进本县", "专题专栏", "数据发布")
FILLER = (
    "为深入贯彻落实党中央、国务院关于全面推进政务公开工作的决策部署，进一步提升政府网站集约化水平，"
    "本县坚持以人民为中心的发展思想，围绕优化营商环境、保障和改善民生等重点领域，及时准确发布政策文件、"
    "公示公告和办事指南，切实保障人民群众的知情权、参与权、表达权和监督权。"
)
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000100ff25dc2c0000000049454e44ae426082"
)
ATTACHMENT_KINDS = (
    ("pdf", b"%PDF-1.4\n% govhealth benchmark\n%%EOF\n"),
    ("doc", b"\xd0\xcf\x11\xe0" + b"\0" * 508),
    ("xls", b"\xd0\xcf\x11\xe0" + b"\1" * 508),
)


@dataclass
class SiteSpec:
    """What the generated site holds: the ground truth every tool's figures are compared with."""

    pages: int  # HTML pages of the site (all reachable from /)
    distinct_targets: int  # distinct link targets, the homepage included
    link_occurrences: int  # (page, target) pairs: what "links" counts
    page_links: int  # distinct internal page targets (existing and missing)
    images: int
    attachments: int
    externals: int
    missing: list[str]  # paths / URLs that answer 404
    files: int
    bytes: int
    html_bytes_avg: int
    max_depth: int
    seconds: float  # time to generate


def page_path(i: int) -> str:
    return "/" if i == 0 else f"/p/{i}.html"


def generate_site(root: Path, pages: int, port: int, seed: int = 2019) -> SiteSpec:
    """Write the site into ``root`` (one Python loop, a few seconds for 20,000 pages)."""
    started = time.perf_counter()
    rng = random.Random(seed)
    n_media = max(1, pages * 2 // 5)
    missing_pages = [pages + k for k in range(len(range(50, pages, 100)))]
    for sub in ("p", "img", "files", "ext"):
        (root / sub).mkdir(parents=True, exist_ok=True)

    def missing(j: int) -> bool:
        return j % MISSING_MOD == 37

    def ext_url(j: int) -> str:
        return f"http://{EXTERNAL_HOSTS[j % len(EXTERNAL_HOSTS)]}:{port}/ext/{j}.html"

    def att_path(j: int) -> str:
        return f"/files/{j}.{ATTACHMENT_KINDS[j % 3][0]}"

    targets: set[str] = {"/"}
    occurrences = total_bytes = html_bytes = files = 0
    depth = 0
    filler = f"<p>{FILLER}</p>\n" * 3
    for i in range(pages):
        column = COLUMNS[i % len(COLUMNS)]
        title = f"{column}第{i}号信息 - {SITE_NAME}"
        links: dict[str, str] = {}  # target -> anchor html (a page lists a target once)
        links["/"] = '<a href="/">首页</a>'
        if i:
            parent = (i - 1) // TREE_FANOUT
            links.setdefault(page_path(parent), f'<a href="{page_path(parent)}">上一级栏目</a>')
        for child in range(TREE_FANOUT * i + 1, min(TREE_FANOUT * i + TREE_FANOUT + 1, pages)):
            links.setdefault(
                page_path(child),
                f'<li><a href="{page_path(child)}">{COLUMNS[child % 8]}子栏目{child}</a></li>',
            )
        for _ in range(RANDOM_LINKS):
            k = rng.randrange(pages)
            links.setdefault(
                page_path(k), f'<li><a href="{page_path(k)}">{COLUMNS[k % 8]}：关于第{k}号事项的通知</a></li>'
            )
        if i % 100 == 50:
            gone = page_path(missing_pages[(i - 50) // 100])
            links.setdefault(gone, f'<li><a href="{gone}">已撤稿的信息</a></li>')
        for m in range(MEDIA_PER_PAGE):
            j = (MEDIA_PER_PAGE * i + m) % n_media
            links.setdefault(f"/img/{j}.png", f'<img src="/img/{j}.png" alt="配图{j}">')
            links.setdefault(att_path(j), f'<a href="{att_path(j)}">附件{j}.{ATTACHMENT_KINDS[j % 3][0]}</a>')
            links.setdefault(ext_url(j), f'<a href="{ext_url(j)}">相关网站{j}</a>')
        targets.update(links)
        occurrences += len(links)
        body = "\n".join(links.values())
        html = (
            f'<!DOCTYPE html>\n<html lang="zh-CN"><head><meta charset="utf-8"><title>{title}</title></head>\n'
            f'<body><div class="header"><h1>{SITE_NAME}</h1></div>\n<div class="main"><h2>{title}</h2>\n'
            f"<p>发布时间：2024-{i % 12 + 1:02d}-{i % 28 + 1:02d} 来源：县人民政府办公室</p>\n{filler}"
            f'<ul class="links">\n{body}\n</ul></div>\n<div class="footer">主办单位：{SITE_NAME} 网站标识码：{SITE_CODE}'
            "</div></body></html>\n"
        ).encode()
        (root / ("index.html" if i == 0 else f"p/{i}.html")).write_bytes(html)
        files += 1
        html_bytes += len(html)
        d, k = 0, i
        while k:
            k, d = (k - 1) // TREE_FANOUT, d + 1
        depth = max(depth, d)
    total_bytes += html_bytes
    missing_targets = [page_path(k) for k in missing_pages]
    for j in range(n_media):
        if missing(j):
            missing_targets += [f"/img/{j}.png", att_path(j), ext_url(j)]
            continue
        ext_html = (
            f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>外部网站第{j}页</title></head>"
            f"<body><p>{FILLER}</p></body></html>"
        ).encode()
        for path, data in (
            (f"img/{j}.png", PNG),
            (att_path(j)[1:], ATTACHMENT_KINDS[j % 3][1]),
            (f"ext/{j}.html", ext_html),
        ):
            (root / path).write_bytes(data)
            total_bytes += len(data)
            files += 1
    (root / "robots.txt").write_text("User-agent: *\nDisallow:\n")
    return SiteSpec(
        pages=pages,
        distinct_targets=len(targets),
        link_occurrences=occurrences,
        page_links=pages + len(missing_pages),
        images=n_media,
        attachments=n_media,
        externals=n_media,
        missing=missing_targets,
        files=files + 1,
        bytes=total_bytes,
        html_bytes_avg=html_bytes // max(1, pages),
        max_depth=depth,
        seconds=round(time.perf_counter() - started, 2),
    )


# --- servers --------------------------------------------------------------------------------------


def free_port() -> int:
    """A port free on 127.0.0.1 (and, in practice, on the other loopback addresses too)."""
    with socket.socket() as s:
        s.bind((MAIN_HOST, 0))
        return int(s.getsockname()[1])


def wait_until_listening(
    proc: subprocess.Popen[bytes] | None, addresses: list[tuple[str, int]], timeout: float = 15
) -> None:
    """Poll until every address accepts connections; fail early if the server process died."""
    deadline = time.monotonic() + timeout
    pending = list(addresses)
    while pending:
        try:
            with socket.create_connection(pending[0], timeout=0.5):
                pending.pop(0)
                continue
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"server not listening on {pending[0]} after {timeout}s")
        if proc is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=0.02)  # the poll interval, and an early exit shows up here
                raise RuntimeError(f"server exited with status {proc.returncode}")
        else:
            threading.Event().wait(0.02)


def nginx_config(workdir: Path, http_lines: list[str]) -> str:
    """nginx.conf of a benchmark server: 2 workers, no access log, long keep-alive, static files only.

    ``http_lines`` go at the end of the http block: server blocks and any extra directives.
    """
    temps = "\n".join(f"  {n}_temp_path {workdir}/{n};" for n in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    body = "\n".join(f"  {line}" for line in http_lines)
    return f"""daemon off;
worker_processes 2;
worker_rlimit_nofile 65536;
pid {workdir}/nginx.pid;
error_log {workdir}/nginx-error.log warn;
events {{ worker_connections 8192; }}
http {{
  access_log off;
{temps}
  types {{ text/html html; image/png png; application/pdf pdf; application/msword doc;
          application/vnd.ms-excel xls; text/plain txt; }}
  default_type application/octet-stream;
  charset utf-8;
  sendfile on;
  tcp_nopush on;
  tcp_nodelay on;
  keepalive_timeout 120;
  keepalive_requests 1000000;
{body}
}}
"""


class NginxServer:
    """nginx serving ``root`` on 127.0.0.1-9:port (daemon off, our child), with stub_status for request counts."""

    kind = "nginx"

    def __init__(self, root: Path, port: int, workdir: Path) -> None:
        self.root, self.port, self.workdir = root, port, workdir
        self.status_port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @staticmethod
    def available() -> str | None:
        return shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx",) if os.access(p, os.X_OK)), None)

    def config(self) -> str:
        listens = "\n".join(f"    listen {h}:{self.port} reuseport;" for h in (MAIN_HOST, *EXTERNAL_HOSTS))
        return nginx_config(
            self.workdir,
            [
                "# LinkChecker limits itself to ~10 requests/s per host unless the server sends this header.",
                "add_header LinkChecker 1 always;",
                f"server {{\n{listens}\n    root {self.root};\n    index index.html;\n  }}",
                f"server {{ listen {MAIN_HOST}:{self.status_port}; location / {{ stub_status; }} }}",
            ],
        )

    def start(self) -> None:
        binary = self.available()
        assert binary
        conf = self.workdir / "nginx.conf"
        self.workdir.mkdir(parents=True, exist_ok=True)
        conf.write_text(self.config())
        self.proc = subprocess.Popen(
            [binary, "-c", str(conf), "-p", str(self.workdir), "-e", str(self.workdir / "nginx-error.log")],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,  # nginx logs into error_log
            start_new_session=True,
        )
        addresses = [(h, self.port) for h in (MAIN_HOST, *EXTERNAL_HOSTS)] + [(MAIN_HOST, self.status_port)]
        try:
            wait_until_listening(self.proc, addresses)
        except RuntimeError as exc:
            log = (self.workdir / "nginx-error.log").read_text(errors="replace")[-2000:]
            self.stop()
            raise RuntimeError(f"nginx failed to start: {exc}\n{log}") from exc

    def requests(self) -> int | None:
        """Requests nginx has handled so far (this status request included)."""
        with urllib.request.urlopen(f"http://{MAIN_HOST}:{self.status_port}/", timeout=5) as r:
            match = re.search(rb"\n\s*(\d+)\s+(\d+)\s+(\d+)", r.read())
        return int(match[3]) if match else None

    def pids(self) -> list[int]:
        return tree_pids(self.proc.pid) if self.proc else []

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)  # fast shutdown of the master and its workers
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.proc = None


class PythonServer:
    """Fallback without nginx: one process per core, each serving every address (SO_REUSEPORT), threaded."""

    kind = "python (multi-process)"

    def __init__(self, root: Path, port: int, workdir: Path) -> None:
        self.root, self.port, self.workdir = root, port, workdir
        self.procs: list[subprocess.Popen[bytes]] = []

    def start(self) -> None:
        for _ in range(max(2, os.cpu_count() or 2)):
            self.procs.append(
                subprocess.Popen(
                    [sys.executable, __file__, "--serve-worker", str(self.root), str(self.port)],
                    stdin=subprocess.DEVNULL,
                    start_new_session=True,
                )
            )
        for proc in self.procs:
            wait_until_listening(proc, [(h, self.port) for h in (MAIN_HOST, *EXTERNAL_HOSTS)])

    def requests(self) -> int | None:
        return None

    def pids(self) -> list[int]:
        return [pid for p in self.procs for pid in tree_pids(p.pid)]

    def stop(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.terminate()
        for proc in self.procs:
            proc.wait()
        self.procs = []


def serve_worker(root: str, port: int) -> None:
    """One worker of PythonServer (started as a subprocess of this script)."""
    from functools import partial
    from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

    class Handler(SimpleHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        extensions_map = {  # noqa: RUF012
            **SimpleHTTPRequestHandler.extensions_map,
            ".html": "text/html; charset=utf-8",
            ".doc": "application/msword",
            ".xls": "application/vnd.ms-excel",
        }

        def log_message(self, *args: Any) -> None:
            pass

        def end_headers(self) -> None:
            self.send_header("LinkChecker", "1")
            super().end_headers()

    class Server(ThreadingHTTPServer):
        daemon_threads = True
        request_queue_size = 1024

        def server_bind(self) -> None:
            self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
            super().server_bind()

        def handle_error(self, request: Any, client_address: Any) -> None:
            pass

    servers = [Server((h, port), partial(Handler, directory=root)) for h in (MAIN_HOST, *EXTERNAL_HOSTS)]
    for server in servers[1:]:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    servers[0].serve_forever()


# --- measuring a process tree -----------------------------------------------------------------------

PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _stat(pid: int | str) -> list[str] | None:
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return raw[raw.rindex(")") + 2 :].split()  # fields from 3 (state) on; the name may hold spaces


def tree_pids(root: int) -> list[int]:
    """``root`` and all its descendants (from /proc)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (fields := _stat(entry.name)):
            children.setdefault(int(fields[1]), []).append(int(entry.name))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, ()))
    return found


def machine_busy_seconds() -> float:
    """CPU seconds all cores have spent busy since boot (/proc/stat: everything but idle and iowait)."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return (sum(fields[:8]) - fields[3] - fields[4]) / CLOCK_TICKS


def cpu_seconds(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        if fields := _stat(pid):
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / CLOCK_TICKS


class TreeMonitor(threading.Thread):
    """Sample the RSS of a process tree every ``interval`` s; keep the peak of the sum and each VmHWM."""

    def __init__(self, pid: int, interval: float = 0.1) -> None:
        super().__init__(daemon=True)
        self.pid, self.interval = pid, interval
        self.peak_tree_rss = 0
        self.hwm: dict[int, int] = {}
        self.stop_event = threading.Event()

    def sample(self) -> None:
        total = 0
        for pid in tree_pids(self.pid):
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except OSError:
                continue
            rss = re.search(r"VmRSS:\s+(\d+) kB", status)
            hwm = re.search(r"VmHWM:\s+(\d+) kB", status)
            total += int(rss[1]) * 1024 if rss else 0
            if hwm:
                self.hwm[pid] = max(self.hwm.get(pid, 0), int(hwm[1]) * 1024)
        self.peak_tree_rss = max(self.peak_tree_rss, total)

    def run(self) -> None:
        while not self.stop_event.wait(self.interval):
            self.sample()

    def stop(self) -> None:
        self.stop_event.set()
        self.join()


@dataclass
class Measured:
    """One measured subprocess run."""

    command: list[str]
    exit_code: int
    wall_seconds: float
    cpu_seconds: float  # user + system of the process tree (from wait4)
    user_seconds: float
    system_seconds: float
    peak_rss_bytes: int  # max(ru_maxrss of the tree, sampled peak of the summed tree RSS)
    peak_rss_sampled_tree_bytes: int
    ru_maxrss_bytes: int  # largest single process of the tree
    server_requests: int | None  # requests nginx handled during the run
    server_cpu_seconds: float
    other_cpu_seconds: float  # CPU the rest of the machine used meanwhile: other load skews wall times
    load_average_before: float
    stdout_path: str
    stderr_path: str


def run_measured(
    command: list[str],
    *,
    cwd: Path,
    env: dict[str, str],
    logs: Path,
    name: str,
    server: Any,
    timeout: float,
    monitor: Callable[[int], TreeMonitor] = TreeMonitor,
    companions: Callable[[subprocess.Popen[bytes]], list[Any]] = lambda proc: [],
) -> Measured:
    """Run ``command``, sampling its tree's RSS; wait4 gives its CPU time and max RSS exactly.

    ``monitor`` makes the RSS sampler for the process id (a subclass may keep more); ``companions`` gives
    threads to run beside the process (started after it, stopped when it ends), e.g. a stall watchdog.
    """
    out_path, err_path = logs / f"{name}.stdout", logs / f"{name}.stderr"
    before = server.requests()
    server_pids = server.pids()
    server_cpu = cpu_seconds(server_pids)
    busy = machine_busy_seconds()
    load = float(Path("/proc/loadavg").read_text().split()[0])
    with out_path.open("wb") as out, err_path.open("wb") as err:
        started = time.perf_counter()
        proc = subprocess.Popen(
            command,
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=err,
            start_new_session=True,
        )
        sampler = monitor(proc.pid)
        sampler.sample()
        sampler.start()
        timer = threading.Timer(timeout, kill_group, (proc.pid,))
        timer.start()
        others = companions(proc)
        for other in others:
            other.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
            sampler.stop()
            for other in others:
                other.stop()
        wall = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
    kill_group(proc.pid)  # leftovers of the tool's own process group, if any
    busy = machine_busy_seconds() - busy
    server_cpu = cpu_seconds(server_pids) - server_cpu
    after = server.requests()
    ru_maxrss = usage.ru_maxrss * 1024
    return Measured(
        command=command,
        exit_code=proc.returncode,
        wall_seconds=round(wall, 3),
        cpu_seconds=round(usage.ru_utime + usage.ru_stime, 2),
        user_seconds=round(usage.ru_utime, 2),
        system_seconds=round(usage.ru_stime, 2),
        peak_rss_bytes=max(ru_maxrss, sampler.peak_tree_rss),
        peak_rss_sampled_tree_bytes=sampler.peak_tree_rss,
        ru_maxrss_bytes=ru_maxrss,
        server_requests=after - before - 1 if before is not None and after is not None else None,
        server_cpu_seconds=round(server_cpu, 2),
        other_cpu_seconds=round(max(0.0, busy - server_cpu - usage.ru_utime - usage.ru_stime), 1),
        load_average_before=load,
        stdout_path=str(out_path),
        stderr_path=str(err_path),
    )


def kill_group(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGKILL)


def tail(path: str, lines: int = 15) -> str:
    return "\n".join(Path(path).read_text(errors="replace").splitlines()[-lines:])


# --- the tools -------------------------------------------------------------------------------------


def project_python(explicit: str | None) -> str:
    if explicit:
        return explicit
    venv = ROOT / ".venv" / "bin" / "python"
    return str(venv) if venv.exists() else sys.executable


def govhealth_command(python: str, extra_settings: dict[str, str]) -> list[str]:
    command = [python, "-m", "scrapy", "crawl", "portal", "-a", f"code={SITE_CODE}"]
    for name, value in {**GOVHEALTH_SETTINGS, **extra_settings}.items():
        command += ["-s", f"{name}={value}"]
    return command


def register_site(site_url: str, work: Path, python: str, label: str) -> tuple[Path, dict[str, str]]:
    """A fresh SQLite database with the site registered by `scrapy sites import`."""
    db = work / f"{label}.sqlite3"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    env = {**os.environ, "GOVHEALTH_DATABASE_URL": f"sqlite:///{db}", "PYTHONUNBUFFERED": "1"}
    sites_csv = work / f"{label}-sites.csv"
    sites_csv.write_text(f"code,name,url\n{SITE_CODE},{SITE_NAME},{site_url}\n", encoding="utf-8")
    imported = subprocess.run(
        [python, "-m", "scrapy", "sites", "import", str(sites_csv)],
        cwd=ROOT,
        env=env,
        check=False,
        capture_output=True,
        text=True,
    )
    if imported.returncode != 0:
        raise RuntimeError(f"scrapy sites import failed:\n{imported.stdout}{imported.stderr}")
    return db, env


def run_govhealth(
    site_url: str,
    spec: SiteSpec,
    work: Path,
    server: Any,
    python: str,
    label: str,
    timeout: float,
    extra_settings: dict[str, str],
) -> dict[str, Any]:
    """Register the site in a fresh SQLite DB, crawl it with `scrapy crawl portal`, read the run back."""
    db, env = register_site(site_url, work, python, label)
    command = govhealth_command(python, extra_settings)
    m = run_measured(command, cwd=ROOT, env=env, logs=work, name=label, server=server, timeout=timeout)
    result: dict[str, Any] = {"tool": "govhealth", "label": label, **asdict(m)}
    if m.exit_code != 0:
        result["error"] = f"exit {m.exit_code}: {tail(m.stderr_path)}"
    with contextlib.closing(sqlite3.connect(db)) as conn:
        row = conn.execute(
            "SELECT id, pages, targets, broken, unverified, status, budget_hit, close_reason, stats"
            " FROM crawl_runs ORDER BY id DESC LIMIT 1"
        ).fetchone()
        if row is None:
            result.setdefault("error", "no crawl_runs row was stored")
            return result
        run_id, pages, targets, broken, unverified, status, budget, reason, stats_json = row
        stats = json.loads(stats_json or "{}")
        occurrences = conn.execute(
            "SELECT COALESCE(SUM(source_count), 0) FROM link_checks WHERE run_id=?", (run_id,)
        ).fetchone()[0]
        broken_urls = {
            u
            for (u,) in conn.execute(
                "SELECT url FROM link_checks WHERE run_id=? AND state='broken'", (run_id,)
            )
        }
        by_type = dict(
            conn.execute(
                "SELECT resource_type, COUNT(*) FROM link_checks WHERE run_id=? GROUP BY 1", (run_id,)
            ).fetchall()
        )
    expected = {absolute(site_url, t) for t in spec.missing}
    requests = int(stats.get("downloader/request_count", 0))
    result.update(
        pages=pages,
        targets=targets,
        link_occurrences=int(occurrences) + 1,  # + the homepage itself, which no page "links to" first
        broken=broken,
        unverified=unverified,
        run_status=status,
        budget_hit=budget,
        close_reason=reason,
        requests=requests,
        responses=int(stats.get("downloader/response_count", 0)),
        request_methods={
            k.rsplit("/", 1)[-1]: v
            for k, v in stats.items()
            if k.startswith("downloader/request_method_count/")
        },
        rechecks=stats.get("govhealth/rechecks", 0),
        scrapy_elapsed_seconds=stats.get("elapsed_time_seconds"),
        targets_by_type=by_type,
        broken_missed=len(expected - broken_urls),
        broken_false=len(broken_urls - expected),
    )
    return result


def absolute(site_url: str, target: str) -> str:
    return target if target.startswith("http") else site_url.rstrip("/") + target


def install_linkinator(cache: Path, version: str) -> tuple[Path | None, str]:
    """linkinator@version installed once under the cache (npm picks the newest release this Node supports for "latest")."""
    prefix = cache / f"npm-linkinator-{version}"
    binary = prefix / "node_modules" / ".bin" / "linkinator"
    if binary.exists():
        return binary, ""
    npm = shutil.which("npm")
    if not npm:
        return None, "npm is not installed"
    proc = subprocess.run(
        [npm, "install", "--prefix", str(prefix), "--no-audit", "--no-fund", f"linkinator@{version}"],
        check=False,
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0 or not binary.exists():
        return None, f"npm install linkinator@{version} failed: {proc.stderr.strip()[-500:]}"
    return binary, ""


def run_linkinator(
    binary: Path, site_url: str, spec: SiteSpec, work: Path, server: Any, timeout: float, skip_external: bool
) -> dict[str, Any]:
    command = [
        str(binary),
        site_url,
        "--recurse",
        "--concurrency",
        "100",
        "--timeout",
        "30000",
        "--verbosity",
        "error",
    ]
    if skip_external:
        command += ["--skip", r"^http://127\.0\.0\.[2-9]"]
    m = run_measured(
        command, cwd=work, env=dict(os.environ), logs=work, name="linkinator", server=server, timeout=timeout
    )
    version = binary.parent.parent / "linkinator" / "package.json"
    result: dict[str, Any] = {
        "tool": "linkinator",
        "label": "linkinator",
        "version": json.loads(version.read_text()).get("version") if version.exists() else None,
        **asdict(m),
    }
    text = re.sub(
        r"\x1b\[[0-9;]*m",
        "",
        Path(m.stdout_path).read_text(errors="replace") + Path(m.stderr_path).read_text(errors="replace"),
    )
    summary = re.search(r"(?:Detected (\d+) broken links\. )?Scanned (\d+) links", text, re.IGNORECASE)
    if summary is None:
        summary = re.search(r"Successfully scanned (\d+) links", text)
        result["link_results"] = int(summary[1]) if summary else None
        result["broken_results"] = 0 if summary else None
    else:
        result["broken_results"] = int(summary[1] or 0)
        result["link_results"] = int(summary[2])
    broken_urls = set(re.findall(r"\[\d{3}\]\s+(\S+)", text))
    expected = {absolute(site_url, t) for t in spec.missing}
    result.update(
        pages=spec.pages,
        targets=spec.distinct_targets,
        link_occurrences=spec.link_occurrences,
        requests=m.server_requests,
        broken=len(broken_urls),
        broken_missed=len(expected - broken_urls),
        broken_false=len(broken_urls - expected),
        skip_external=skip_external,
    )
    if m.exit_code not in (0, 1) or result["link_results"] is None:  # 1 = broken links found
        result["error"] = f"exit {m.exit_code}: {tail(m.stderr_path)}"
    return result


def install_linkchecker(cache: Path) -> tuple[Path | None, str]:
    venv = cache / "linkchecker-venv"
    binary = venv / "bin" / "linkchecker"
    if binary.exists():
        return binary, ""
    base = getattr(sys, "_base_executable", sys.executable)
    made = subprocess.run([base, "-m", "venv", str(venv)], check=False, capture_output=True, text=True)
    if made.returncode != 0:
        return None, f"python -m venv failed: {made.stderr.strip()[-300:]}"
    proc = subprocess.run(
        [str(venv / "bin" / "pip"), "install", "-q", "linkchecker"],
        check=False,
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0 or not binary.exists():
        return None, f"pip install linkchecker failed: {proc.stderr.strip()[-500:]}"
    return binary, ""


def run_linkchecker(
    binary: Path, site_url: str, spec: SiteSpec, work: Path, server: Any, timeout: float
) -> dict[str, Any]:
    # Run as root, LinkChecker drops to "nobody": its config and home must be readable/writable by anyone.
    home = work / "linkchecker-home"
    home.mkdir(exist_ok=True)
    home.chmod(0o777)
    config = work / "linkcheckerrc"
    config.write_text("[checking]\nthreads=10\nmaxrequestspersecond=1000\n[filtering]\ncheckextern=1\n")
    config.chmod(0o644)
    env = {**os.environ, "HOME": str(home), "XDG_CONFIG_HOME": str(home), "XDG_DATA_HOME": str(home)}
    command = [str(binary), "-f", str(config), "--check-extern", "--no-status", "-o", "text", site_url]
    m = run_measured(
        command, cwd=work, env=env, logs=work, name="linkchecker", server=server, timeout=timeout
    )
    version = subprocess.run(
        [str(binary), "--version"], check=False, capture_output=True, text=True, env=env
    ).stdout
    result: dict[str, Any] = {"tool": "linkchecker", "label": "linkchecker", **asdict(m)}
    result["version"] = (re.search(r"LinkChecker ([\d.]+)", version) or [None, None])[1]
    out = Path(m.stdout_path).read_text(errors="replace")
    summary = re.search(
        r"([\d,]+) links? in ([\d,]+) URLs? checked\.\s+([\d,]+) warnings? found\.\s+([\d,]+) errors? found",
        out,
    )
    if summary:
        num = [int(g.replace(",", "")) for g in summary.groups()]
        result.update(link_results=num[0], urls_checked=num[1], warnings=num[2], broken_results=num[3])
    else:
        result["error"] = f"no summary line (exit {m.exit_code}): {tail(m.stdout_path)} {tail(m.stderr_path)}"
    broken_urls = {absolute(site_url, u) for u in re.findall(r"^Real URL\s+(\S+)", out, re.MULTILINE)}
    expected = {absolute(site_url, t) for t in spec.missing}
    result.update(
        pages=spec.pages,
        targets=spec.distinct_targets,
        link_occurrences=spec.link_occurrences,
        requests=m.server_requests,
        broken=len(broken_urls),
        broken_missed=len(expected - broken_urls),
        broken_false=len(broken_urls - expected),
    )
    return result


def install_py_spy(cache: Path) -> tuple[Path | None, str]:
    venv = cache / "py-spy-venv"
    binary = venv / "bin" / "py-spy"
    if binary.exists():
        return binary, ""
    base = getattr(sys, "_base_executable", sys.executable)
    made = subprocess.run([base, "-m", "venv", str(venv)], check=False, capture_output=True, text=True)
    if made.returncode != 0:
        return None, f"python -m venv failed: {made.stderr.strip()[-300:]}"
    proc = subprocess.run(
        [str(venv / "bin" / "pip"), "install", "-q", "py-spy"], check=False, capture_output=True, text=True
    )
    if proc.returncode != 0 or not binary.exists():
        return None, f"pip install py-spy failed: {proc.stderr.strip()[-500:]}"
    return binary, ""


def summarise_stacks(path: Path, top: int = 30) -> dict[str, Any]:
    """Self and inclusive shares of the main thread's samples, from py-spy's raw (collapsed) output."""
    own: dict[str, int] = {}
    inclusive: dict[str, int] = {}
    total = 0
    for line in path.read_text(errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit() or stack.startswith("Thread._bootstrap"):
            continue  # Twisted's thread pool, idle: the crawl runs on the main thread
        frames = [re.sub(r":\d+\)$", ")", f) for f in stack.split(";")]
        n = int(count)
        total += n
        own[frames[-1]] = own.get(frames[-1], 0) + n
        for name in set(frames):
            inclusive[name] = inclusive.get(name, 0) + n

    def ranked(counter: dict[str, int]) -> list[tuple[str, float]]:
        return [
            (name, round(100 * n / total, 1))
            for name, n in sorted(counter.items(), key=lambda kv: -kv[1])[:top]
        ]

    return {"samples": total, "self_percent": ranked(own), "inclusive_percent": ranked(inclusive)}


def py_spy_record(binary: Path, out: Path, command: list[str]) -> list[str]:
    """``command`` run under ``py-spy record`` (raw stacks, ~100 samples/s) into ``out``."""
    return [str(binary), "record", "--format", "raw", "--rate", "100", "-o", str(out), "--", *command]


def profile_govhealth(
    site: Site, python: str, extra: dict[str, str], cache: Path, json_path: Path | None
) -> dict[str, Any]:
    """Crawl the site once more under py-spy (sampling, ~100 Hz) and summarise where the main thread spends its time."""
    binary, why = install_py_spy(cache)
    if binary is None:
        print(f"  profile skipped: {why}", flush=True)
        return {"skipped": why}
    _, env = register_site(site.url, site.work, python, "govhealth-profile")
    out = (json_path.parent if json_path else site.work) / "govhealth.pyspy.txt"
    command = py_spy_record(binary, out, govhealth_command(python, extra))
    print(f"  profiling govhealth with py-spy into {out} ...", flush=True)
    proc = subprocess.run(command, cwd=ROOT, env=env, check=False, capture_output=True, text=True)
    if proc.returncode != 0 or not out.exists():
        return {"skipped": f"py-spy failed: {proc.stderr.strip()[-500:]}"}
    summary = {"raw_stacks": str(out), **summarise_stacks(out)}
    print(
        f"\nwhere govhealth's main thread spends its time ({summary['samples']} samples; self %, then inclusive %):"
    )
    for (name, pct), (iname, ipct) in zip(
        summary["self_percent"][:25], summary["inclusive_percent"][10:35], strict=False
    ):
        print(f"  {pct:5.1f}%  {name[:70]:70}  {ipct:5.1f}%  {iname[:70]}")
    return summary


# --- report ----------------------------------------------------------------------------------------


def add_rates(r: dict[str, Any]) -> dict[str, Any]:
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
    r["peak_rss_mb"] = round(r.get("peak_rss_bytes", 0) / 2**20, 1)
    return r


def machine_info(python: str) -> dict[str, Any]:
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
    probe = "import sys, scrapy, twisted, lxml.etree as e; print(sys.version.split()[0], scrapy.__version__, twisted.__version__, '.'.join(map(str, e.LXML_VERSION)))"
    out = subprocess.run([python, "-c", probe], check=False, capture_output=True, text=True).stdout.split()
    if len(out) == 4:
        info.update(crawl_python=out[0], scrapy=out[1], twisted=out[2], lxml=out[3])
    if nginx := NginxServer.available():
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
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def print_table(title: str, runs: list[dict[str, Any]]) -> None:
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
    return {
        "speed_ratio": round(other["wall_seconds"] / gov["wall_seconds"], 2),  # >1: govhealth faster
        "memory_ratio": round(gov["peak_rss_bytes"] / other["peak_rss_bytes"], 2),  # <1: govhealth smaller
    }


# --- main ------------------------------------------------------------------------------------------


@dataclass
class Site:
    spec: SiteSpec
    url: str
    server: Any
    root: Path
    work: Path
    extra: dict[str, Any] = field(default_factory=dict)


@contextlib.contextmanager
def served_site(base: Path, name: str, pages: int, force_python: bool) -> Iterator[Site]:
    port = free_port()
    root, work = base / name / "site", base / name / "run"
    root.mkdir(parents=True)
    work.mkdir(parents=True)
    print(f"[{name}] generating {pages:,} pages into {root} ...", flush=True)
    spec = generate_site(root, pages, port)
    print(
        f"[{name}] {spec.files:,} files, {spec.bytes / 2**20:.1f} MB, {spec.distinct_targets:,} distinct targets, "
        f"{spec.link_occurrences:,} links, {len(spec.missing)} missing, depth {spec.max_depth}, in {spec.seconds}s",
        flush=True,
    )
    server: Any = (
        NginxServer(root, port, work / "nginx")
        if not force_python and NginxServer.available()
        else PythonServer(root, port, work)
    )
    server.start()
    print(
        f"[{name}] serving on http://{MAIN_HOST}:{port}/ (+ {EXTERNAL_HOSTS[0]}..{EXTERNAL_HOSTS[-1]}) with {server.kind}",
        flush=True,
    )
    try:
        yield Site(spec, f"http://{MAIN_HOST}:{port}/", server, root, work)
    finally:
        server.stop()


def finish(result: dict[str, Any], site: Site) -> dict[str, Any]:
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--pages", type=int, default=20000, help="HTML pages of the main site (default 20000)"
    )
    parser.add_argument(
        "--linkchecker-pages", type=int, default=LINKCHECKER_PAGES, help="pages of the LinkChecker slice"
    )
    parser.add_argument("--skip-linkinator", action="store_true")
    parser.add_argument(
        "--linkinator-version",
        default=LINKINATOR_VERSION,
        help=f"npm version of linkinator (default {LINKINATOR_VERSION}; 'latest' is 7.6.1 on Node 20, which runs out "
        "of file descriptors on a 20,000-page site)",
    )
    parser.add_argument("--skip-linkchecker", action="store_true")
    parser.add_argument(
        "--linkinator-skip-external",
        action="store_true",
        help="pass --skip for 127.0.0.2-9 (default: check external links, as govhealth does)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the generated sites, databases and logs")
    parser.add_argument("--json", type=Path, help="write every figure to this JSON file")
    parser.add_argument("--python", help="interpreter with govhealth installed (default: .venv/bin/python)")
    parser.add_argument(
        "--cache-dir",
        type=Path,
        default=DEFAULT_CACHE,
        help=f"npm/venv installs of the tools ({DEFAULT_CACHE})",
    )
    parser.add_argument(
        "--python-server", action="store_true", help="serve with the Python fallback even if nginx exists"
    )
    parser.add_argument("--timeout", type=float, default=3900, help="seconds before a tool run is killed")
    parser.add_argument(
        "-s",
        "--setting",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="extra Scrapy setting for the govhealth runs (repeatable), e.g. -s CONCURRENT_ITEMS=4",
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="afterwards, crawl the main site once more under py-spy and print where the time goes",
    )
    parser.add_argument("--serve-worker", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve_worker:
        serve_worker(args.serve_worker[0], int(args.serve_worker[1]))
        return 0
    if args.pages < 10:
        parser.error("--pages must be >= 10")

    extra: dict[str, str] = {}
    for item in args.setting:
        name, sep, value = item.partition("=")
        if not sep:
            parser.error(f"--setting {item!r}: use NAME=VALUE")
        extra[name] = value
    python = project_python(args.python)
    check = subprocess.run(
        [python, "-c", "import crawler, scrapy"], check=False, capture_output=True, text=True
    )
    if check.returncode != 0:
        print(
            f"error: {python} cannot import crawler; run {python} -m pip install -e {ROOT}", file=sys.stderr
        )
        return 2
    if not args.python_server and not NginxServer.available():
        print(
            "nginx not found (apt-get install -y nginx-light): serving with the multi-process Python fallback,"
            " which may itself be the bottleneck",
            flush=True,
        )
    args.cache_dir.mkdir(parents=True, exist_ok=True)
    report: dict[str, Any] = {
        "benchmark": "govhealth full pipeline (crawl + check + classify + store into SQLite)",
        "started_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": machine_info(python),
        "govhealth_settings": {**GOVHEALTH_SETTINGS, **extra},
        "runs": [],
        "skipped": {},
    }
    base = Path(tempfile.mkdtemp(prefix="govhealth-bench-"))
    base.chmod(0o755)  # nginx workers and LinkChecker run as nobody
    runs: list[dict[str, Any]] = report["runs"]
    try:
        with served_site(base, "main", args.pages, args.python_server) as site:
            report["site"] = {
                **asdict(site.spec),
                "missing": len(site.spec.missing),
                "url": site.url,
                "server": site.server.kind,
            }
            gov = finish(
                run_govhealth(
                    site.url, site.spec, site.work, site.server, python, "govhealth", args.timeout, extra
                ),
                site,
            )
            runs.append(gov)
            if args.skip_linkinator:
                report["skipped"]["linkinator"] = "--skip-linkinator"
            else:
                binary, why = install_linkinator(args.cache_dir, args.linkinator_version)
                if binary is None:
                    print(f"  linkinator skipped: {why}", flush=True)
                    report["skipped"]["linkinator"] = why
                else:
                    lk = finish(
                        run_linkinator(
                            binary,
                            site.url,
                            site.spec,
                            site.work,
                            site.server,
                            args.timeout,
                            args.linkinator_skip_external,
                        ),
                        site,
                    )
                    runs.append(lk)
                    if not lk.get("error") and not gov.get("error"):
                        report["vs_linkinator"] = compare(gov, lk)
            if args.profile:
                report["profile"] = profile_govhealth(site, python, extra, args.cache_dir, args.json)
        if args.skip_linkchecker:
            report["skipped"]["linkchecker"] = "--skip-linkchecker"
        else:
            binary, why = install_linkchecker(args.cache_dir)
            if binary is None:
                print(f"  LinkChecker skipped: {why}", flush=True)
                report["skipped"]["linkchecker"] = why
            else:
                with served_site(
                    base, "slice", min(args.pages, args.linkchecker_pages), args.python_server
                ) as sl:
                    report["slice_site"] = {**asdict(sl.spec), "missing": len(sl.spec.missing), "url": sl.url}
                    gov_s = run_govhealth(
                        sl.url, sl.spec, sl.work, sl.server, python, "govhealth-slice", args.timeout, extra
                    )
                    gov_s = finish(gov_s, sl)
                    lc = finish(
                        run_linkchecker(binary, sl.url, sl.spec, sl.work, sl.server, args.timeout), sl
                    )
                    runs += [gov_s, lc]
                    if not lc.get("error") and not gov_s.get("error"):
                        report["vs_linkchecker"] = compare(gov_s, lc)
    finally:
        if args.keep:
            print(f"\nkept {base}", flush=True)
        else:
            shutil.rmtree(base, ignore_errors=True)

    gov = runs[0]
    targets = {
        "requests_per_s >= 300": (gov.get("requests_per_s") or 0) >= 300,
        "peak_rss_mb <= 300": gov["peak_rss_mb"] <= 300,
    }
    if "vs_linkinator" in report:
        targets["speed >= 2x linkinator"] = report["vs_linkinator"]["speed_ratio"] >= 2
        targets["memory < 0.5x linkinator"] = report["vs_linkinator"]["memory_ratio"] < 0.5
    report["targets_met"] = targets

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
    for name in ("vs_linkinator", "vs_linkchecker"):
        if name in report:
            c = report[name]
            print(f"{name}: govhealth is {c['speed_ratio']}x as fast, uses {c['memory_ratio']}x the memory")
    for r in runs:
        if r.get("error"):
            print(f"{r['label']}: {r['error']}")
    print("targets: " + ", ".join(f"{k}: {'met' if v else 'MISSED'}" for k, v in targets.items()))
    for tool, why in report["skipped"].items():
        print(f"skipped {tool}: {why}")
    if args.json:
        args.json.write_text(json.dumps(report, ensure_ascii=False, indent=2))
        print(f"wrote {args.json}")
    return 1 if any(r.get("error") for r in runs) else 0


if __name__ == "__main__":
    sys.exit(main())
