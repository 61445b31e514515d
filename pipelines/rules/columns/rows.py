"""List rows: the items (title, URL, date, 置顶) of a column list, grouped by the list they belong to.

Pure (lxml); ``today`` is passed in. No settings.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from lxml import etree
from lxml.html import HtmlElement

from pipelines.rules.cms import parse_html
from pipelines.rules.columns.dom import (
    _PAGER_TEXT,
    _anchor_url,
    _attrs,
    _collapse,
    _more_text,
    _spaced,
    _text,
    _tokens,
)
from pipelines.rules.columns.page import _ROW_TAGS, _Page
from pipelines.rules.dates import date_from_url, parse_date
from pipelines.rules.urls import is_article_url


@dataclass(frozen=True)
class ListItem:
    """One row of a column list."""

    title: str
    url: str | None  # None when the row links through script we cannot resolve
    date: date | None  # from the row text, else from the item URL
    pinned: bool  # 置顶


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


# A flat row's date sits right by its link (``<a>…</a> (2017-10-12)<br>``); text further away is the page's prose,
# whose dates are not the row's. Reading at most this much keeps a link before a long article linear.
_NEAR_CHARS = 200
_CUT_TOKEN = re.compile(r"[\d\-/.:年月日号]+$")  # a date cut in two is no date
_CUT_HEAD = re.compile(r"^[\d\-/.:年月日号]+")


def _flat_siblings(el: HtmlElement, *, preceding: bool, size: int = 0) -> tuple[list[str], bool]:
    """The text of each sibling on one side of a flat row (its own text, then its tail), nearest first, up to
    the next link or <br> and about _NEAR_CHARS (``size``: characters already read); and whether the walk
    reached the end of the parent (neither a link, a <br> nor the bound stopped it)."""
    texts: list[str] = []
    for sib in el.itersiblings(preceding=preceding):
        if (
            size > _NEAR_CHARS
            or sib.tag == "br"
            or sib.tag == "a"
            or (isinstance(sib.tag, str) and sib.find(".//a") is not None)
        ):
            return texts, False
        own, tail = _spaced(sib), sib.tail or ""
        texts.append(f"{own} {tail}")
        size += len(own) + len(tail)
    return texts, True


def _after_text(el: HtmlElement) -> str:
    """Tail and following siblings' text up to the next link or <br> (flat list rows), at most _NEAR_CHARS."""
    tail = el.tail or ""
    text = _collapse(" ".join([tail, *_flat_siblings(el, preceding=False, size=len(tail))[0]]))
    return text if len(text) <= _NEAR_CHARS else _CUT_TOKEN.sub("", text[:_NEAR_CHARS])


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
        href = a.get("href") or a.get("onclick")
        if not href or "{{" in href or page.templated(a):
            continue  # a template row ({{el.url}}) is no item: a script fills it, or nothing does
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


def _before_text(el: HtmlElement) -> str:
    """Text between the previous link or <br> and a flat list row (``<span>[05-30]</span> <a>…</a><br>``)."""
    texts, whole = _flat_siblings(el, preceding=True)
    if whole:
        parent = el.getparent()
        texts.append(parent.text or "" if parent is not None else "")
    text = _collapse(" ".join(reversed(texts)))
    return text if len(text) <= _NEAR_CHARS else _CUT_HEAD.sub("", text[-_NEAR_CHARS:])


def _row_item(page: _Page, row: _Row, today: date) -> ListItem | None:
    if not row.siblings:
        return _item(page.base, row.el, row.anchors, today)
    after = _after_text(row.el)
    # A flat row's date follows its title, or, when nothing does up to the <br>, comes before it.
    if parse_date(after, today) is None and (before := _before_text(row.el)):
        after = f"{after} {before}"
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
        return sum(1 for i in self.items if i.date is None and is_article_url(i.url) and len(i.title) >= 4)

    def qualifies(self) -> bool:
        """Mostly dated rows or links to documents: a list of items, not a menu."""
        dated, articles = self.dated, self.articles
        return (dated >= 1 or articles >= 2) and 2 * (dated + articles) >= len(self.items)

    @property
    def score(self) -> float:
        return (3 * self.dated + self.articles) * (0.6 if self.region == "soft" else 1.0)


def _wrapper(container: HtmlElement) -> HtmlElement:
    """The outermost element wrapping only ``container``: TRS templates put every 5 rows of one list in a
    ``<div ms-visible="$showStatic(N)"><ul>`` of their own, so the list is the wrappers' siblings."""
    wrapper = container
    for _ in range(3):
        parent = wrapper.getparent()
        if (
            parent is None
            or parent.tag in ("body", "html")
            or len(parent) != 1
            or _text_outside(parent, wrapper)
        ):
            break
        wrapper = parent
    return wrapper


def _text_outside(parent: HtmlElement, child: HtmlElement) -> bool:
    return bool((parent.text or "").strip() or (child.tail or "").strip())


def _groups(page: _Page, today: date) -> list[_Group]:
    """Rows grouped by list: rows of one container, and of sibling containers of the same kind (also when
    each container sits alone in a wrapper of its own, as TRS's paged blocks do)."""
    groups: dict[tuple[object, ...], _Group] = {}
    for row in _rows(page, page.body):
        c = row.container
        w = _wrapper(c) if c.tag not in ("body", "html") else c
        key: tuple[object, ...] = (
            (c, "flat")
            if row.el is row.anchors[0] and row.siblings
            else (w.getparent(), w.tag, w.get("class"), c.tag, c.get("class"))
        )
        group = groups.setdefault(key, _Group(page.region(c)))
        if page.row_region(row) != "footer" and (item := _row_item(page, row, today)):
            group.items.append(item)
    return list(groups.values())
