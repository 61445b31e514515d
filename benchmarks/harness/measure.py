"""Measure a command: wall time, CPU and peak RSS of its process tree (wait4 and /proc), an RSS/CPU timeline.

Also the requests the server handled meanwhile, the CPU the rest of the machine used, and a stall watchdog.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import ROOT

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
    """User + system CPU seconds the processes have used so far (/proc/PID/stat)."""
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
    """SIGKILL the process group of ``pid``, if any is left."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGKILL)


def tail(path: str, lines: int = 15) -> str:
    """The last ``lines`` lines of a log file."""
    return "\n".join(Path(path).read_text(errors="replace").splitlines()[-lines:])


class TimelineMonitor(TreeMonitor):
    """The tree RSS sampler (every 0.1 s), plus a timeline of RSS and CPU every ``every`` s."""

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
                cpu = cpu_seconds(tree_pids(self.pid))
                self.timeline.append((round(elapsed, 1), round(self.last_rss / 2**20, 1), round(cpu, 1)))
                next_mark += self.every


class StallWatchdog(threading.Thread):
    """Stop a nightly run in which no site has finished for ``limit`` s (its `[i/N] code ...` lines).

    It first saves a py-spy dump of the stuck process (when py-spy is installed), then sends SIGTERM (Scrapy's
    graceful shutdown, which records the run as interrupted), then SIGKILL after 60 s.
    """

    def __init__(
        self,
        proc: subprocess.Popen[bytes],
        out_path: Path,
        limit: float,
        py_spy: Path | None,
        dump_path: Path | None = None,
    ) -> None:
        super().__init__(daemon=True)
        self.proc, self.out_path, self.limit, self.py_spy = proc, out_path, limit, py_spy
        self.stop_event = threading.Event()
        self.stalled: dict[str, Any] | None = None
        self.dump_path = dump_path  # where the py-spy dump goes (default: beside the log)

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
            kill_group(self.proc.pid)
            return

    def stop(self) -> None:
        self.stop_event.set()
        self.join()


def run_with_timeline(
    command: list[str],
    env: dict[str, str],
    logs: Path,
    name: str,
    server: Any,
    timeout: float,
    stall_limit: float | None = None,
    py_spy: Path | None = None,
    dump_path: Path | None = None,
) -> dict[str, Any]:
    """``run_measured`` (in the project root) with an RSS/CPU timeline and, with ``stall_limit``, a stall watchdog.

    Returns bench_nightly's figures of the run (MB rather than bytes, the timeline, ``stalled``).
    """
    monitors: list[TimelineMonitor] = []
    watchdogs: list[StallWatchdog] = []

    def timeline(pid: int) -> TimelineMonitor:
        monitors.append(TimelineMonitor(pid))
        return monitors[0]

    def watchdog(proc: subprocess.Popen[bytes]) -> list[StallWatchdog]:
        if stall_limit:
            watchdogs.append(StallWatchdog(proc, logs / f"{name}.stdout", stall_limit, py_spy, dump_path))
        return watchdogs

    m = run_measured(
        command,
        cwd=ROOT,
        env=env,
        logs=logs,
        name=name,
        server=server,
        timeout=timeout,
        monitor=timeline,
        companions=watchdog,
    )
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
