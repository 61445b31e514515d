"""Items the portal spider yields; defined in pipelines/items.py, which the pipelines read (layers point down)."""

from __future__ import annotations

from pipelines.items import PageItem

__all__ = ["PageItem"]
