"""Items the portal spider yields: what it saw, never what it judged (crawler/items.py re-exports them)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class PageItem:
    """One page of the site that was crawled (parsed for links and columns)."""

    url: str
    depth: int
    status: int
    title: str | None = None
