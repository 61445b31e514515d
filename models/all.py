"""Import every model so that ``Base.metadata`` knows all tables (for Alembic and tests)."""

from __future__ import annotations

from models.base import Base
from models.column import Column
from models.finding import Finding, FindingHistory
from models.link import LinkCheck
from models.nightly import CachedLink, NightlyRun
from models.notification import Notification
from models.probe import Probe
from models.run import CrawlRun
from models.site import ColumnOverride, Site

__all__ = [
    "Base",
    "CachedLink",
    "Column",
    "ColumnOverride",
    "CrawlRun",
    "Finding",
    "FindingHistory",
    "LinkCheck",
    "NightlyRun",
    "Notification",
    "Probe",
    "Site",
]
