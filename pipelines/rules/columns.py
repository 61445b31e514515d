"""Column (栏目) logic: discover columns on a page, read a column's name, analyse its list page (DESIGN 5).

Pure functions over decoded HTML (lxml only); ``today`` is passed in. No settings. Precision first: a list
this module cannot read is "unknown" (unverified), never "empty" (blank).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from itertools import islice
from urllib.parse import urljoin, urlsplit, urlunsplit

from lxml import etree
from lxml.html import HtmlElement

from pipelines.rules.cms import (
    DataProxyRequest,
    Datastore,
    dataproxy_from_tree,
    find_datastores,
    hanweb_initdata,
    paging_urls,
    parse_html,
    trs_paging,
)
from pipelines.rules.dates import article_pubdate, date_from_url, parse_date
from pipelines.rules.kinds import ColumnCategory

__all__ = [
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
    "is_placeholder",
    "items_from_fragments",
    "might_be_column",
    "newest_date",
    "page_as_column",
]

DEFAULT_PLACEHOLDERS: tuple[str, ...] = (
    "该栏目暂无信息", "本栏目暂无信息", "暂无信息", "暂无内容", "暂无数据", "暂无记录", "暂无文章", "暂无新闻",
    "暂无公告", "暂无通知", "暂无相关信息", "暂无相关内容", "暂无公开信息", "暂无更新", "没有记录", "没有信息",
    "没有数据", "无相关信息", "无记录", "正在建设中", "栏目建设中", "正在更新中", "信息整理中",
    "内容整理中", "正在完善中", "敬请期待",
)  # fmt: skip

# Bundled fallback for category_for; the rules file may give its own table (DESIGN 5 periods per category).
DEFAULT_CATEGORY_KEYWORDS: Mapping[str, Sequence[str]] = {
    ColumnCategory.NEWS: ("动态", "要闻", "新闻", "快讯", "简讯", "信息", "资讯", "图片新闻", "媒体关注"),
    ColumnCategory.NOTICE_POLICY: ("通知", "公告", "公示", "通告", "政策", "文件", "法规", "规章", "解读"),
    ColumnCategory.PERSONNEL_PLAN: ("人事", "任免", "招聘", "招考", "干部", "规划", "计划", "总结"),
    ColumnCategory.OTHER: ("计划生育", "信息公开指南", "信息公开年报", "依申请公开"),
}

SINGLE_MIN_CHARS = 60  # non-link characters of page text that make a list-less page a content page

# --- text and URL helpers -----------------------------------------------------------------------------


def _collapse(text: str | None) -> str:
    return " ".join((text or "").split())


def _text(el: HtmlElement) -> str:
    """Visible text as a title reads it: inline pieces joined without spaces."""
    return _collapse("".join(el.itertext()))


def _spaced(el: HtmlElement, skip: HtmlElement | None = None) -> str:
    """Text with every element boundary as a space (what the date parser wants), without ``skip``'s text."""
    parts: list[str] = []

    def walk(e: HtmlElement) -> None:
        if e is skip or not isinstance(e.tag, str):
            return
        parts.append(e.text or "")
        for child in e:
            walk(child)
            parts.append(child.tail or "")

    walk(el)
    return _collapse(" ".join(parts))


def _attrs(el: HtmlElement) -> str:
    return f"{el.get('class') or ''} {el.get('id') or ''}".lower()


def _tokens(attrs: str) -> set[str]:
    return set(re.split(r"[^a-z0-9]+", attrs)) - {""}


def _hinted(el: HtmlElement, substrings: Sequence[str], tokens: set[str] | frozenset[str]) -> bool:
    attrs = _attrs(el)
    return any(s in attrs for s in substrings) or bool(_tokens(attrs) & tokens)


_JS_URL = re.compile(
    r"""['"]((?:https?://|/|\.\.?/)?[^'"\s()]+\.(?:s?html?|jsp|php|aspx?|do)(?:\?[^'"\s]*)?)['"]"""
)


def _absolute(base: str, href: str | None) -> str | None:
    """Absolute http(s) URL without fragment, or None (javascript:, mailto:, #, other schemes)."""
    href = (href or "").strip()
    if not href or href.startswith("#"):
        return None
    if href.lower().startswith("javascript:"):
        m = _JS_URL.search(href)
        if not m:
            return None
        href = m.group(1)
    try:
        parts = urlsplit(urljoin(base, href))
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return str(urlunsplit((parts.scheme, parts.netloc, parts.path or "/", parts.query, "")))


def _anchor_url(base: str, a: HtmlElement) -> str | None:
    url = _absolute(base, a.get("href"))
    if url is None and (onclick := a.get("onclick")) and (m := _JS_URL.search(onclick)):
        url = _absolute(base, m.group(1))
    return url


def _site_host(url: str) -> str:
    host = (urlsplit(url).hostname or "").lower()
    return host.removeprefix("www.")


_FILE_EXT = re.compile(
    r"\.(?:pdf|docx?|xlsx?|pptx?|wps|et|zip|rar|7z|txt|jpe?g|png|gif|bmp|mp[34]|avi|flv)$", re.IGNORECASE
)
_COLUMN_URL = re.compile(
    r"(?:/|/(?:index|list|default|main)(?:_\d+)?\.\w+)$|/col/col\d+/|/(?:channel|column|lanmu|node)s?[/_]",
    re.IGNORECASE,
)
_COLUMN_QUERY = re.compile(r"(?:^|&)(?:column|channel|cat|class|type|col|node|lm)id=", re.IGNORECASE)
_ARTICLE_QUERY = re.compile(
    r"(?:^|&)(?:\w*id|p|aid|nid|infoid|articleid|newsid|contentid|docid)=\w+", re.IGNORECASE
)
_ARTICLE_PATH = re.compile(r"\d{4}|art_|/content|/detail|/show|/view|/article|/info/|/news/", re.IGNORECASE)


