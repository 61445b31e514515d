"""Soft-404 detection: HTTP 200 pages that say the content is gone, error-page URLs, homepage redirects.

Pure functions (lxml only); no settings.
"""

from __future__ import annotations

import re
import unicodedata
from posixpath import splitext
from urllib.parse import unquote, urlsplit

import lxml.etree
import lxml.html

__all__ = [
    "SOFT_404_PHRASES",
    "error_page_evidence",
    "is_error_url",
    "looks_like_error_page",
    "redirected_to_homepage",
]

SOFT_404_PHRASES: tuple[str, ...] = (
    "您访问的页面不存在或已被删除",
    "您访问的页面不存在",
    "您所访问的页面不存在",
    "您要访问的页面不存在",
    "您访问的页面找不回来了",
    "您访问的页面走丢了",
    "页面不存在或已被删除",
    "页面不存在或已删除",
    "页面不存在",
    "页面已不存在",
    "网页不存在",
    "页面未找到",
    "页面没有找到",
    "页面找不到了",
    "页面走丢了",
    "找不到该页面",
    "无法找到该页",
    "该页面已删除",
    "该页面已被删除",
    "页面已被删除",
    "抱歉，您访问的页面",
    "文章不存在",
    "该文章不存在",
    "信息不存在或已删除",
    "信息不存在或已被删除",
    "该信息不存在",
    "信息已被删除",
    "您访问的信息不存在",
    "您要查看的信息不存在",
    "内容不存在或已删除",
    "栏目不存在",
    "文件不存在",
    "附件不存在",
    "找不到文件或目录",
    "404 Not Found",
    "Page Not Found",
    "HTTP Status 404",
    "File or directory not found",
    "The requested URL was not found",
    "The page you requested does not exist",
    "Page does not exist",
)

# Error pages put the phrase first in a title, heading or block of its own ("抱歉，您访问的页面不存在！"),
# while an article quotes it inside a sentence. A message may go on for a few characters ("...不存在啦"),
# or further only with the usual directions (返回首页, 3秒后跳转, 请检查网址): "页面不存在问题整改" is a headline.
_EXACT_EXTRA, _CUED_EXTRA = 3, 24
_CUE = re.compile(
    r"返回|首页|跳转|检查|网址|地址|链接|输入|刷新|重试|再试|稍后|管理员|联系|秒|点击|home|back|check|url"
)
# Normalised text outside links: error templates carry a header and footer of a few hundred characters;
# a page with more own text is real content whatever it says (a title or heading allows more template).
_LONG_CONTENT, _TEMPLATE_CONTENT, _TINY_CONTENT = 1200, 400, 60

_TITLE_SEPARATORS = re.compile(r"[-|_—–·:：]+|\s{2,}")
_BARE_404_TITLE = re.compile(r"(error|http)?404(error|错误|页面|notfound|page)?|错误404")
_LEAD_IN = re.compile(
    r"^((很|非常)?抱歉|对不起|sorry|oops|哎呀|啊哦|error|http|404|错误|(温馨|系统)?提示(信息)?|出错了|(很)?遗憾|该|此|当前)*"
)
_DROP_TAGS = ("script", "style", "noscript", "template", "iframe", "object", "select", "textarea")
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)
_HIDDEN_CLASSES = frozenset({"hide", "hidden", "d-none", "is-hidden"})
_BLOCK_TAGS = (
    *("p", "div", "span", "td", "th", "li", "dd", "dt", "h4", "h5", "h6", "strong", "b", "em", "font"),
    *("center", "section", "article", "main", "label"),
)

_ERROR_SEGMENT = re.compile(
    r"(error[-_]?)?404([-_]?(error|page|not[-_]?found))?|error(s|page|[-_]page)?|(page[-_]?)?not[-_]?found"
    r"|no[-_]?page|page[-_]?not[-_]?exists?|not[-_]?exists?|errpage|err404"
)
_ERROR_QUERY = re.compile(
    r"(^|&)(aspxerrorpath|errorpath|errpath)=|(^|&)(error|err|code|status)=404(&|$)", re.IGNORECASE
)
_INDEX_FILE = re.compile(r"(index|default|main|home)\.(s?html?|jsp|php|aspx?|do)", re.IGNORECASE)


def _norm(text: str) -> str:
    """Fold width and case and drop whitespace and punctuation, so phrases match however they are typeset."""
    folded = unicodedata.normalize("NFKC", text).lower()
    return "".join(ch for ch in folded if unicodedata.category(ch)[0] not in "PZSC")


