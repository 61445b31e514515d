"""Element helpers of the column modules: text as a title reads it, class/id hints, hrefs, 更多 and pager links.

Pure functions over lxml elements; no settings.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from urllib.parse import urljoin, urlsplit, urlunsplit

from lxml.html import HtmlElement


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