def _article_like(url: str | None) -> bool:
    """A URL that names one document (t20171012_1.html, art_1_2.html, show.asp?id=3, a PDF), not a column."""
    if not url:
        return False
    parts = urlsplit(url)
    if _FILE_EXT.search(parts.path):
        return True
    if _COLUMN_URL.search(parts.path):
        return bool(_ARTICLE_QUERY.search(parts.query)) and not _COLUMN_QUERY.search(parts.query)
    return bool(_ARTICLE_PATH.search(parts.path) or _ARTICLE_QUERY.search(parts.query))


_PAGER_TEXT = re.compile(
    r"^(?:首页|上一页|下一页|尾页|末页|上页|下页|前页|后页|最后一页|第一页|跳转|转到|go|确定|前往|\.\.\.|…|"
    r"\[?\d{1,4}\]?|<|>|<<|>>|«|»|‹|›)$",
    re.IGNORECASE,
)
_MORE_STRIP = re.compile(r"[\s>»›＞+＋》〉.…·\[\]【】()（）<«‹]+")
_MORE_WORDS = frozenset(
    {"", "更多", "more", "查看更多", "更多信息", "更多内容", "更多新闻", "浏览更多", "详细"}
)


def _more_text(a: HtmlElement) -> str | None:
    """'' for a 更多/more/>> link, the name for 更多通知公告, None for any other link."""
    text = _text(a)
    if not text:
        img = a.find(".//img")
        hint = f"{img.get('src') or ''} {img.get('alt') or ''}".lower() if img is not None else ""
        return "" if ("more" in hint or "更多" in hint) else None
    core = _MORE_STRIP.sub("", text).lower()
    if core in _MORE_WORDS:
        return ""
    if core.startswith("更多") and len(core) > 2:
        return core[2:]
    return None


# --- page model: zones (nav, footer, sidebars) ------------------------------------------------------------

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

    def __init__(self, html: str, page_url: str) -> None:
        self.root = parse_html(html)
        self.page_url = page_url
        base = self.root.find(".//base[@href]")
        self.base: str = (_absolute(page_url, base.get("href")) if base is not None else None) or page_url
        self.host = _site_host(page_url)
        # Datastores, pagers and dataproxy configs live in scripts: read them before the scripts go.
        self.datastores = find_datastores(self.root)
        self.dataproxy = dataproxy_from_tree(self.root, page_url)
        self.trs = trs_paging(self.root, page_url)
        self.initdata = hanweb_initdata(self.root)
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

    def same_site(self, url: str) -> bool:
        return _site_host(url) == self.host


def _region(bits: int) -> str:
    if bits & _FOOTER:
        return "footer"
    if bits & _HARD:
        return "hard"
    return "soft" if bits & _SOFT else "main"


# --- breadcrumbs and column names -----------------------------------------------------------------------

_CRUMB_LABEL = re.compile(
    r"^(?:(?:您|你)?(?:现在|当前|目前)(?:所在|的)*|(?:您|你)(?:所在|的)+|所在)(?:位置|页面)\s*[:：]?\s*"
    r"|^(?:位置|当前页面|当前栏目)\s*[:：]\s*"
)
_CRUMB_HINT_SUBSTR = ("crumb", "position", "location", "weizhi", "dqwz", "bread", "curpos", "current")
_CRUMB_HINT_TOKENS = frozenset({"mbx", "path", "wz", "dqlm", "pos"})
_CRUMB_SEPARATORS = re.compile(r"\x00|>>|->|=>|→|»|›|＞|>|/|\\|≫|〉|》|\s[-—–]\s")
_CRUMB_TAILS = frozenset({"正文", "内容", "详情", "正文内容", "详细内容", "文章内容", "浏览文章", "阅读"})
_SEP = "\x00"


def _crumb_parts(el: HtmlElement) -> list[str]:
    """The breadcrumb's elements without a trailing 正文-like label."""
    out = _crumb_elements(el)
    while out and out[-1] in _CRUMB_TAILS:
        out.pop()
    return out


def _crumb_elements(el: HtmlElement) -> list[str]:
    """The breadcrumb's elements, label (当前位置：) dropped."""
    pieces: list[str] = []

    def walk(e: HtmlElement) -> None:
        if not isinstance(e.tag, str):
            return
        if e.tag == "img":
            pieces.append(_SEP)
            return
        if e.tag == "a":
            alts = [img.get("alt") or "" for img in e.iter("img")]
            pieces.append(_SEP + (_text(e) or _collapse(" ".join(alts))) + _SEP)
            return
        pieces.append(e.text or "")
        for child in e:
            walk(child)
            pieces.append(child.tail or "")

    walk(el)
    parts = [_collapse(p) for p in _CRUMB_SEPARATORS.split("".join(pieces))]
    out: list[str] = []
    for part in parts:
        if not out:
            part = _CRUMB_LABEL.sub("", part).strip()
        part = part.strip(" :：")
        if part:
            out.append(part)
    return out


