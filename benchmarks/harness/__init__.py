"""Harness of the benchmark scripts: sites, servers, measurement, tools, runs and report (standard library only).

Its helper programs (``pyserver``, ``versions``, ``readback``, ``pgadmin``) run as
``python -m benchmarks.harness.<module>`` from the project root: see ``module_command``.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent  # the project: scrapy.cfg, crawler/, .venv/
BENCHMARKS = ROOT / "benchmarks"
DEFAULT_CACHE = Path(tempfile.gettempdir()) / "govhealth-bench-cache"


def project_python(explicit: str | None) -> str:
    """The interpreter with govhealth installed: ``--python``, else the project's ``.venv``, else this one."""
    if explicit:
        return explicit
    venv = ROOT / ".venv" / "bin" / "python"
    return str(venv) if venv.exists() else sys.executable


def module_command(python: str, module: str, *args: str) -> list[str]:
    """``python -m benchmarks.harness.<module> args...``; run it with ``cwd=ROOT``."""
    return [python, "-m", f"{__name__}.{module}", *args]


def parse_settings(items: list[str]) -> dict[str, str]:
    """``-s NAME=VALUE`` options as a dict.

    Raises:
        ValueError: an item without ``=`` (the message names it).
    """
    settings: dict[str, str] = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep:
            raise ValueError(f"--setting {item!r}: use NAME=VALUE")
        settings[name] = value
    return settings
