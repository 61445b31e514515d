"""The root of govhealth's own exceptions (no third-party imports, so every layer may use it)."""

from __future__ import annotations


class GovHealthError(Exception):
    """Base class of every error govhealth raises on purpose."""