def _find_breadcrumb(body: HtmlElement) -> HtmlElement | None:
    """The element holding 当前位置：首页 > … (by its label first, then by a class/id hint)."""
    for node in body.xpath(".//text()"):
        if not _CRUMB_LABEL.match(node.strip()):
            continue
        el = node.getparent() if not node.is_tail else node.getparent().getparent()
        for _ in range(4):
            if el is None or el is body or len(_text(el)) > 200:
                break
            if _crumb_parts(el):
                return el
            el = el.getparent()
    for el in body.iter(etree.Element):
        if (
            _attrs(el).strip()
            and _hinted(el, _CRUMB_HINT_SUBSTR, _CRUMB_HINT_TOKENS)
            and len(_text(el)) <= 200
            and el.find(".//a") is not None
            and len(_crumb_parts(el)) >= 2
        ):
            return el
    return None


def breadcrumb(html: str) -> list[str]:
    """The page's breadcrumb trail, e.g. ``["首页", "政务公开", "通知公告"]`` (label and 正文 tail dropped)."""
    page = _Page(html, "http://localhost/")
    return _crumb_parts(page.crumb) if page.crumb is not None else []


def _meta_column_name(page: _Page) -> str | None:
    for meta in page.root.iter("meta"):
        if (meta.get("name") or "").strip().lower() == "columnname" and (
            name := _collapse(meta.get("content"))
        ):
            return name
    return None


def _column_name(page: _Page) -> str | None:
    if name := _meta_column_name(page):
        return name
    parts = _crumb_parts(page.crumb) if page.crumb is not None else []
    return parts[-1] if parts else None


def column_name(html: str) -> str | None:
    """The page's own column name: ``<meta name="ColumnName">``, else the breadcrumb's last element."""
    return _column_name(_Page(html, "http://localhost/"))


# --- list rows --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ListItem:
    """One row of a column list."""

    title: str
    url: str | None  # None when the row links through script we cannot resolve
    date: date | None  # from the row text, else from the item URL
    pinned: bool  # 置顶


_ROW_TAGS = frozenset({"li", "tr", "dd", "dt", "p"})
_CONTAINER_TAGS = frozenset({"ul", "ol", "table", "tbody", "thead", "dl", "body", "html"})
_PIN_TEXT = re.compile(r"[\[【(（]?\s*置顶\s*[\]】)）]?|[\[【]顶[\]】]")
_PIN_TOKENS = frozenset({"top", "zd", "zhiding", "istop", "settop", "ding", "sticky", "pinned", "pin"})
_PIN_IMG = re.compile(r"zhiding|置顶|(?:^|[/_-])(?:top|zd|ding)\d*\.(?:gif|png|jpe?g)", re.IGNORECASE)


@dataclass
class _Row:
    el: HtmlElement
    anchors: list[HtmlElement]
    container: HtmlElement
    siblings: bool  # the date may sit after the row element (flat lists: <a>..</a> 2017-10-12<br>)


def _after_text(el: HtmlElement) -> str:
    """Tail and following siblings' text up to the next link or <br> (flat list rows)."""
    parts = [el.tail or ""]
    for sib in el.itersiblings():
        if sib.tag == "br" or sib.tag == "a" or (isinstance(sib.tag, str) and sib.find(".//a") is not None):
            break
        parts.append(_spaced(sib))
        parts.append(sib.tail or "")
    return _collapse(" ".join(parts))


def _row_of(page: _Page, a: HtmlElement) -> tuple[HtmlElement, bool]:
    el, depth = a.getparent(), 0
    while el is not None and depth < 6 and el.tag not in _CONTAINER_TAGS:
        if el.tag in _ROW_TAGS:
            return (el, False) if page.link_count.get(el, 0) <= 4 else (a, True)
        el, depth = el.getparent(), depth + 1
    cur = a
    for _ in range(4):  # div rows: climb while the parent holds no other link
        parent = cur.getparent()
        if parent is None or parent.tag in _CONTAINER_TAGS or page.link_count.get(parent, 0) > 1:
            break
        cur = parent
    return cur, True


def _rows(page: _Page, scope: HtmlElement) -> list[_Row]:
    rows: dict[HtmlElement, _Row] = {}
    for a in scope.iter("a"):
        if not (a.get("href") or a.get("onclick")):
            continue
        el, siblings = _row_of(page, a)
        if el not in rows:
            container = el.getparent() if el.getparent() is not None else el
            if container.tag in ("tbody", "thead") and container.getparent() is not None:
                container = container.getparent()
            rows[el] = _Row(el, [], container, siblings)
        rows[el].anchors.append(a)
    return list(rows.values())


def _pinned(row: HtmlElement, text: str) -> bool:
    if "置顶" in text or "【顶】" in text or "[顶]" in text:
        return True
    for el in row.iter(etree.Element):
        if _tokens(_attrs(el)) & _PIN_TOKENS:
            return True
        if el.tag == "img" and _PIN_IMG.search(f"{el.get('src') or ''} {el.get('alt') or ''}"):
            return True
    return False


def _item(
    base: str, row: HtmlElement, anchors: Sequence[HtmlElement], today: date, after: str = ""
) -> ListItem | None:
    """A list item from a row element, its links and any text that follows it; None for pager/more links."""
    if not anchors:
        return None

    def weight(a: HtmlElement) -> int:
        return max(len(_text(a)), len(_collapse(a.get("title"))))

    a = max(anchors, key=weight)
    visible, attr_title = _text(a), _collapse(a.get("title"))
    if _PAGER_TEXT.match(visible) or (_more_text(a) is not None and not attr_title):
        return None
    url = _anchor_url(base, a)
    rest = _spaced(row, skip=a) if row is not a else ""
    found = parse_date(_collapse(f"{rest} {after}"), today)
    if found is None:  # <a><span>title</span><span>2017-10-12</span></a>
        for child in a.iterdescendants(etree.Element):
            child_text = _text(child)
            if 0 < len(child_text) <= 24 and (found := parse_date(_spaced(child), today)):
                visible = _collapse(visible.replace(child_text, " "))
                break
    if found is None and url:
        found = date_from_url(url, today)
    shown = visible.rstrip(".…")  # list templates cut long titles: 关于印发…的通知...
    title = attr_title if attr_title.startswith(shown) or len(attr_title) > len(shown) else visible
    title = _collapse(_PIN_TEXT.sub(" ", title))
    return ListItem(title=title, url=url, date=found, pinned=_pinned(row, _text(row)))


