"""The parsed page the column modules share: scripts set aside, every element's zone (nav, footer, sidebar).

Pure (lxml); no settings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from lxml import etree
from lxml.html import HtmlElement

from pipelines.rules.cms import (
    dataproxy_from_tree,
    find_datastores,
    hanweb_initdata,
    json_list_from_tree,
    parse_html,
    trs_paging,
)
from pipelines.rules.columns.crumbs import _find_breadcrumb
from pipelines.rules.columns.dom import _absolute, _attrs, _collapse, _hinted, _site_host, _text

if TYPE_CHECKING:
    from pipelines.rules.columns.rows import _Row

_ROW_TAGS = frozenset({"li", "tr", "dd", "dt", "p"})  # list rows (rows.py); row_region needs them here
_SOFT, _HARD, _FOOTER, _NAV = 1, 2, 4, 8
_FOOTER_SUBSTR = ("footer", "bottom", "copyright", "friend", "yqlj", "links")
_FOOTER_TOKENS = frozenset({"foot", "bq", "db", "link", "lj", "bqxx", "dbxx"})
_NAV_SUBSTR = ("nav", "menu", "daohang")
_NAV_TOKENS = frozenset({"dh"})
_HARD_SUBSTR = ("header", "banner", "crumb", "weizhi", "dqwz", "position", "location", "toolbar", "topbar")
_HARD_TOKENS = frozenset({"top", "head", "mbx", "path"})
_SOFT_SUBSTR = ("left", "side", "sublm", "ejlm", "ejdh")
_SOFT_TOKENS = frozenset({"sub", "aside"})
_FOOTER_MARKERS = (
    "版权所有",
    "ICP备",
    "网站标识码",
    "技术支持",
    "主办单位",
    "承办单位",
    "Copyright",
    "©",
    "公网安备",
)
_TEMPLATE_ROWS = (
    "//*[@*[starts-with(name(), 'ms-for') or starts-with(name(), 'ms-repeat') or starts-with(name(), 'ms-each')"
    " or name() = 'v-for' or name() = 'ng-repeat' or name() = 'x-for' or name() = 'wx:for']]"
)
_WRAPPER_SHARE = 0.6  # a "nav"/"footer" holding most of a page's links is a page wrapper, not a nav


def _hints(el: HtmlElement) -> int:
    tag = el.tag
    if tag == "footer":
        return _FOOTER
    if tag == "nav":
        return _HARD | _NAV
    if tag == "header":
        return _HARD
    if tag == "aside":
        return _SOFT
    if not _attrs(el).strip():
        return 0
    bits = 0
    if _hinted(el, _FOOTER_SUBSTR, _FOOTER_TOKENS):
        bits |= _FOOTER
    if _hinted(el, _NAV_SUBSTR, _NAV_TOKENS):
        bits |= _HARD | _NAV
    if _hinted(el, _HARD_SUBSTR, _HARD_TOKENS):
        bits |= _HARD
    if _hinted(el, _SOFT_SUBSTR, _SOFT_TOKENS):
        bits |= _SOFT
    return bits


@dataclass
class _Script:
    text: str
    src: str
    parent: HtmlElement | None


class _Page:
    """A parsed page with scripts set aside and every element's zone bits (nav, footer, sidebar)."""

    def __init__(self, html: str, page_url: str, root: HtmlElement | None = None) -> None:
        self.root = root if root is not None else parse_html(html)  # a given tree is pruned here (scripts …)
        self.page_url = page_url
        base = self.root.find(".//base[@href]")
        self.base: str = (_absolute(page_url, base.get("href")) if base is not None else None) or page_url
        self.host = _site_host(page_url)
        # Datastores, pagers and dataproxy configs live in scripts: read them before the scripts go.
        self.datastores = find_datastores(self.root)
        self.dataproxy = dataproxy_from_tree(self.root, page_url)
        self.trs = trs_paging(self.root, page_url)
        self.initdata = hanweb_initdata(self.root)
        self.json_list = json_list_from_tree(self.root, page_url)  # a list a script loads as JSON
        self.scripts: list[_Script] = []
        for script in list(self.root.iter("script")):
            self.scripts.append(_Script(script.text or "", script.get("src") or "", script.getparent()))
            holder = script.getparent()
            while holder is not None and holder.tag != "a":
                holder = holder.getparent()
            if holder is not None and not _text(holder) and not holder.get("title"):
                # TRS rows write their title with document.write('...'): keep it as the link's title.
                strings = re.findall(r"""(["'])((?:\\.|(?!\1).)+)\1""", script.text or "")
                if strings:
                    holder.set("title", _collapse(max((s for _, s in strings), key=len)))
            script.drop_tree()
        self.templates = self.root.find(".//template") is not None
        # Rows a front-end template repeats (avalon ms-for/ms-repeat, Vue v-for, Angular ng-repeat): their
        # links are placeholders ({{el.url}}) until a script runs, beside any rows the server wrote.
        self.template_rows: set[HtmlElement] = set(self.root.xpath(_TEMPLATE_ROWS))
        for el in list(self.root.iter("style", "select", "noscript", "template")):
            el.drop_tree()
        self.body = self.root.find("body")
        if self.body is None:
            self.body = self.root
        self.anchors = [a for a in self.body.iter("a") if a.get("href") or a.get("onclick")]
        self.link_count: dict[HtmlElement, int] = {}
        for a in self.anchors:
            for anc in a.iterancestors():
                self.link_count[anc] = self.link_count.get(anc, 0) + 1
        self.zone: dict[HtmlElement, int] = {}
        total = len(self.anchors)
        for el in self.root.iter(etree.Element):
            parent = el.getparent()
            bits = self.zone.get(parent, 0) if parent is not None else 0
            own = _hints(el)
            if own and not (total >= 10 and self.link_count.get(el, 0) > _WRAPPER_SHARE * total):
                bits |= own
            self.zone[el] = bits
        self._mark_footer_markers()
        self.crumb = _find_breadcrumb(self.body)
        if self.crumb is not None:
            self._mark(self.crumb, _HARD)

    def _mark(self, el: HtmlElement, bits: int) -> None:
        for sub in el.iter(etree.Element):
            self.zone[sub] = self.zone.get(sub, 0) | bits

    def _mark_footer_markers(self) -> None:
        """Copyright/ICP/site-code blocks are footers whatever their class says."""
        for node in self.body.xpath(".//text()[not(ancestor::a)]"):
            if not any(m in node for m in _FOOTER_MARKERS):
                continue
            owner = node.getparent()
            top = owner
            while top is not None and top is not self.body:
                parent = top.getparent()
                if parent is None or parent is self.body or self.link_count.get(parent, 0) > 8:
                    break
                if len(_text(parent)) > 400:
                    break
                top = parent
            if top is not None and top is not self.body:
                self._mark(top, _FOOTER)

    def bits(self, el: HtmlElement | None) -> int:
        return self.zone.get(el, 0) if el is not None else 0

    def region(self, el: HtmlElement | None) -> str:
        """'footer', 'hard' (nav, header, breadcrumb), 'soft' (sidebar) or 'main'."""
        return _region(self.bits(el))

    def row_region(self, row: _Row) -> str:
        """A row's region: its list's, or "footer" when the row is a block that is itself a footer."""
        if row.el.tag not in _ROW_TAGS and row.el.tag != "a" and self.region(row.el) == "footer":
            return "footer"
        return self.region(row.container)

    def templated(self, el: HtmlElement) -> bool:
        """Whether ``el`` lies in a row a front-end template repeats (see ``template_rows``)."""
        return bool(self.template_rows) and any(
            anc in self.template_rows for anc in (el, *el.iterancestors())
        )

    def same_site(self, url: str) -> bool:
        return _site_host(url) == self.host


def _region(bits: int) -> str:
    if bits & _FOOTER:
        return "footer"
    if bits & _HARD:
        return "hard"
    return "soft" if bits & _SOFT else "main"
