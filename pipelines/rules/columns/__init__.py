"""Column (栏目) logic: discover columns on a page, read a column's name, analyse its list page.

Pure functions over decoded HTML (lxml only); ``today`` is passed in. No settings. Precision first: a list
this module cannot read is "unknown" (unverified), never "empty" (blank).
"""

from __future__ import annotations

from pipelines.rules.cms import DataProxyRequest
from pipelines.rules.columns.categories import DEFAULT_CATEGORY_KEYWORDS, category_for
from pipelines.rules.columns.contents import DEFAULT_PLACEHOLDERS, is_placeholder
from pipelines.rules.columns.discovery import ColumnLink, discover_columns
from pipelines.rules.columns.homepage import homepage_newest_date
from pipelines.rules.columns.listpage import (
    SINGLE_MIN_CHARS,
    ListPage,
    analyse_list_page,
    items_from_json,
    newest_date,
)
from pipelines.rules.columns.names import breadcrumb, column_name
from pipelines.rules.columns.pagecolumn import (
    BREADCRUMB_HINTS,
    LIST_MIN_DATED,
    NOT_A_COLUMN_CRUMB,
    is_column_crumb,
    might_be_column,
    page_as_column,
)
from pipelines.rules.columns.rows import ListItem, items_from_fragments

__all__ = [
    "BREADCRUMB_HINTS",
    "DEFAULT_CATEGORY_KEYWORDS",
    "DEFAULT_PLACEHOLDERS",
    "LIST_MIN_DATED",
    "NOT_A_COLUMN_CRUMB",
    "SINGLE_MIN_CHARS",
    "ColumnLink",
    "DataProxyRequest",
    "ListItem",
    "ListPage",
    "analyse_list_page",
    "breadcrumb",
    "category_for",
    "column_name",
    "discover_columns",
    "homepage_newest_date",
    "is_column_crumb",
    "is_placeholder",
    "items_from_fragments",
    "items_from_json",
    "might_be_column",
    "newest_date",
    "page_as_column",
]
