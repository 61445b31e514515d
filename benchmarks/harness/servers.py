"""The static servers of the benchmarks: nginx (daemon off, our child, config in the temp dir) and a Python fallback.

nginx's ``stub_status`` counts the requests each tool makes. ``served_site`` generates bench_crawl's site and serves
it for the duration of a ``with`` block.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import ROOT, module_command
from .measure import kill_group, tree_pids
from .nightly_sites import NATIONAL_HOSTS, SISTER_HOSTS
from .sites import EXTERNAL_HOSTS, MAIN_HOST, SiteSpec, generate_site

if TYPE_CHECKING:
    from .nightly_sites import GenSite


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


def nginx_binary() -> str | None:
    """nginx's path, when it is installed (``apt-get install -y nginx-light``)."""
    return shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx",) if os.access(p, os.X_OK)), None)


def nginx_config(workdir: Path, http_lines: list[str]) -> str:
    """nginx.conf of a benchmark server: 2 workers, no access log, long keep-alive, static files only.

    ``http_lines`` go at the end of the http block: server blocks and any extra directives.
    """
    temps = "\n".join(
        f"  {n}_temp_path {workdir}/{n};" for n in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
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


class Nginx:
    """nginx as our child (daemon off), with a stub_status port; subclasses give the config and the addresses."""

    kind = "nginx"
    start_timeout = 15.0  # seconds until every address listens

    def __init__(self, port: int, workdir: Path) -> None:
        self.port, self.workdir = port, workdir
        self.status_port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    def config(self) -> str:
        raise NotImplementedError

    def addresses(self) -> list[tuple[str, int]]:
        raise NotImplementedError

    def start(self) -> None:
        binary = nginx_binary()
        if not binary:
            raise RuntimeError("nginx is not installed: apt-get install -y nginx-light")
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
        try:
            wait_until_listening(self.proc, self.addresses(), timeout=self.start_timeout)
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
                kill_group(self.proc.pid)
                self.proc.wait()
        self.proc = None

    def status_block(self) -> str:
        return f"server {{ listen {MAIN_HOST}:{self.status_port}; location / {{ stub_status; }} }}"


class NginxServer(Nginx):
    """nginx serving bench_crawl's ``root`` on 127.0.0.1-9:port."""

    def __init__(self, root: Path, port: int, workdir: Path) -> None:
        super().__init__(port, workdir)
        self.root = root

    def addresses(self) -> list[tuple[str, int]]:
        return [(h, self.port) for h in (MAIN_HOST, *EXTERNAL_HOSTS)] + [(MAIN_HOST, self.status_port)]

    def config(self) -> str:
        listens = "\n".join(f"    listen {h}:{self.port} reuseport;" for h in (MAIN_HOST, *EXTERNAL_HOSTS))
        return nginx_config(
            self.workdir,
            [
                "# LinkChecker limits itself to ~10 requests/s per host unless the server sends this header.",
                "add_header LinkChecker 1 always;",
                f"server {{\n{listens}\n    root {self.root};\n    index index.html;\n  }}",
                self.status_block(),
            ],
        )


class MultiSiteNginx(Nginx):
    """nginx serving every bench_nightly site on its own address, the national portal and the sister sites."""

    start_timeout = 30.0

    def __init__(self, base: Path, sites: list[GenSite], port: int, workdir: Path) -> None:
        super().__init__(port, workdir)
        self.base, self.sites = base, sites

    def addresses(self) -> list[tuple[str, int]]:
        hosts = [s.host for s in self.sites] + list(NATIONAL_HOSTS) + list(SISTER_HOSTS)
        return [(h, self.port) for h in hosts] + [(MAIN_HOST, self.status_port)]

    def config(self) -> str:
        p = self.port
        blocks = [
            f"server {{ listen {s.host}:{p} reuseport; root {self.base / 'sites' / s.code}; index index.html; }}"
            for s in self.sites
        ]
        national = "".join(f"listen {h}:{p} reuseport; " for h in NATIONAL_HOSTS)
        sister = "".join(f"listen {h}:{p} reuseport; " for h in SISTER_HOSTS)
        blocks.append(f"server {{ {national}root {self.base / 'national'}; index index.html; }}")
        blocks.append(f"server {{ {sister}root {self.base / 'sister'}; index index.html; }}")
        blocks.append(self.status_block())
        return nginx_config(self.workdir, blocks)


class PythonServer:
    """Fallback without nginx: one process per core (``pyserver``), each serving every address (SO_REUSEPORT)."""

    kind = "python (multi-process)"

    def __init__(self, root: Path, port: int, workdir: Path) -> None:
        self.root, self.port, self.workdir = root, port, workdir
        self.procs: list[subprocess.Popen[bytes]] = []

    def start(self) -> None:
        for _ in range(max(2, os.cpu_count() or 2)):
            self.procs.append(
                subprocess.Popen(
                    module_command(sys.executable, "pyserver", str(self.root), str(self.port)),
                    cwd=ROOT,
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


@dataclass
class Site:
    """bench_crawl's generated site while it is served."""

    spec: SiteSpec
    url: str
    server: Any
    root: Path
    work: Path
    extra: dict[str, Any] = field(default_factory=dict)

    def summary(self, server: bool = True) -> dict[str, Any]:
        """The report's ``site``/``slice_site``: the ground truth's figures, the URL (and the server)."""
        out = {**asdict(self.spec), "missing": len(self.spec.missing), "url": self.url}
        return {**out, "server": self.server.kind} if server else out


@contextlib.contextmanager
def served_site(base: Path, name: str, pages: int, force_python: bool) -> Iterator[Site]:
    """Generate a site of ``pages`` pages under ``base/name`` and serve it (nginx, else the Python fallback)."""
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
        if not force_python and nginx_binary()
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
