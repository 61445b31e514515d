"""The item the probe spider yields (crawler/spiders/probe.py re-exports it); pipelines/probe.py stores it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass
class ProbeItem:
    """The outcome of one homepage probe (a `models.probe.Probe` row, plus the site for the report)."""

    site_id: int
    code: str
    name: str
    at: datetime  # UTC, when the first request was handed to the downloader
    ok: bool
    status: int | None
    elapsed_ms: int | None
    error: str | None = None
