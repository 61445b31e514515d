"""The comparison tools and the profiler: linkinator (npm), LinkChecker and py-spy (PyPI, each in a venv of its own).

Each is installed once under the cache dir (``--cache-dir``), never into the project's venv; an install that fails
returns why, and the benchmark goes on without the tool.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .measure import run_measured, tail
from .sites import absolute

if TYPE_CHECKING:
    from .servers import Site

LINKCHECKER_PAGES = 1000
# linkinator 7.x starts every discovered link's check at once (its --concurrency only bounds the queue of
# promises already running), so on a 20,000-page site it opens > 20,000 sockets and fails most checks with
# EMFILE. 6.3.0 honours --concurrency and checks the whole site; 8.x needs Node >= 22.
LINKINATOR_VERSION = "6.3.0"


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


def run_linkinator(binary: Path, site: Site, timeout: float, skip_external: bool) -> dict[str, Any]:
    """``linkinator --recurse --concurrency 100`` on the site, its broken links against the ground truth."""
    site_url, spec, work, server = site.url, site.spec, site.work, site.server
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


def install_in_venv(cache: Path, package: str) -> tuple[Path | None, str]:
    """``package`` installed once into ``cache/<package>-venv`` (a venv of its own); its binary, or why not."""
    venv = cache / f"{package}-venv"
    binary = venv / "bin" / package
    if binary.exists():
        return binary, ""
    base = getattr(sys, "_base_executable", sys.executable)
    made = subprocess.run([base, "-m", "venv", str(venv)], check=False, capture_output=True, text=True)
    if made.returncode != 0:
        return None, f"python -m venv failed: {made.stderr.strip()[-300:]}"
    proc = subprocess.run(
        [str(venv / "bin" / "pip"), "install", "-q", package], check=False, capture_output=True, text=True
    )
    if proc.returncode != 0 or not binary.exists():
        return None, f"pip install {package} failed: {proc.stderr.strip()[-500:]}"
    return binary, ""


def install_linkchecker(cache: Path) -> tuple[Path | None, str]:
    """LinkChecker in a venv of its own under the cache."""
    return install_in_venv(cache, "linkchecker")


def run_linkchecker(binary: Path, site: Site, timeout: float) -> dict[str, Any]:
    """``linkchecker --check-extern`` (10 threads) on the site, its broken links against the ground truth."""
    site_url, spec, work, server = site.url, site.spec, site.work, site.server
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
    """py-spy in a venv of its own under the cache."""
    return install_in_venv(cache, "py-spy")


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