def _row_item(page: _Page, row: _Row, today: date) -> ListItem | None:
    after = _after_text(row.el) if row.siblings else ""
    return _item(page.base, row.el, row.anchors, today, after)


def items_from_fragments(fragments: Sequence[str], page_url: str, today: date) -> list[ListItem]:
    """List items of record fragments fetched separately (a Hanweb dataproxy.jsp answer)."""
    return _fragment_items(page_url, fragments, today)


def _fragment_items(base: str, fragments: Sequence[str], today: date) -> list[ListItem]:
    """Items of datastore records: one row each, parsed like list rows."""
    items = []
    for fragment in fragments:
        body = parse_html(f"<html><body><div>{fragment}</div></body></html>").find("body")
        holder = body[0] if body is not None and len(body) else None
        if holder is None:
            continue
        anchors = [a for a in holder.iter("a") if a.get("href") or a.get("onclick")]
        if item := _item(base, holder, anchors, today):
            items.append(item)
    return items


@dataclass
class _Group:
    region: str
    items: list[ListItem] = field(default_factory=list)

    @property
    def dated(self) -> int:
        return sum(1 for i in self.items if i.date is not None)

    @property
    def articles(self) -> int:
        return sum(1 for i in self.items if i.date is None and _article_like(i.url) and len(i.title) >= 4)

    def qualifies(self) -> bool:
        """Mostly dated rows or links to documents: a list of items, not a menu."""
        dated, articles = self.dated, self.articles
        return (dated >= 1 or articles >= 2) and 2 * (dated + articles) >= len(self.items)

    @property
    def score(self) -> float:
        return (3 * self.dated + self.articles) * (0.6 if self.region == "soft" else 1.0)


def _groups(page: _Page, today: date) -> list[_Group]:
    """Rows grouped by list: rows of one container, and of sibling containers of the same kind."""
    groups: dict[tuple[object, ...], _Group] = {}
    for row in _rows(page, page.body):
        c = row.container
        key: tuple[object, ...] = (
            (c, "flat")
            if row.el is row.anchors[0] and row.siblings
            else (c.getparent(), c.tag, c.get("class"))
        )
        group = groups.setdefault(key, _Group(page.region(c)))
        if page.row_region(row) != "footer" and (item := _row_item(page, row, today)):
            group.items.append(item)
    return list(groups.values())


# --- list pages -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ListPage:
    """What a column page shows."""

    kind: str  # "list", "single" (content page), "empty" (blank), "unknown" (cannot tell: unverified)
    items: tuple[ListItem, ...]
    placeholder: str | None  # placeholder text found in the content area (暂无信息 …), if any
    name: str | None  # column_name()
    next_pages: tuple[str, ...]  # further list pages announced (TRS pager, a plain 下一页 link)
    dataproxy: DataProxyRequest | None  # Hanweb jcms paging request
    frames: tuple[str, ...]  # same-site iframes that may hold the list
    total: int | None = None  # record count the CMS announces (jcms totalRecord), if any
    reason: str = ""  # evidence for the kind: "datastore", "placeholder", "empty container ul.list", ...


def is_placeholder(text: str, placeholders: Sequence[str] = DEFAULT_PLACEHOLDERS) -> bool:
    """Whether a short text is an empty-column placeholder (本栏目暂无信息！, 正在建设中…).

    The text may add a few characters around the phrase; a long text that merely mentions one is not.
    """
    core = re.sub(r"[\s!！。.…~～、，,:：;；()（）【】\[\]\"'“”]+", "", text)
    return any(p in core and len(core) <= len(p) + 20 for p in placeholders if p)


_ZERO_COUNT = re.compile(r"(?:共|总共|总计|合计|记录数?[:：]?)\s*0\s*(?:条|篇|项|个|页)")
_LIST_HINT_SUBSTR = ("list", "news", "article", "content", "liebiao", "record", "result", "item")
_LIST_HINT_TOKENS = frozenset({"lb", "con", "nr", "wz", "xxlb", "wzlb"})
_MEDIA = ("img", "embed", "object", "video", "iframe", "frame", "table", "canvas", "svg", "form", "input")
_DYNAMIC_JS = re.compile(
    r"\$\.(?:ajax|get|post|getJSON|getScript)\s*\(|\.load\s*\(\s*['\"]|\bfetch\s*\(|XMLHttpRequest|\baxios\b"
    r"|jsonp|\.jpage\s*\(|dataproxy|new\s+Vue\b|createApp\s*\(|ReactDOM|angular\.module|\btemplate\s*\(|laypage"
    r"|\.innerHTML\s*=|\.html\s*\(\s*[^)\s]|\.append(?:To)?\s*\(|document\.write(?:ln)?\s*\([^;]*<\s*"
    r"(?:li|a|tr|td|div|ul|table|p|dd|span)\b|location\.(?:href|replace)|window\.location|\beval\s*\(",
    re.IGNORECASE,
)
_DYNAMIC_SRC = re.compile(
    r"list|column|lanmu|ajax|render|vue|react|angular|app[.-]|chunk|bundle|data|jpage|template", re.IGNORECASE
)
_NEXT_TEXT = frozenset({"下一页", "下页", "后一页", "next", "next page", "下一页>", "下一页>>"})


