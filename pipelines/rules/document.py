"""One fetched page, parsed once: its links, its datastores and its column reading share one lxml tree.

Pure (lxml); no settings. Links are read first, because the column reading prunes the tree (scripts, styles).
"""

from __future__ import annotations

from lxml.html import HtmlElement

from pipelines.rules.cms import find_datastores, parse_html_checked
from pipelines.rules.columns.page import _Page
from pipelines.rules.links.extract import ExtractedLink, _codec, link_tree, links_in

ColumnPage = _Page  # what discover_columns, analyse_list_page, homepage_newest_date and page_as_column read


class Document:
    """A decoded page and the one tree every reader of it uses (README: Architecture, "parse once")."""

    def __init__(self, html: str, url: str, encoding: str = "utf-8") -> None:
        self.html = html
        self.url = url
        self.encoding = encoding
        self._tree: tuple[HtmlElement, bool] | None = None
        self._links: list[ExtractedLink] | None = None
        self._page: ColumnPage | None = None

    @property
    def tree(self) -> tuple[HtmlElement, bool]:
        """The parsed tree and whether libxml2 cut it short (a page nested deeper than 256 elements)."""
        if self._tree is None:
            self._tree = parse_html_checked(self.html)
        return self._tree

    def links(self, limit: int = 0) -> list[ExtractedLink]:
        """``extract_links`` of the page (the first call's ``limit`` holds for the document)."""
        if self._links is None:
            if not self.html.strip():
                self._links = []
            else:
                root, truncated = self.tree
                # a cut tree: links are read from a flattened reparse (link_tree), columns from what was parsed
                source = link_tree(self.html) if truncated else root
                self._links = links_in(source, self.url, _codec(self.encoding), limit)
        return self._links

    @property
    def column_page(self) -> ColumnPage:
        """The page as the column readers see it; built on the shared tree once the links were read."""
        if self._page is None:
            shared = self.tree[0] if self._links is not None else None  # else keep the tree whole for links
            self._page = ColumnPage(self.html, self.url, root=shared)
        return self._page

    def datastore_records(self) -> list[str]:
        """Every record fragment of every Hanweb datastore on the page (their links are the page's links too)."""
        if "datastore" not in self.html:
            return []
        stores = self._page.datastores if self._page is not None else find_datastores(self.tree[0])
        return [record for store in stores for record in store.records]
