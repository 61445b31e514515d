"""Retention of the evidence archive: archives older than GOVHEALTH_EVIDENCE_DAYS are deleted."""

from __future__ import annotations

import logging
import time
from pathlib import Path

logger = logging.getLogger(__name__)

PARTIAL_GRACE = 24 * 3600  # a ``.part`` file this old is left over from a killed writer


def prune_archives(directory: Path, days: int, now: float | None = None) -> list[Path]:
    """Delete ``<site>/<run>.warc.gz`` files last written more than ``days`` ago (and stale ``.part`` files).

    Returns:
        The paths deleted.
    """
    if not directory.is_dir():
        return []
    now = time.time() if now is None else now
    deleted = []
    for path in directory.glob("*/*.warc.gz*"):
        age = now - path.stat().st_mtime
        partial = path.name.endswith(".part")
        if (partial and age > PARTIAL_GRACE) or (not partial and age > days * 86400):
            path.unlink(missing_ok=True)
            deleted.append(path)
    if deleted:
        logger.info("Deleted %d evidence archives older than %d days", len(deleted), days)
    return deleted
