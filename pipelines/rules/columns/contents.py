"""What a column page's content area holds besides a list: placeholders, text, media, frames, scripts.

Pure (lxml); no settings. These decide between an empty, a single-page and an unreadable (unknown) column.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from urllib.parse import urlsplit

from lxml.html import HtmlElement

from pipelines.rules.columns.dom import _absolute, _attrs, _collapse, _hinted
from pipelines.rules.columns.page import _Page

DEFAULT_PLACEHOLDERS: tuple[str, ...] = (
    "该栏目暂无信息", "本栏目暂无信息", "暂无信息", "暂无内容", "暂无数据", "暂无记录", "暂无文章", "暂无新闻",
    "暂无公告", "暂无通知", "暂无相关信息", "暂无相关内容", "暂无公开信息", "暂无更新", "没有记录", "没有信息",
    "没有数据", "无相关信息", "无记录", "正在建设中", "栏目建设中", "正在更新中", "信息整理中",
    "内容整理中", "正在完善中", "敬请期待",
)  # fmt: skip


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
    if page.templates or page.root.xpath(
        "//@*[starts-with(name(), 'v-') or starts-with(name(), 'ng-') or starts-with(name(), 'ms-')]"
    ):
        return "template attributes"
    if any("{{" in (t or "") for t in page.body.itertext()):
        return "template text"
    if page.root.xpath("//meta[translate(@http-equiv, 'REFSH', 'refsh')='refresh']"):
        return "meta refresh"
    return None


_CONDITIONAL_ATTRS = frozenset(
    {
        "ms-visible",
        "ms-if",
        "v-if",
        "v-else",
        "v-else-if",
        "v-show",
        "ng-if",
        "ng-show",
        "ng-hide",
        "x-show",
        "x-if",
    }
)
_HIDDEN = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)


def _conditional(el: HtmlElement) -> bool:
    """Whether ``el`` (or an ancestor) is hidden or shown only on a template's condition."""
    for node in (el, *el.iterancestors()):
        if node.get("hidden") is not None or _HIDDEN.search(node.get("style") or ""):
            return True
        if any(name in _CONDITIONAL_ATTRS or name.startswith(":v-") for name in node.attrib):
            return True
    return False


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
            if _conditional(owner):
                continue  # a template's hidden "no data" branch (ms-visible, v-if) speaks for no other row
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
