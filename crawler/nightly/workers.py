"""`scrapy nightly --workers N`: N worker processes share one nightly run through the scrapy-redis mode.

The parent plans the run and queues its sites in Redis (a private ``redis-server`` on a Unix socket, or
REDIS_URL with ``--redis``); each worker is `scrapy nightly --redis` and reports every finished site as one
line of JSON, so that the parent shows one progress display and one summary. No engine of our own: the queue,
the link claims and the per-server gate are the Redis ones a multi-machine run uses.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import math
import os
import queue
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO, Any

from crawler.nightly.results import SiteResult
from models.errors import GovHealthError

REPORT_PREFIX = "@@govhealth "  # a worker's machine-readable lines on its stdout
_PR_SET_PDEATHSIG = 1


def effective_workers(asked: int, sites: int, parallel: int) -> int:
    """Workers worth starting for ``parallel`` sites at a time in all: no more than there are slots, and a
    second process only when the sites outnumber what one worker's share of the slots holds at once."""
    share = math.ceil(parallel / max(asked, 1))
    return max(1, min(asked, parallel, math.ceil(sites / max(share, 1))))


def worker_parallel(parallel: int, workers: int) -> int:
    """Each worker's share of the ``parallel`` sites at a time."""
    return math.ceil(parallel / workers)


def report_line(kind: str, payload: dict[str, Any]) -> str:
    """One machine-readable line of a worker (``--worker-report``)."""
    return REPORT_PREFIX + json.dumps({"kind": kind, **payload}, ensure_ascii=False)


def site_report(result: SiteResult) -> str:
    return report_line("site", asdict(result))


def _libc() -> Any:
    try:
        return ctypes.CDLL("libc.so.6", use_errno=True)
    except OSError:  # not glibc Linux: workers outlive a killed parent, as separate commands would
        return None


_LIBC = _libc()  # loaded here, not in the forked child


def _die_with_parent() -> None:  # pragma: no cover - runs in the child between fork and exec
    """Linux: the child is killed when the parent dies: a kill -9 of `scrapy nightly` kills the whole run, as it
    kills a single process (its crawls stored or not at all, for --resume), and leaves no orphans."""
    if _LIBC is not None:
        _LIBC.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