def _dynamic(page: _Page) -> str | None:
    """Why a script might fill the list (an AJAX call, a framework, a suspicious script file), or None."""
    for script in page.scripts:
        if page.region(script.parent) in ("hard", "footer"):
            continue  # header clocks and footer counters
        if script.src:
            name = urlsplit(script.src).path.rsplit("/", 1)[-1]
            if _DYNAMIC_SRC.search(name) and "jquery.min" not in name.lower():
                return f"script {name}"
        elif "createPageHTML" in script.text or "countPage" in script.text:
            continue  # a TRS pager writes page links, not rows (trs_paging reads it)
        elif m := _DYNAMIC_JS.search(script.text):
            return f"script {m.group(0)[:40]}"
    if page.templates or page.root.xpath("//@*[starts-with(name(), 'v-') or starts-with(name(), 'ng-')]"):
        return "template attributes"
    if any("{{" in (t or "") for t in page.body.itertext()):
        return "template text"
    if page.root.xpath("//meta[translate(@http-equiv, 'REFSH', 'refsh')='refresh']"):
        return "meta refresh"
    return None


def _frames(page: _Page) -> list[str]:
    frames = []
    for frame in page.root.iter("iframe", "frame"):
        url = _absolute(page.base, frame.get("src"))
        if url and page.same_site(url) and page.region(frame) not in ("hard", "footer") and url not in frames:
            frames.append(url)
    return frames


def _placeholder(page: _Page, placeholders: Sequence[str]) -> tuple[str | None, set[HtmlElement]]:
    """The first placeholder in the content area, and the elements holding placeholders."""
    found, holders = None, set()
    for node in page.body.xpath(".//text()"):
        owner = node.getparent().getparent() if node.is_tail else node.getparent()
        text = _collapse(node)
        if not text or page.region(owner) != "main":
            continue
        zero = _ZERO_COUNT.search(text)
        if shown := text if is_placeholder(text, placeholders) else zero.group(0) if zero else None:
            found = found or shown
            holders.add(owner)
    for img in page.body.iter("img"):
        alt = _collapse(img.get("alt"))
        if alt and page.region(img) == "main" and is_placeholder(alt, placeholders):
            found = found or alt
    return found, holders


def _main_text_length(page: _Page, skip: set[HtmlElement]) -> int:
    """Non-link characters in the content area (no nav, header, footer, sidebar, breadcrumb, placeholder)."""
    total = 0
    for node in page.body.xpath(".//text()[not(ancestor::a)]"):
        owner = node.getparent().getparent() if node.is_tail else node.getparent()
        if owner in skip or page.region(owner) != "main":
            continue
        total += len(re.sub(r"\s+", "", node))
    return total


def _empty_container(page: _Page) -> str | None:
    """A list-looking container in the content area with no links, text or media in it."""
    for el in page.body.iter("ul", "ol", "div", "table", "tbody", "dl", "section", "article"):
        if (
            page.region(el) == "main"
            and _attrs(el).strip()
            and _hinted(el, _LIST_HINT_SUBSTR, _LIST_HINT_TOKENS)
            and page.link_count.get(el, 0) == 0
            and len(re.sub(r"\s+", "", "".join(el.itertext()))) <= 20
            and not any(media is not el for media in el.iter(*_MEDIA))
        ):
            attr = (el.get("id") and f"#{el.get('id')}") or f".{_collapse(el.get('class')).replace(' ', '.')}"
            return f"{el.tag}{attr}"
    return None


def _media_in_main(page: _Page) -> bool:
    """Content images, embedded documents or video: a single page the text measure cannot see."""
    for el in page.body.iter("img", "embed", "object", "video"):
        src = (el.get("src") or el.get("data") or "").lower()
        parent = el.getparent()
        if (
            page.region(el) == "main"
            and parent is not None
            and parent.tag != "a"
            and not re.search(r"icon|arrow|dot|bg|line|spacer|blank|logo|banner|title|more|bullet", src)
        ):
            return True
    return False


def _next_links(page: _Page) -> list[str]:
    links = []
    if page.trs is not None:
        links.extend(paging_urls(page.trs, page.page_url))
    for a in page.anchors:
        if _text(a).lower() in _NEXT_TEXT:
            url = _anchor_url(page.base, a)
            if url and page.same_site(url) and url != page.page_url and url not in links:
                links.append(url)
    return links


def _datastore_for(page: _Page) -> Datastore | None:
    """The jcms datastore of this column's unit (the dataproxy's unitid, else the one with most records)."""
    stores = []
    for store in page.datastores:
        holder = page.root.get_element_by_id(store.unit, None) if store.unit else None
        if page.region(holder) not in ("hard", "footer"):
            stores.append(store)
    unit = page.dataproxy.params.get("unitid") if page.dataproxy else None
    for store in stores:
        if unit and store.unit == unit:
            return store
    return max(stores, key=lambda s: len(s.records), default=None)


def analyse_list_page(
    html: str, page_url: str, today: date, placeholders: Sequence[str] = DEFAULT_PLACEHOLDERS
) -> ListPage:
    """Read a column page: its items, or why it has none.

    Items come from a Hanweb datastore or InitData array when the page has one, else from the best list
    on the page: a container whose rows are mostly dated or link to documents, outside header, nav,
    breadcrumb and footer (sidebar lists only when they outscore the content area). Without items the page
    is "single" when its content area has at least ``SINGLE_MIN_CHARS`` of text (or content media),
    "unknown" when a script, template, frame, unread datastore or pager could hold the list, "empty" when
    a placeholder (``is_placeholder``, 共0条), an empty jcms datastore (totalRecord 0) or an empty list
    container is all there is, and "unknown" otherwise.
    """
    return _analyse(_Page(html, page_url), today, placeholders)


