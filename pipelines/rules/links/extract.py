"""Link extraction: every http(s) target a browser would load or follow from a page, normalised.

Pure (lxml, w3lib); no settings. Broken HTML never raises.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from functools import lru_cache
from urllib.parse import urljoin, urlsplit

import lxml.etree
import lxml.html
from w3lib.encoding import resolve_encoding

from pipelines.rules.cms.tree import parse_html_checked
from pipelines.rules.kinds import ResourceType
from pipelines.rules.links.normalize import normalize_url
from pipelines.rules.links.resources import resource_type_for_url
from pipelines.rules.urls import URL_CACHE_SIZE

_SCHEME = re.compile(r"([a-zA-Z][a-zA-Z0-9+.-]*):")
_TAB_NEWLINE = re.compile(r"[\t\n\r]")
_C0_AND_SPACE = "".join(map(chr, range(0x21)))


@dataclass(frozen=True)
class ExtractedLink:
    """One link target found on a page."""

    url: str  # absolute, normalised, no fragment
    text: str | None  # anchor text (whitespace collapsed, at most 200 characters) or img alt/title
    resource_type: ResourceType


def _codec(encoding: str) -> str:
    """Python codec for a declared charset; GBK and GB2312 pages decode as their superset GB18030."""
    return resolve_encoding(encoding) or "utf-8"


def _resolve(base: str, ref: str | None, encoding: str) -> str | None:
    """Absolute normalised http(s) URL for an attribute value, or None when it is not a fetchable link."""
    # Browsers drop tabs and newlines anywhere in a URL and surrounding spaces and control characters.
    ref = _TAB_NEWLINE.sub("", ref or "").strip(_C0_AND_SPACE)
    if not ref or ref.startswith("#"):
        return None
    if scheme := _SCHEME.match(ref):
        if scheme[1].lower() not in ("http", "https"):
            return None  # javascript:, mailto:, tel:, sms:, data:, about:, ftp:, weixin: ...
        if re.match(r"[/\\]{2}[/\\?#]|[/\\]*$", ref[scheme.end() :]):
            return None  # "http://" and the like have no host; urljoin would turn them into the page itself
    if scheme and ref[scheme.end() : scheme.end() + 2] == "//":  # absolute: only the base's scheme matters
        base = "http://x/" if base.startswith("http:") else "https://x/"
    elif ref[0] == "/" and ref[1:2] not in ("/", "\\"):  # root-relative: only the base's origin matters
        base = _origin(base)
    return _joined(base, ref, encoding)


def _resolve_shared(base: str, origin: str, ref: str | None, encoding: str) -> str | None:
    """``_resolve``, remembered across pages for the references whose result does not depend on the page:
    root-relative ones (only the origin matters) and absolute http(s) ones (nothing of the base matters)."""
    if not ref:
        return None
    if ref[0] == "/" and ref[1:2] not in ("/", "\\"):
        return _resolve_cached(origin, ref, encoding)
    if ref.startswith(("http://", "https://")):
        return _resolve_cached("", ref, encoding)
    return _resolve(base, ref, encoding)


@lru_cache(
    maxsize=URL_CACHE_SIZE
)  # a site's menus, footers and sidebars repeat on every page (~20 links a page)
def _resolve_cached(base: str, ref: str, encoding: str) -> str | None:
    return _resolve(base or "http://x/", ref, encoding)


@lru_cache(
    maxsize=URL_CACHE_SIZE
)  # pages of a site link the same targets, and mostly root-relative or absolute
def _joined(base: str, ref: str, encoding: str) -> str | None:
    try:
        url = normalize_url(urljoin(base, ref), encoding=encoding)
    except ValueError:
        return None
    if not url.startswith(("http://", "https://")) or url.startswith(("http:///", "https:///")):
        return None  # not http(s), or no host ("https:bar.html" on an http page)
    return url


@lru_cache(maxsize=1024)
def _origin(url: str) -> str:
    """scheme://host:port/ of a URL (urljoin of a root-relative reference needs no more of its base)."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}/"


def _collapse(text: str | None) -> str | None:
    text = " ".join((text or "").split())[:200]
    return text or None


def _link_text(el: lxml.html.HtmlElement) -> str | None:
    if el.tag == "a":
        text = _collapse(el.text_content()) or _collapse(el.get("title"))
        if text is None:
            text = next(
                (t for img in el.iter("img") if (t := _collapse(img.get("alt") or img.get("title")))), None
            )
        return text
    if el.tag in ("img", "input", "area"):
        return _collapse(el.get("alt")) or _collapse(el.get("title"))
    return _collapse(el.get("title"))


