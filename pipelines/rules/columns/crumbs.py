"""Breadcrumbs (当前位置：首页 > 政务公开 > 通知公告): find the element and read its elements.

Pure functions over lxml elements; no settings.
"""

from __future__ import annotations

import re

from lxml import etree
from lxml.html import HtmlElement

from pipelines.rules.columns.dom import _attrs, _collapse, _hinted, _text

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