def _analyse(page: _Page, today: date, placeholders: Sequence[str]) -> ListPage:
    name = _column_name(page)
    frames = tuple(_frames(page))
    next_pages = tuple(_next_links(page))
    proxy = page.dataproxy
    store = _datastore_for(page)
    total = proxy.total if proxy and proxy.total is not None else store.total if store else None
    placeholder, holders = _placeholder(page, placeholders)

    def result(kind: str, items: Sequence[ListItem] = (), reason: str = "") -> ListPage:
        return ListPage(kind, tuple(items), placeholder, name, next_pages, proxy, frames, total, reason)

    if store is not None and store.records:
        return result("list", _fragment_items(page.base, store.records, today), "datastore")
    if page.initdata:
        return result("list", _fragment_items(page.base, page.initdata, today), "initdata")
    candidates = [g for g in _groups(page, today) if g.region in ("main", "soft") and g.qualifies()]
    best = max(candidates, key=lambda g: g.score, default=None)
    if best is not None and not (best.region == "soft" and placeholder):
        return result("list", best.items, f"{best.region} list")
    if _main_text_length(page, holders) >= SINGLE_MIN_CHARS:
        return result("single", reason="content text")
    if store is not None and total == 0:
        return result("empty", reason="datastore totalrecord 0")
    uncertain = (
        (store is not None and "datastore without records")
        or (proxy is not None and "dataproxy")
        or (frames and "frames")
        or (page.trs is not None and page.trs.count > 1 and "pager")
        or _dynamic(page)
    )
    if uncertain:
        return result("unknown", reason=str(uncertain))
    if placeholder:
        return result("empty", reason="placeholder")
    if _media_in_main(page):
        return result("single", reason="content media")
    if container := _empty_container(page):
        return result("empty", reason=f"empty container {container}")
    return result("unknown", reason="no list found")


def newest_date(items: Sequence[ListItem]) -> date | None:
    """The newest item date: the maximum, so pinned old rows at the top do not hide newer ones."""
    return max((i.date for i in items if i.date is not None), default=None)


def homepage_newest_date(html: str, page_url: str, today: date) -> tuple[date | None, int]:
    """Newest dated item on a homepage and how many distinct dated items it shows.

    Every linked row outside the footer counts (blocks show month-day dates; the year comes from ``today``),
    plus Hanweb datastore records.
    """
    page = _Page(html, page_url)
    seen: dict[tuple[str | None, str], date] = {}
    for row in _rows(page, page.body):
        if page.row_region(row) != "footer" and (item := _row_item(page, row, today)) and item.date:
            seen.setdefault((item.url, item.title), item.date)
    for store in page.datastores:
        for item in _fragment_items(page.base, store.records, today):
            if item.date:
                seen.setdefault((item.url, item.title), item.date)
    return max(seen.values(), default=None), len(seen)


# --- column discovery -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ColumnLink:
    """A candidate column found on a page."""

    name: str  # link or heading text, whitespace collapsed
    url: str  # absolute, no fragment
    how: str  # "nav", "block", "sidebar", "breadcrumb" (discover_columns); "meta", "list" (page_as_column)


_NOT_COLUMNS = frozenset(
    {
        "首页", "网站首页", "返回首页", "主页", "home", "index", "登录", "登陆", "注册", "用户登录", "用户注册",
        "无障碍", "无障碍浏览", "无障碍阅读", "繁体", "繁體", "简体", "繁体版", "简体版", "繁體版", "english",
        "网站地图", "站点地图", "设为首页", "加入收藏", "收藏本站", "手机版", "移动版", "长者模式", "关怀版",
        "适老化", "老年模式", "退出", "搜索", "高级搜索", "打印", "打印本页", "关闭", "关闭窗口", "返回顶部", "rss",
        "wap", "更多",
    }
)  # fmt: skip
_NOT_COLUMN_PARTS = ("无障碍", "english", "繁體", "繁体", "登录", "手机版")
_DATEISH = re.compile(r"\d{2,4}[-/.年]\d{1,2}|\d{1,2}[-月]\d{1,2}")
_HOME_PATH = re.compile(r"^/?(?:(?:index|default|main)\.\w+)?$", re.IGNORECASE)
_TITLE_SUBSTR = ("title", "tit", "biaoti", "lmmc", "lmbt", "caption", "hd_", "_hd")
_TITLE_TOKENS = frozenset({"hd", "bt", "lm", "tab", "tabs", "name", "lanmu"})


def _good_name(name: str) -> bool:
    low = name.lower()
    return (
        2 <= len(name) <= 20
        and low not in _NOT_COLUMNS
        and not any(p in low for p in _NOT_COLUMN_PARTS)
        and not _PAGER_TEXT.match(name)
        and not _DATEISH.search(name)
        and re.search(r"[\u4e00-\u9fffA-Za-z]", name) is not None
    )


def _titleish(el: HtmlElement, levels: int = 2) -> bool:
    cur: HtmlElement | None = el
    for _ in range(levels + 1):
        if cur is None:
            return False
        if cur.tag in ("h1", "h2", "h3", "h4", "h5", "h6") or (
            _attrs(cur).strip() and _hinted(cur, _TITLE_SUBSTR, _TITLE_TOKENS)
        ):
            return True
        cur = cur.getparent()
    return False