def phrase_table(phrases: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    """(normalised key, phrase) pairs, longest key first, for ``_lead_phrase``."""
    return tuple(sorted(((_norm(p), p) for p in phrases), key=lambda pair: -len(pair[0])))


_PHRASES = phrase_table(SOFT_404_PHRASES)


def _lead_phrase(text: str, table: tuple[tuple[str, str], ...] = _PHRASES) -> tuple[str, bool] | None:
    """Return (phrase, exact) when ``text`` is a message opening with a phrase of ``table``, else None."""
    squeezed = "".join(text.split())
    if len(squeezed) > 2 * (len(table[0][0]) + _CUED_EXTRA) + 10:  # cheap bound before the per-character fold
        return None
    norm = _norm(squeezed)
    rest = norm[_LEAD_IN.match(norm).end() :]  # type: ignore[union-attr]  # the pattern always matches
    for key, phrase in table:
        for candidate in (norm, rest):
            if not candidate.startswith(key):
                continue
            tail = candidate[len(key) :]
            if len(tail) <= _EXACT_EXTRA:
                return phrase, True
            if len(tail) <= _CUED_EXTRA and _CUE.search(tail):
                return phrase, False
    return None


def _any_phrase(norm: str) -> str | None:
    """A phrase anywhere in ``norm``, except the one that does not itself say the page is gone."""
    return next((phrase for key, phrase in _PHRASES if key in norm and phrase != "抱歉，您访问的页面"), None)


def _is_hidden(el: lxml.html.HtmlElement) -> bool:
    if el.get("hidden") is not None or _HIDDEN_STYLE.search(el.get("style") or ""):
        return True
    return bool(_HIDDEN_CLASSES.intersection((el.get("class") or "").lower().split()))


def _parse(html: str) -> lxml.html.HtmlElement | None:
    if not html or not html.strip():
        return None
    try:
        root = lxml.etree.fromstring(html.encode("utf-8", "replace"), lxml.html.HTMLParser(encoding="utf-8"))
    except (lxml.etree.LxmlError, ValueError):
        return None
    return root if isinstance(root, lxml.html.HtmlElement) else None


# Every phrase, bare 404 title and lead-in above contains one of these hints once whitespace and &nbsp;
# are squeezed out (页 面 不 存 在 too): a page without any cannot be an error page, and most pages are ruled
# out unparsed. Plain substring and case-sensitive searches: an IGNORECASE alternation over a 15 KB page
# costs ~1 ms, ten times more (measured).
_CJK_HINTS = re.compile(r"不存在|找不|走丢|未找到|没有找到|无法找到|删除|抱歉|错误|４０４|ｎｏｔ|ＮＯＴ")
_ENGLISH_HINTS = ("otFound", "otfound", "OTFOUND", "otExist", "otexist", "OTEXIST")  # (n)ot found, squeezed
_NBSP = re.compile(r"&nbsp;|&#0*160;|&#x0*a0;", re.IGNORECASE)
_ALWAYS_PARSE_BELOW = 512  # tiny pages are parsed anyway: markup tricks (不<b>存</b>在) cost nothing there


def _may_be_error(html: str) -> bool:
    text = "".join(html.split())
    if "&" in text:
        text = _NBSP.sub("", text)
    if _CJK_HINTS.search(text) or any(hint in text for hint in _ENGLISH_HINTS):
        return True
    at = text.find("404")
    while at >= 0:  # 404 on its own, not in 1404, /404.html or 2.404
        end = at + 3
        if (at == 0 or text[at - 1] not in "0123456789/.") and not text[end : end + 1].isdigit():
            return True
        at = text.find("404", end)
    return False


def error_page_evidence(html: str) -> str | None:
    """Explain why ``html`` is an error page ("title says '页面不存在'"), or return None for a real page.

    A phrase counts where error pages put it: opening the title, a heading or a block of its own, followed
    by little or only by directions (返回首页), on a page with little other text; or anywhere in a page
    with almost no text. Scripts, styles, hidden elements and link text are ignored, and a page with a
    lot of text outside links is never an error page.
    """
    if len(html) >= _ALWAYS_PARSE_BELOW and not _may_be_error(html):
        return None
    read = message_places(html)
    if read is None:
        return None
    content, titles, places = read
    for where, text in places:
        if (found := _lead_phrase(text)) is None:
            continue
        phrase, exact = found
        if len(content) < (_LONG_CONTENT if exact and where != "short block" else _TEMPLATE_CONTENT):
            return f"{where} says {phrase!r}"
    if bare := next((t for t in titles if _BARE_404_TITLE.fullmatch(_norm(t))), None):
        return f"title is {bare.strip()!r}"
    if len(content) <= _TINY_CONTENT and (anywhere := _any_phrase(content)):
        return f"nearly empty page says {anywhere!r}"
    return None


def message_places(html: str) -> tuple[str, list[str], list[tuple[str, str]]] | None:
    """Where a page states a message: (normalised own text, title parts, [(place, text)]), or None.

    None for an unparsable page and for one with a lot of text outside links (real content). Scripts,
    styles, hidden elements and links are dropped; the places are the title parts, h1-h3 and short blocks.
    """
    root = _parse(html)
    if root is None:
        return None
    for el in list(root.iter(*_DROP_TAGS)):
        el.drop_tree()
    for el in [el for el in root.iter() if isinstance(el, lxml.html.HtmlElement) and _is_hidden(el)]:
        if el.tag not in ("html", "body"):  # pages that hide <body> until a script has run are still pages
            el.drop_tree()
    body = root.find("body")
    if body is None:
        body = root
    # Text outside links (navigation, related items) is the page's own content.
    raw = "".join("".join(body.xpath(".//text()[not(ancestor::a)]")).split())
    if len(raw) >= 3 * _LONG_CONTENT or len(content := _norm(raw)) >= _LONG_CONTENT:
        return None
    title_el = root.find(".//title")
    titles = _TITLE_SEPARATORS.split(title_el.text_content() if title_el is not None else "")
    for a in list(body.iter("a")):
        a.drop_tree()  # "页面不存在怎么办？" as a link is a pointer to help, not a message
    places = [("title", t) for t in titles] + [
        ("heading", el.text_content()) for el in body.iter("h1", "h2", "h3")
    ]
    places += [("short block", el.text_content()) for el in body.iter(*_BLOCK_TAGS)]
    return content, titles, places


def looks_like_error_page(html: str) -> bool:
    """True when ``html`` is a page telling the visitor the content is missing (see error_page_evidence)."""
    return error_page_evidence(html) is not None


def is_error_url(url: str) -> bool:
    """True for URLs of error pages: ``/404.html``, ``/error.jsp``, ``/notfound``, ``?aspxerrorpath=``."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    if _ERROR_QUERY.search(parts.query):
        return True
    segments = [unquote(s).lower() for s in parts.path.split("/") if s]
    return any(_ERROR_SEGMENT.fullmatch(splitext(s)[0] if "." in s else s) for s in segments)


def _site_key(url: str) -> tuple[str, str, str] | None:
    """(host without www., port, path with a trailing index file cut) for homepage comparisons."""
    try:
        parts = urlsplit(url.strip())
        host, port = (parts.hostname or "").rstrip("."), parts.port
    except ValueError:
        return None
    if not host:
        return None
    default = {"http": 80, "https": 443}.get(parts.scheme.lower())
    path = parts.path or "/"
    head, _, last = path.rpartition("/")
    if _INDEX_FILE.fullmatch(last):
        path = head + "/"
    return host.removeprefix("www."), "" if port in (None, default) else str(port), path


def _is_deep(url: str) -> bool:
    """A link below the root: two or more path segments, or a file that is not an index page."""
    try:
        path = urlsplit(url).path
    except ValueError:
        return False
    segments = [s for s in path.split("/") if s]
    if len(segments) >= 2:
        return True
    return len(segments) == 1 and "." in segments[0] and not _INDEX_FILE.fullmatch(segments[0])


def redirected_to_homepage(link_url: str, final_url: str, homepage_url: str | None) -> bool:
    """True when a deep link ended at the homepage or at the root of its own or the homepage's host.

    Scheme, a ``www.`` prefix, default ports, the query and index files (``/index.html``) are ignored
    when comparing, so ``http://x.gov.cn/a/b.html -> https://www.x.gov.cn/index.shtml`` counts.
    """
    if not _is_deep(link_url):
        return False
    final, link = _site_key(final_url), _site_key(link_url)
    if final is None or link is None or final == link:
        return False
    targets = {(link[0], link[1], "/")}
    if homepage_url and (home := _site_key(homepage_url)):
        if home == link:
            return False
        targets |= {home, (home[0], home[1], "/")}
    return final in targets
