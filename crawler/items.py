"""Items the portal spider yields: what it saw, never what it judged."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class PageItem:
    """One page of the site that was crawled (parsed for links and columns)."""

    url: str
    depth: int
    status: int
    title: str | None = None


@dataclass
class ColumnItem:
    """One column page as read: its list items' dates, placeholder, name and how it was found."""

    url: str
    name: str
    how: str
    page_kind: str  # list, single, empty, unknown
    item_count: int | None = None
    latest_date: str | None = None  # YYYY-MM-DD
    placeholder: str | None = None
    reason: str | None = None
    top_level: bool = True
    dates: list[str] = field(default_factory=list)


@dataclass
class HomepageItem:
    """The homepage as read: the newest dated item it shows."""

    url: str
    reachable: bool
    latest_date: str | None = None
    dated_items: int = 0
    status: int | None = None
    error: str | None = None
    reason: str | None = None