def _block_name(page: _Page, more: HtmlElement) -> str | None:
    """The title of the homepage block a 更多>> link belongs to."""
    embedded = _more_text(more)
    if embedded:
        return embedded
    node = more
    for _ in range(4):
        parent = node.getparent()
        if parent is None or parent is page.body:
            return None
        others = [a for a in parent.iter("a") if a is not more and _more_text(a) is not None]
        if others and node is not more:
            return None  # climbed into a wrapper of several blocks
        fallback = None
        for el in parent.iter(etree.Element):
            if el is more or more in el.iterancestors() or el in more.iterancestors():
                continue
            own = _text(el) if el.tag == "a" or _titleish(el, 0) else _collapse(el.text)
            if not _good_name(own) or len(own) > 16 or (el.tag == "a" and _more_text(el) is not None):
                continue
            if _titleish(el):
                return own
            in_row = any(anc.tag in _ROW_TAGS for anc in el.iterancestors() if parent in anc.iterancestors())
            if fallback is None and not in_row and el.tag not in _ROW_TAGS:
                fallback = own
        if fallback:
            return fallback
        node = parent
    return None


def discover_columns(html: str, page_url: str) -> list[ColumnLink]:
    """Candidate columns linked from a page, first occurrence of each URL winning, in this order.

    - ``nav``: links in header navigation (``<nav>``, class/id nav/menu/dh), not in the footer;
    - ``block``: homepage blocks: a 更多/more/>> link (URL) with its block's title (name), and short
      links inside block titles or tabs (h1-h6, class title/tit/hd/bt/tab);
    - ``sidebar``: short non-item links in left/side/sub lists (二级栏目);
    - ``breadcrumb``: the links of the page's breadcrumb.

    A page can also be a column itself, linked from nowhere these look: see ``page_as_column``.

    Skipped: javascript/mailto links, other hosts (``www.`` ignored), the homepage, files, dated item rows,
    names that are not columns (首页/home, 登录, 注册, 无障碍, 繁体/简体, English, 网站地图, 设为首页,
    加入收藏, 手机版, 关怀版, 搜索, 打印, 关闭 …) and names longer than 20 characters.
    """
    page = _Page(html, page_url)
    found: dict[str, ColumnLink] = {}

    def add(name: str, a: HtmlElement | None, how: str, url: str | None = None) -> None:
        url = url or (_anchor_url(page.base, a) if a is not None else None)
        name = _collapse(name)
        if not url or not page.same_site(url) or not _good_name(name):
            return
        parts = urlsplit(url)
        if (_HOME_PATH.match(parts.path) and not parts.query) or _FILE_EXT.search(parts.path):
            return
        found.setdefault(url, ColumnLink(name, url, how))

    def name_of(a: HtmlElement) -> str:
        return (
            _text(a) or _collapse(a.get("title")) or " ".join(_collapse(i.get("alt")) for i in a.iter("img"))
        )

    def dated_row(a: HtmlElement) -> bool:
        row, siblings = _row_of(page, a)
        return bool(_DATEISH.search(_spaced(row, skip=a) + (_after_text(row) if siblings else "")))

    anchors = [a for a in page.anchors if page.region(a) != "footer"]
    for a in anchors:
        bits = page.bits(a)
        if bits & _NAV and not bits & _SOFT:
            add(name_of(a), a, "nav")
    for a in anchors:
        if _more_text(a) is not None and (name := _block_name(page, a)):
            add(name, a, "block")
        elif _titleish(a) and not _article_like(_anchor_url(page.base, a)) and not dated_row(a):
            add(name_of(a), a, "block")
    for a in anchors:
        if page.bits(a) & _SOFT and not dated_row(a) and len(name_of(a)) <= 16:
            add(name_of(a), a, "sidebar")
    if page.crumb is not None:
        for a in page.crumb.iter("a"):
            add(name_of(a), a, "breadcrumb")
    return list(found.values())


# --- a page that is a column itself ----------------------------------------------------------------------

# Metas of article pages (TRS, Hanweb and most CMSs write them on articles; column pages carry ColumnName only).
_ARTICLE_METAS = frozenset(
    {"articletitle", "contentsource", "pubdate", "firstpublishedtime", "publishdate", "articlepublishdate",
     "article:published_time", "article:author"}
)  # fmt: skip
NOT_A_COLUMN_CRUMB = frozenset({"正文", "详情", "内容", "正文内容", "文章", "阅读", "详细内容", "信息详情", "查看"})
_PAGER_FILE = re.compile(r"_\d+\.\w+$")  # index_1.html, list_2.shtml: a later page of some list
_PAGER_QUERY = re.compile(
    r"(?:^|&)(?:page|pageno|pagenum|pageindex|pn|curpage|currentpage|startrecord|start|offset)=", re.IGNORECASE
)
_TITLE_PARTS = re.compile(r"\s*[-_|—–·:：>＞»]+\s*|\s{2,}")
_SITE_WORDS = ("政府", "网站", "门户", "人民", "官网", "官方")
LIST_MIN_DATED = 3  # dated rows that make a page without a ColumnName meta a list column


def _is_article(page: _Page) -> bool:
    """Article metas, or a breadcrumb that ends in 正文/详情: a document page, whatever else it shows."""
    for meta in page.root.iter("meta"):
        name = (meta.get("name") or meta.get("property") or "").strip().lower()
        if name in _ARTICLE_METAS and _collapse(meta.get("content")):
            return True
    crumb = _crumb_tail(page)
    return crumb in NOT_A_COLUMN_CRUMB