@contextlib.contextmanager
def private_redis() -> Iterator[str]:
    """A throw-away ``redis-server`` on a Unix socket (no TCP port, nothing saved); yields its URL.

    Raises:
        GovHealthError: redis-server is not installed or does not start.
    """
    binary = shutil.which("redis-server")
    if binary is None:
        raise GovHealthError(
            "--workers N needs redis-server (apt-get install redis-server) or --redis with REDIS_URL"
        )
    folder = Path(tempfile.mkdtemp(prefix="govhealth-redis-"))
    sock = folder / "redis.sock"
    config = [
        "--port",
        "0",
        "--unixsocket",
        str(sock),
        "--unixsocketperm",
        "700",
        "--save",
        "",
        "--appendonly",
        "no",
    ]
    proc = subprocess.Popen(  # noqa: S603 - the machine's redis-server, fixed arguments
        [binary, *config, "--dir", str(folder)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        preexec_fn=_die_with_parent,  # noqa: PLW1509 - one prctl call, libc loaded before
    )
    url = f"unix://{sock}"
    try:
        from redis import Redis
        from redis.exceptions import RedisError

        deadline = time.monotonic() + 10
        while True:  # poll until it answers
            try:
                Redis.from_url(url).ping()
                break
            except RedisError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise GovHealthError("redis-server did not start for --workers") from None
                time.sleep(0.05)
        yield url
    finally:
        proc.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(5)
        if proc.poll() is None:
            proc.kill()
        shutil.rmtree(folder, ignore_errors=True)


def passthrough_settings(argv: list[str], drop: frozenset[str] = frozenset()) -> list[str]:
    """The ``-s NAME=VALUE`` options of the command line, for the workers (without the names in ``drop``)."""
    out: list[str] = []
    args = iter(argv)
    for arg in args:
        value = None
        if arg in ("-s", "--set"):
            value = next(args, None)
        elif arg.startswith("--set="):
            value = arg.removeprefix("--set=")
        elif arg.startswith("-s") and "=" in arg:
            value = arg[2:]
        if value is not None and value.split("=", 1)[0] not in drop:
            out += ["-s", value]
    return out


@dataclass
class WorkerPool:
    """The worker processes of one run and what they reported."""

    command: list[str]
    env: dict[str, str]
    count: int
    results: dict[str, SiteResult] = field(default_factory=dict)
    cache_hits: int = 0
    cache_lookups: int = 0
    procs: list[subprocess.Popen[str]] = field(default_factory=list)
    nightly_ids: set[int] = field(default_factory=set)
    interrupted: bool = False

    def run(self, on_site: Any, on_status: Any, interval: float, echo: Any) -> list[int]:
        """Start the workers, hand each reported site to ``on_site`` (other lines to ``echo``); their exit codes."""
        lines: queue.Queue[tuple[int, str | None]] = queue.Queue()
        for n in range(self.count):
            proc = subprocess.Popen(  # noqa: S603 - this interpreter running `scrapy nightly`
                self.command,
                env={**self.env, "GOVHEALTH_WORKER": str(n + 1)},
                stdout=subprocess.PIPE,
                text=True,
                encoding="utf-8",
                preexec_fn=_die_with_parent,  # noqa: PLW1509 - one prctl call, libc loaded before
            )
            self.procs.append(proc)
        for n, proc in enumerate(self.procs):  # threads only after every fork
            assert proc.stdout is not None
            threading.Thread(target=_pump, args=(n, proc.stdout, lines), daemon=True).start()
        previous = {sig: signal.signal(sig, self._forward) for sig in (signal.SIGTERM,)}
        try:
            open_pipes, next_status = self.count, time.monotonic() + interval
            while open_pipes:
                try:
                    _n, line = lines.get(timeout=max(0.05, next_status - time.monotonic()))
                except queue.Empty:
                    line = ""
                except KeyboardInterrupt:  # Ctrl-C reached the workers too: wait for them to stop cleanly
                    self.interrupted, line = True, ""
                if line is None:
                    open_pipes -= 1
                elif line.startswith(REPORT_PREFIX):
                    self._take(json.loads(line.removeprefix(REPORT_PREFIX)), on_site)
                elif line.strip():
                    echo(line.rstrip("\n"))
                if time.monotonic() >= next_status:
                    on_status()
                    next_status = time.monotonic() + interval
            return [proc.wait() for proc in self.procs]
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    def _take(self, data: dict[str, Any], on_site: Any) -> None:
        kind = data.pop("kind")
        if kind == "site":
            result = SiteResult(**data)
            self.results[result.code] = result
            on_site(result)
        elif kind == "worker":  # a worker's last line: its nightly runs and its link-cache counts
            self.nightly_ids.update(int(i) for i in data["nightly_ids"])
            self.cache_hits += int(data["cache_hits"])
            self.cache_lookups += int(data["cache_lookups"])

    def _forward(self, signum: int, _frame: Any) -> None:
        """SIGTERM to the parent (systemd, kill): every worker stops its crawls the way a single process does."""
        for proc in self.procs:
            if proc.poll() is None:
                proc.send_signal(signum)


def _pump(n: int, stream: IO[str], lines: queue.Queue[tuple[int, str | None]]) -> None:
    for line in stream:
        lines.put((n, line))
    lines.put((n, None))


def worker_command(parallel: int, settings: list[str], server_share: int = 0) -> list[str]:
    """`scrapy nightly --redis` as one worker of the pool, reporting in JSON lines.

    ``server_share``: the pool is the whole run (one machine), so each worker may keep 1/share of every server's
    limit in its own process instead of asking Redis for every request (0: ask Redis).
    """
    share = ["--server-share", str(server_share)] if server_share else []
    return [sys.executable, "-m", "scrapy.cmdline", "nightly", "--redis", "--workers", "1",
            "--parallel", str(parallel), "--worker-report", *share, *settings]  # fmt: skip


def worker_env(redis_url: str) -> dict[str, str]:
    return {**os.environ, "GOVHEALTH_REDIS_URL": redis_url, "PYTHONUNBUFFERED": "1"}
