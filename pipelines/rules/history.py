"""Finding identity and history across runs: fingerprints, first/last seen, resolution, run diffs.

Pure transitions; the store persists their results and passes the run time in.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection, Mapping
from dataclasses import dataclass, replace
from datetime import datetime

FINGERPRINT_LENGTH = 20


@dataclass
class FindingHistory:
    """When a finding (by fingerprint) was first and last seen, in how many runs, and when it went away."""

    fingerprint: str
    first_seen: datetime
    last_seen: datetime
    runs_seen: int
    resolved_at: datetime | None = None


@dataclass(frozen=True)
class RunDiff:
    """Fingerprints new in, persisting into, and fixed by (gone from) the newer run, each sorted."""

    new: tuple[str, ...]
    persisting: tuple[str, ...]
    fixed: tuple[str, ...]


def fingerprint(site_code: str, kind: str, url: str) -> str:
    """Stable identity of a finding: 20 hex chars of the SHA-1 of its site, kind and URL.

    Nothing is normalised here (the caller passes normalised URLs); the parts are JSON-encoded so that no
    two different triples share an input. Changing this changes every stored fingerprint.
    """
    data = json.dumps([str(site_code), str(kind), str(url)], ensure_ascii=False).encode("utf-8")
    return hashlib.sha1(data, usedforsecurity=False).hexdigest()[:FINGERPRINT_LENGTH]


def advance_history(
    previous: Mapping[str, FindingHistory],
    seen: Collection[str],
    *,
    run_time: datetime,
    run_complete: bool,
) -> dict[str, FindingHistory]:
    """Histories after a run that saw the fingerprints ``seen``; ``previous`` is left unchanged.

    A new fingerprint starts at ``run_time`` with one run; a seen one gets ``last_seen = run_time``, one
    more run, and loses ``resolved_at`` if it had gone away (``first_seen`` keeps the first sighting).
    A complete run resolves every unresolved fingerprint it did not see; an incomplete run (cut short
    by a budget or an error) resolves nothing, since absence there proves nothing.

    Raises:
        ValueError: ``run_time`` is naive (history times are timezone-aware UTC).
    """
    if run_time.tzinfo is None:
        raise ValueError("run_time must be timezone-aware")
    out = dict(previous)
    seen_set = set(seen)  # a fingerprint listed twice is still one sighting
    for fp in seen_set:
        old = previous.get(fp)
        out[fp] = (
            FindingHistory(fp, run_time, run_time, 1)
            if old is None
            else replace(old, last_seen=run_time, runs_seen=old.runs_seen + 1, resolved_at=None)
        )
    if run_complete:
        for fp, history in previous.items():
            if fp not in seen_set and history.resolved_at is None:
                out[fp] = replace(history, resolved_at=run_time)
    return out


def diff_runs(old: Collection[str], new: Collection[str]) -> RunDiff:
    """Compare the fingerprints of two runs (for ``scrapy diff``: the last two complete runs)."""
    old_set, new_set = set(old), set(new)
    return RunDiff(
        tuple(sorted(new_set - old_set)), tuple(sorted(new_set & old_set)), tuple(sorted(old_set - new_set))
    )