def _crumb_tail(page: _Page) -> str | None:
    """The breadcrumb's last element, 正文 included (breadcrumb() drops a trailing 正文 label)."""
    elements = _crumb_elements(page.crumb) if page.crumb is not None else []
    return elements[-1] if elements else None


def _title_name(page: _Page) -> str | None:
    """The column's name from ``<title>`` (部门动态_丙县人民政府 → 部门动态), skipping the site's name."""
    title = page.root.find(".//title")
    for part in _TITLE_PARTS.split(_text(title) if title is not None else ""):
        if _good_name(part) and not any(word in part for word in _SITE_WORDS):
            return part
    return None


def _hub(page: _Page) -> bool:
    """Several blocks with their own 更多>> links: a homepage or a section hub, not one column."""
    more = (a for a in page.anchors if page.region(a) != "footer" and _more_text(a) is not None)
    return len(list(islice(more, 2))) == 2


def _link_text_length(items: Sequence[ListItem]) -> int:
    return sum(len(re.sub(r"\s+", "", item.title)) for item in items)


def might_be_column(html: str, page_url: str) -> bool:
    """Cheap pre-check for ``page_as_column`` (most pages fail it without being parsed).

    Not the homepage, not a document URL, not a later list page; and a ColumnName meta, or at least
    ``LIST_MIN_DATED`` full dates (2017-10-12, 2017年10月12日, 2017/10/12) or TRS date URLs (t20171012_).
    """
    parts = urlsplit(page_url)
    if (
        _article_like(page_url)
        or _PAGER_FILE.search(parts.path)
        or _PAGER_QUERY.search(parts.query)
        or (_HOME_PATH.match(parts.path) and not parts.query)
    ):
        return False
    if _COLUMN_META.search(html):
        return True
    dates = 0
    for match in _FULL_DATE.finditer(html):
        if match.start() == 0 or html[match.start() - 1] not in "0123456789.":  # not 12017-10-12 or v1.2017
            dates += 1
            if dates >= LIST_MIN_DATED:
                return True
    return False


_COLUMN_META = re.compile(r"""name\s*=\s*["']?columnname""", re.IGNORECASE)
_FULL_DATE = re.compile(  # no lookbehind: it would disable the regex engine's fast scan (3x slower)
    r"(?:19|20)\d\d(?:\s*[-/.年]\s*(?:0?[1-9]|1[0-2])\s*[-/.月]\s*(?:0?[1-9]|[12]\d|3[01])(?!\d)"
    r"|(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])_)"
)


def page_as_column(
    html: str, page_url: str, today: date, placeholders: Sequence[str] = DEFAULT_PLACEHOLDERS
) -> tuple[ColumnLink, ListPage] | None:
    """The page itself as a column, for column pages that no menu, block, sidebar or breadcrumb links to.

    - ``meta``: the page declares ``<meta name="ColumnName">`` and is not an article. TRS and Hanweb write
      ColumnName on articles too, so articles are told apart first: article metas (ArticleTitle, PubDate,
      ContentSource …), a breadcrumb ending in 正文/详情, a document URL (t20171012_1.html, art_…,
      content_…), or, with no list on the page, a labelled publication date (发布时间：…).
    - ``list``: no such meta, but the page's main content is a list (list detection): at least
      ``LIST_MIN_DATED`` dated rows in the content area (or a Hanweb datastore), more title text than other
      text in the content area, no labelled publication date, named by its breadcrumb or ``<title>``.

    Never a column: the homepage, later pages of a list (index_1.html, ?page=2), hubs with several 更多
    blocks. Returns the column and the analysed page (the caller reads the column from it).
    """
    if not might_be_column(html, page_url):
        return None
    page = _Page(html, page_url)
    if _is_article(page) or _hub(page):
        return None
    listing = _analyse(page, today, placeholders)
    url = _absolute(page_url, page_url) or page_url
    meta = _meta_column_name(page)
    if meta:
        if not _good_name(meta) or (listing.kind != "list" and article_pubdate(html, today) is not None):
            return None
        return ColumnLink(meta, url, "meta"), listing
    if listing.kind != "list" or listing.reason == "soft list" or article_pubdate(html, today) is not None:
        return None
    dated = sum(1 for item in listing.items if item.date is not None)
    if listing.reason == "main list" and (
        dated < LIST_MIN_DATED or _main_text_length(page, set()) > _link_text_length(listing.items)
    ):
        return None
    crumbs = _crumb_parts(page.crumb) if page.crumb is not None else []
    name = crumbs[-1] if crumbs and _good_name(crumbs[-1]) else _title_name(page)
    return (ColumnLink(name, url, "list"), listing) if name else None


# --- categories -----------------------------------------------------------------------------------------


def category_for(
    name: str, keywords: Mapping[str, Sequence[str]] = DEFAULT_CATEGORY_KEYWORDS
) -> ColumnCategory:
    """The category whose keyword occurs in the column name; the longest matching keyword wins.

    So 政策解读 (notice_policy) beats 动态 (news) in 政策解读动态, and 计划生育 (other) beats 计划. Ties go to
    the category listed first. No match: ``ColumnCategory.OTHER``.

    Raises:
        ValueError: a key of ``keywords`` is not a ColumnCategory value.
    """
    best: tuple[int, ColumnCategory] = (0, ColumnCategory.OTHER)
    text = "".join(name.split())
    for key, words in keywords.items():
        category = ColumnCategory(key)
        for word in words:
            if word and word in text and len(word) > best[0]:
                best = (len(word), category)
    return best[1]