def _targets(el: lxml.html.HtmlElement) -> Iterable[tuple[str | None, str]]:
    """(attribute value, tag for resource_type_for_url) pairs that element ``el`` links to."""
    tag = el.tag
    if tag in ("a", "area"):
        yield el.get("href"), tag
    elif tag in ("img", "iframe", "frame", "script", "embed", "source", "audio", "track"):
        yield el.get("src"), tag
    elif tag == "input" and (el.get("type") or "").lower() == "image":
        yield el.get("src"), "input"
    elif tag == "video":
        yield el.get("src"), tag
        yield el.get("poster"), "img"
    elif tag == "object":
        yield el.get("data"), tag
    elif tag == "link":
        rel = (el.get("rel") or "").lower().split()
        if "stylesheet" in rel:
            yield el.get("href"), "stylesheet"
        elif "icon" in rel or "apple-touch-icon" in rel:
            yield el.get("href"), "icon"


def link_tree(text: str) -> lxml.html.HtmlElement | None:
    """The tree links are read from: the page's tree, or, when libxml2 cut a too-deep page short, a tree of
    only the tags that can link (no nesting left), so a link after 100,000 ``<div>``s is still found."""
    if not text.strip():
        return None
    root, truncated = parse_html_checked(text)
    if not truncated:
        return root
    try:
        flat = lxml.etree.fromstring(
            _NOT_A_LINK_TAG.sub(" ", text).encode("utf-8", "replace"), lxml.html.HTMLParser(encoding="utf-8")
        )
    except (lxml.etree.LxmlError, ValueError):
        return None
    return flat if isinstance(flat, lxml.html.HtmlElement) else None


def extract_links(
    html: str | bytes, page_url: str, encoding: str = "utf-8", limit: int = 0
) -> list[ExtractedLink]:
    """All http(s) link targets of a page, in document order, one per (url, resource_type).

    Honours the first ``<base href>``; reads ``a``/``area`` href, ``img``/``iframe``/``frame``/``script``/
    ``embed``/``source``/``video``/``audio`` src, ``video`` poster, ``object`` data and ``link`` href for
    stylesheets (stylesheet) and icons (other). Fragment-only, empty and non-http(s) references are skipped.
    A duplicate keeps its first position and the first non-empty text. Broken HTML never raises.

    Args:
        html: the page body, decoded or raw.
        page_url: the URL the page was fetched from (after redirects).
        encoding: the page's charset: decodes bytes (GBK/GB2312 as GB18030) and encodes raw query text.
        limit: when > 0, stop after ``limit + 1`` distinct links (more than ``limit`` returned: the page had more).
    """
    codec = _codec(encoding)
    return links_in(
        link_tree(html.decode(codec, "replace") if isinstance(html, bytes) else html), page_url, codec, limit
    )


def links_in(
    root: lxml.html.HtmlElement | None, page_url: str, codec: str = "utf-8", limit: int = 0
) -> list[ExtractedLink]:
    """``extract_links`` over a tree already parsed (``link_tree``); ``codec`` as ``_codec`` gives it."""
    if root is None:
        return []
    base = page_url
    for el in root.iter("base"):
        if el.get("href") is not None:
            base = _resolve(page_url, el.get("href"), codec) or page_url
            break
    found: dict[tuple[str, ResourceType], ExtractedLink] = {}
    resolved: dict[str | None, str | None] = {}  # menus and icons repeat the same references
    origin = _origin(base)
    for el in root.iter(*_LINK_TAGS):  # filtered in C: most elements of a page link nowhere
        for value, tag in _targets(el):
            if value not in resolved:
                resolved[value] = _resolve_shared(base, origin, value, codec)
            if (url := resolved[value]) is None:
                continue
            kind = resource_type_for_url(url, tag)
            old = found.get((url, kind))
            if old is None:
                found[url, kind] = ExtractedLink(url, _link_text(el), kind)
                if limit and len(found) > limit:
                    return list(found.values())
            elif old.text is None and (text := _link_text(el)):
                found[url, kind] = replace(old, text=text)
    return list(found.values())


_LINK_TAGS = ("a", "area", "img", "iframe", "frame", "script", "embed", "source", "audio", "track", "input", "video",
              "object", "link")  # fmt: skip
# every tag but those that link (and <base>, <html>, <head>, <body>): what a too-deep page is flattened to
_NOT_A_LINK_TAG = re.compile(
    r"</?(?!(?:{}|base|html|head|body)[\s/>])[A-Za-z][^>]*>".format("|".join(_LINK_TAGS)), re.IGNORECASE
)
