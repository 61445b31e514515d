"""Stable code names shared by the crawl, the store, the exports and the scorer.

The strings are a contract (README: Findings, export schema): add new members, never rename old ones.
"""

from __future__ import annotations

from enum import StrEnum


class FindingKind(StrEnum):
    """What a finding reports; the ``kind`` field of the export."""

    SITE_UNREACHABLE = "site_unreachable"
    HOMEPAGE_STALE = "homepage_stale"
    BROKEN_LINK = "broken_link"
    BLANK_COLUMN = "blank_column"
    STALE_COLUMN = "stale_column"
    UNVERIFIED_LINK = "unverified_link"
    UNVERIFIED_COLUMN = "unverified_column"


class PageKind(StrEnum):
    """What a column's page turned out to be (the column row's ``page_kind``)."""

    PENDING = "pending"  # its page was not read (yet)
    LIST = "list"
    SINGLE = "single"  # a content page (机构职能 …)
    EMPTY = "empty"  # shows nothing, or only a placeholder
    UNKNOWN = "unknown"  # cannot tell (a script, frame or pager could hold the list): unverified, never blank


class ColumnStatus(StrEnum):
    """A column's verdict in the inventory (the column row's ``status``)."""

    OK = "ok"
    BLANK = "blank"
    STALE = "stale"
    UNVERIFIED = "unverified"
    SINGLE = "single"


class LinkState(StrEnum):
    """Outcome of checking one link target."""

    OK = "ok"
    BROKEN = "broken"
    UNVERIFIED = "unverified"


class ResourceType(StrEnum):
    """What kind of resource a link points at (export field ``resource_type``)."""

    PAGE = "page"
    IMAGE = "image"
    ATTACHMENT = "attachment"
    SCRIPT = "script"
    STYLESHEET = "stylesheet"
    FRAME = "frame"
    OTHER = "other"


class ColumnCategory(StrEnum):
    """Column categories with their own update period (README: How columns are judged)."""

    NEWS = "news"
    NOTICE_POLICY = "notice_policy"
    PERSONNEL_PLAN = "personnel_plan"
    OTHER = "other"


class SiteLevel(StrEnum):
    """Administrative level of a registered site."""

    DEPARTMENT = "department"
    CITY = "city"
    COUNTY = "county"
