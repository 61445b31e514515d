"""Link logic for the portal spider: extract and normalise links, type them, and judge one check attempt.

Pure functions (lxml, w3lib); no settings. Precision first: anything a bot wall or rate limit could explain
is unverified, never broken.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from functools import lru_cache
from posixpath import splitext
from urllib.parse import unquote, urljoin, urlsplit, urlunsplit

import lxml.etree
import lxml.html
from w3lib.encoding import resolve_encoding
from w3lib.url import safe_url_string

from pipelines.rules.kinds import LinkState, ResourceType
from pipelines.rules.soft404 import error_page_evidence, is_error_url, redirected_to_homepage

__all__ = [
    "ATTACHMENT_EXTENSIONS",
    "BROKEN_TRANSPORT_ERRORS",
    "ExtractedLink",
    "Observation",
    "Verdict",
    "classify",
    "detect_anti_bot_gate",
    "extract_links",
    "is_attachment_url",
    "is_private_address",
    "needs_get",
    "normalize_url",
    "resource_type_for_url",
    "resource_type_from_content_type",
    "retry_after_seconds",
]

ATTACHMENT_EXTENSIONS: frozenset[str] = frozenset(
    {"pdf", "doc", "docx", "xls", "xlsx", "ppt", "pptx", "wps", "et", "dps", "ofd", "zip", "rar", "7z"}
    | {"txt", "csv", "rtf", "odt", "ods", "odp", "ceb", "gz", "tar"}
)
IMAGE_EXTENSIONS: frozenset[str] = frozenset(
    {"jpg", "jpeg", "png", "gif", "bmp", "webp", "svg", "ico", "tif", "tiff"}
)
MEDIA_EXTENSIONS: frozenset[str] = frozenset(
    {"mp4", "flv", "avi", "wmv", "mov", "mkv", "webm", "mp3", "wav", "wma", "swf", "m3u8"}
)
# Transport failures a browser would show as "cannot open"; any other code from the spider (our own
# proxy, a size limit, a refused private target...) says nothing about the site and stays unverified.
BROKEN_TRANSPORT_ERRORS: frozenset[str] = frozenset(
    {"dns", "connection_refused", "connection_reset", "timeout", "ssl", "too_many_redirects", "redirect_loop"}
)

_DEFAULT_PORTS = {"http": 80, "https": 443}
_PERCENT = re.compile(r"%[0-9a-fA-F]{2}")
_HOST = re.compile(r"[a-z0-9._-]+|\[[0-9a-f:.]+\]")
_SCHEME = re.compile(r"([a-zA-Z][a-zA-Z0-9+.-]*):")
_TAB_NEWLINE = re.compile(r"[\t\n\r]")
_C0_AND_SPACE = "".join(map(chr, range(0x21)))
_LEGACY_IPV4 = re.compile(r"(0x[0-9a-f]+|[0-9]+)(\.(0x[0-9a-f]+|[0-9]+)){0,3}")


@dataclass(frozen=True)
class ExtractedLink:
    """One link target found on a page."""

    url: str  # absolute, normalised, no fragment
    text: str | None  # anchor text (whitespace collapsed, at most 200 characters) or img alt/title
    resource_type: ResourceType


# --- URLs -----------------------------------------------------------------------------------------


def _remove_dot_segments(path: str) -> str:
    """RFC 3986 5.2.4, as browsers apply it: ``/a/b/../c`` -> ``/a/c``, ``/../x`` -> ``/x``."""
    if "." not in path:
        return path
    segments, out = path.split("/"), list[str]()
    for i, segment in enumerate(segments):
        last = i == len(segments) - 1
        if segment == "..":
            if len(out) > 1:
                out.pop()
        elif segment != ".":
            out.append(segment)
            continue
        if last:
            out.append("")
    return "/".join(out)


@lru_cache(maxsize=65536)  # a site links the same targets from page after page (ten times each, measured)
def normalize_url(url: str, *, encoding: str = "utf-8") -> str:
    """Return the canonical form of ``url`` under which a link target is checked and reported.

    Raw non-ASCII and spaces are percent-encoded (path as UTF-8, query in ``encoding``, as browsers do
    for the page's charset), existing ``%XX`` escapes are kept (hex upper-cased), scheme and host are
    lower-cased, the host is IDNA-encoded, dot segments, fragment, credentials and default ports are
    dropped and an empty path becomes ``/``. The query is kept as written (order matters to some CMSs).
    Idempotent.

    Raises:
        ValueError: the URL has an invalid host or port.
    """
    parts = urlsplit(safe_url_string(url, encoding=encoding))
    scheme = parts.scheme.lower()
    if not parts.netloc:
        return _PERCENT.sub(lambda m: m[0].upper(), urlunsplit((scheme, "", parts.path, parts.query, "")))
    host, port = (parts.hostname or "").lower(), parts.port
    host = f"[{host}]" if ":" in host else host
    if not host or not _HOST.fullmatch(host):
        raise ValueError(f"invalid host in URL: {url!r}")
    netloc = host if port is None or port == _DEFAULT_PORTS.get(scheme) else f"{host}:{port}"
    path = _remove_dot_segments(parts.path) or "/"
    return _PERCENT.sub(lambda m: m[0].upper(), urlunsplit((scheme, netloc, path, parts.query, "")))


@lru_cache(maxsize=65536)  # every target is typed where it is linked and again where it is checked
def _extension(url: str) -> str:
    try:
        path = urlsplit(url).path
    except ValueError:
        return ""
    last = unquote(path.rsplit("/", 1)[-1].split(";", 1)[0])  # drop ;jsessionid=...
    return splitext(last)[1][1:].lower()


def is_attachment_url(url: str) -> bool:
    """True when the URL path ends in an attachment extension (``.pdf``, ``.docx``, ``.wps``, ``.ofd`` ...).

    Only the path counts: ``download.jsp?file=a.pdf`` may answer with an HTML page on purpose.
    """
    return _extension(url) in ATTACHMENT_EXTENSIONS


_TAG_TYPES = {
    "img": ResourceType.IMAGE,
    "input": ResourceType.IMAGE,
    "iframe": ResourceType.FRAME,
    "frame": ResourceType.FRAME,
    "script": ResourceType.SCRIPT,
    "stylesheet": ResourceType.STYLESHEET,  # <link rel="stylesheet">
    "icon": ResourceType.OTHER,  # <link rel="icon">
}


def resource_type_for_url(url: str, tag: str = "a") -> ResourceType:
    """What a link looks like from its tag and, for ``a``/``area``/embedded media, its extension.

    ``tag`` is the element name; ``"stylesheet"`` and ``"icon"`` stand for the two kinds of ``<link>``.
    ``a``/``area`` give page unless the extension says attachment, image or media (other); embed,
    object, source, video and audio give other unless the extension says attachment or image.
    """
    tag = tag.lower()
    if tag in _TAG_TYPES:
        return _TAG_TYPES[tag]
    ext = _extension(url)
    if ext in ATTACHMENT_EXTENSIONS:
        return ResourceType.ATTACHMENT
    if ext in IMAGE_EXTENSIONS:
        return ResourceType.IMAGE
    if tag in ("a", "area") and ext not in MEDIA_EXTENSIONS:
        return ResourceType.PAGE
    return ResourceType.OTHER


_SCRIPT_TYPES = frozenset(
    {"application/javascript", "text/javascript", "application/x-javascript", "application/ecmascript"}
    | {"text/ecmascript", "application/x-ecmascript", "text/jscript", "module"}
)
_ATTACHMENT_TYPES = frozenset(
    {"application/pdf", "application/msword", "application/zip", "application/octet-stream", "text/csv"}
    | {"application/x-zip-compressed", "application/x-rar-compressed", "application/x-rar", "text/rtf"}
    | {"application/x-7z-compressed", "application/x-tar", "application/x-gzip", "application/gzip"}
    | {"application/x-download", "application/force-download", "application/download", "application/rtf"}
    | {"application/x-msdownload", "application/ofd", "application/x-ofd", "application/kswps"}
)


def resource_type_from_content_type(content_type: str | None) -> ResourceType | None:
    """Map a Content-Type header to a resource type; None when missing, malformed or ambiguous.

    ``text/plain`` is ambiguous (a ``.txt`` attachment or a bare error message) and gives None.
    """
    mime = (content_type or "").split(";", 1)[0].strip().lower()
    major, _, minor = mime.partition("/")
    if not major or not minor:
        return None
    if mime in ("text/html", "application/xhtml+xml"):
        return ResourceType.PAGE
    if major == "image":
        return ResourceType.IMAGE
    if mime == "text/css":
        return ResourceType.STYLESHEET
    if mime in _SCRIPT_TYPES:
        return ResourceType.SCRIPT
    if mime in _ATTACHMENT_TYPES or mime.startswith(("application/vnd.", "application/wps")):
        return ResourceType.ATTACHMENT
    if major in ("application", "audio", "video", "font") or mime in ("text/xml", "text/vtt"):
        return ResourceType.OTHER
    return None


def is_private_address(host: str) -> bool:
    """True for literal addresses a page must not steer the crawler to, and for ``localhost``.

    Covers IPv4/IPv6 loopback, private, link-local, unspecified, reserved, shared (100.64/10),
    multicast and other non-global ranges, IPv4-mapped IPv6, and legacy IPv4 spellings that resolvers
    accept (``127.1``, ``2130706433``, ``0x7f.0.0.1``). Other host names give False: no DNS here.
    """
    name = host.strip().lower().rstrip(".")
    if name.startswith("[") and "]" in name:
        name = name[1 : name.index("]")]
    elif name.count(":") == 1:
        name = name.split(":", 1)[0]  # host:port
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        ip: ipaddress.IPv4Address | ipaddress.IPv6Address = ipaddress.ip_address(name.split("%", 1)[0])
    except ValueError:
        if not _LEGACY_IPV4.fullmatch(name):
            return False
        try:
            ip = ipaddress.IPv4Address(socket.inet_aton(name))
        except OSError:
            return False
    if isinstance(ip, ipaddress.IPv6Address) and (mapped := ip.ipv4_mapped or ip.sixtofour):
        ip = mapped
    return not ip.is_global or ip.is_multicast or ip.is_reserved or ip.is_unspecified


def retry_after_seconds(value: str | None, now: datetime) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP-date) at ``now``.

    A date in the past or a negative number gives 0; a missing or unparsable value gives None. Naive
    datetimes are taken as UTC.
    """
    text = (value or "").strip()
    if not text:
        return None
    if re.fullmatch(r"-?\d+(\.\d+)?", text):
        return max(0.0, float(text))
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


# --- extraction -----------------------------------------------------------------------------------


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


@lru_cache(maxsize=65536)  # pages of a site link the same targets, and mostly root-relative or absolute
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


def _parse(text: str) -> lxml.html.HtmlElement | None:
    if not text.strip():
        return None
    try:  # bytes with a fixed encoding, so an <?xml encoding?> or <meta charset> cannot override ours
        parser = lxml.html.HTMLParser(encoding="utf-8")
        root = lxml.etree.fromstring(text.encode("utf-8", "replace"), parser)
        if any(e.type == _RESOURCE_LIMIT for e in parser.error_log):
            # libxml2 stops at 256 nested elements and drops the rest of the page: parse again with only
            # the tags that can link (no nesting left), so a link after 100,000 <div>s is still found
            flat = _NOT_A_LINK_TAG.sub(" ", text)
            root = lxml.etree.fromstring(flat.encode("utf-8", "replace"), lxml.html.HTMLParser(encoding="utf-8"))
    except (lxml.etree.LxmlError, ValueError):
        return None
    return root if isinstance(root, lxml.html.HtmlElement) else None


_RESOURCE_LIMIT = lxml.etree.ErrorTypes.ERR_RESOURCE_LIMIT


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
    root = _parse(html.decode(codec, "replace") if isinstance(html, bytes) else html)
    if root is None:
        return []
    base = page_url
    for el in root.iter("base"):
        if el.get("href") is not None:
            base = _resolve(page_url, el.get("href"), codec) or page_url
            break
    found: dict[tuple[str, ResourceType], ExtractedLink] = {}
    resolved: dict[str | None, str | None] = {}  # menus and icons repeat the same references
    for el in root.iter(*_LINK_TAGS):  # filtered in C: most elements of a page link nowhere
        for value, tag in _targets(el):
            if value not in resolved:
                resolved[value] = _resolve(base, value, codec)
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


# --- judging one check ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Observation:
    """One check attempt as the spider saw it."""

    url: str
    method: str  # "HEAD" or "GET"
    status: int | None  # final HTTP status; None when a transport error happened
    error: str | None  # transport error code from the spider (dns, timeout, ssl, ...)
    final_url: str | None = None  # after redirects
    redirect_chain: tuple[str, ...] = ()
    headers: Mapping[str, str] = field(default_factory=dict)  # lower-cased names, decoded values
    body: str = ""  # decoded start of the body (first ~64 KiB), "" for HEAD
    expected_type: ResourceType = ResourceType.PAGE  # what the link looked like
    homepage_url: str | None = None
    internal: bool = True  # target on the site's own domains


@dataclass(frozen=True)
class Verdict:
    """Outcome of one check, with the export ``error`` code and one sentence of evidence."""

    state: LinkState
    error: str | None
    reason: str


# Vendor fingerprints. Technical markers (challenge scripts, cookies, challenge URLs) never occur on an
# ordinary page and count anywhere. Vendor names and block/captcha wording also appear in footers
# ("本站由创宇盾防护") and articles, so they count only on an error status or in the title of a 2xx page.
_TECH_GATES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("瑞数", re.compile(r"\$_ts\s*=\s*window|\$_ts\.(nsd|cd|lcd)\b")),
    ("加速乐", re.compile(r"__jsl_clearance|__jsluid")),
    ("WZWS", re.compile(r"wzws_?(challenge|question|method|cid|sessionid|tmpl|vtime)", re.IGNORECASE)),
    ("阿里云WAF", re.compile(r"acw_sc__v2|_waf_bd8ce2ce37|aliyun_waf")),
    (
        "cloudflare",
        re.compile(r"cf-chl|cf_chl_|/cdn-cgi/challenge-platform|<title>\s*Just a moment", re.IGNORECASE),
    ),
    ("云锁", re.compile(r"yunsuo_session_verify|security_session_(mid_)?verify")),
    ("安全狗", re.compile(r"safedog-flow-item")),
)
# Each technical gate above contains one of these substrings: plain substring tests rule the usual answer
# (no gate) out in ~0.1 ms for a 15 KB page, where the regexes take ~1.4 ms (measured).
_TECH_HINTS = (
    "$_ts", "__jsl", "wzws", "WZWS", "Wzws", "acw_sc__v2", "_waf_bd8ce2ce37", "aliyun_waf", "cf-chl", "cf_chl_",
    "/cdn-cgi/challenge-platform", "ust a moment", "UST A MOMENT", "yunsuo_session_verify", "security_session_",
    "safedog-flow-item",
)  # fmt: skip
_WORD_GATES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("安全狗", re.compile(r"safedog|安全狗", re.IGNORECASE)),
    ("云锁", re.compile(r"yunsuo|云锁", re.IGNORECASE)),
    ("创宇盾", re.compile(r"创宇盾|知道创宇|yunaq|jiasule|加速乐", re.IGNORECASE)),
    ("网站卫士", re.compile(r"360wzb|网站卫士")),
    (
        "WAF",
        re.compile(
            r"Web应用防火墙|网站防火墙|WAF|访问被拦截|请求已被拦截|访问已被拦截|已被网站管理员设置拦截"
        ),
    ),
    ("WAF", re.compile(r"您的访问请求可能对网站造成安全威胁|您的请求带有不合法参数|疑似黑客攻击|访问被阻断")),
    (
        "captcha",
        re.compile(
            r"验证码|captcha|人机验证|安全验证|访问验证|滑动验证|请完成验证|verify you are human",
            re.IGNORECASE,
        ),
    ),
)
_TITLE = re.compile(r"<title[^>]*>(.*?)</title", re.IGNORECASE | re.DOTALL)
_SCRIPT_STYLE = re.compile(r"<(script|style)\b.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"<[^>]*>")
_BLOCK_PAGE_TEXT, _BLOCK_TITLE = 1500, 16


def _visible_text(body: str) -> str:
    """Rough visible text of an HTML body: no scripts, styles or tags, whitespace collapsed."""
    return " ".join(_TAG.sub(" ", _SCRIPT_STYLE.sub(" ", body[:65536])).split())


def detect_anti_bot_gate(
    status: int | None,
    body: str = "",
    headers: Mapping[str, str] | None = None,
    urls: Iterable[str | None] = (),
) -> str | None:
    """Name the anti-crawler gate or WAF in front of a response (瑞数, 加速乐, WZWS, 安全狗, captcha ...).

    Any 412 counts (瑞数; we never send preconditions), as does a 521 with no body or with a cookie
    script (加速乐). Use it for pages as well as links: content behind a gate is unverified.

    Args:
        status: the final HTTP status, if any.
        body: the decoded start of the body.
        headers: lower-cased response header names to decoded values.
        urls: the final URL and the redirect chain (challenge URLs such as ``?wzwschallenge=``).
    """
    headers = headers or {}
    seen = [u for u in urls if u]
    evidence = "\n".join([body[:65536], headers.get("set-cookie", ""), headers.get("location", ""), *seen])
    if any(hint in evidence for hint in _TECH_HINTS):
        for name, pattern in _TECH_GATES:
            if pattern.search(evidence):
                return name
    if headers.get("cf-mitigated", "").lower() == "challenge":
        return "cloudflare"
    if status == 412:
        return "瑞数"
    if status == 521 and (not body.strip() or "document.cookie" in body):
        return "加速乐"
    if any("captcha" in u.lower() for u in seen):
        return "captcha"
    title = " ".join(found[1].split()) if (found := _TITLE.search(body)) else ""
    error = status is not None and status >= 400
    # A block page's title is the block ("网站防火墙"); an article may be titled "我市网站接入创宇盾防护".
    words = title if error or len(title) <= _BLOCK_TITLE else ""
    # Block pages are small and never say "not found"; a 404 template may carry a vendor badge.
    if error and status not in (404, 410):
        words += "\n" + (visible if len(visible := _visible_text(body)) < _BLOCK_PAGE_TEXT else "")
    return next((name for name, pattern in _WORD_GATES if pattern.search(words)), None)


def _content_type(obs: Observation) -> str:
    return obs.headers.get("content-type", "").split(";", 1)[0].strip().lower()


def _sniffs_html(body: str) -> bool:
    head = body[:1024].lstrip("\ufeff \t\r\n").lower()
    return head.startswith("<") and any(tag in head for tag in ("<html", "<!doctype html", "<head", "<body"))


def _same_url(a: str, b: str) -> bool | None:
    if a == b:
        return True
    try:
        return normalize_url(a) == normalize_url(b)
    except ValueError:
        return None


def _redirect_note(obs: Observation) -> str:
    hops = len(obs.redirect_chain)
    return f" after {hops} redirect{'s' * (hops != 1)} to {obs.final_url}" if hops else ""


def classify(obs: Observation) -> Verdict:
    """Judge one check attempt: ok, broken (with the export error code) or unverified.

    Order: transport error (when there is no final status, or only a 3xx); anti-bot gate (unverified); 429/503 (unverified rate_limited); 401/407/451
    (unverified access_denied); 403 (unverified when external or bodiless, else broken); other >= 400
    (broken http_error); unfollowed 1xx/3xx (unverified); then for 2xx: redirect to an error URL or,
    for an internal deep link, to the homepage (soft_404), a zero-length attachment (empty_attachment), an
    HTML error page (soft_404, or attachment_error_page for attachments), an image answered by an HTML
    page (soft_404); else ok.
    """
    method, status = obs.method.upper(), obs.status
    broken, unverified = LinkState.BROKEN, LinkState.UNVERIFIED
    if obs.error and (status is None or 300 <= status < 400):  # a redirect loop may report its last 3xx
        state = broken if obs.error in BROKEN_TRANSPORT_ERRORS else unverified
        return Verdict(state, obs.error, f"{obs.error} error on {method}")
    if gate := detect_anti_bot_gate(status, obs.body, obs.headers, (obs.final_url, *obs.redirect_chain)):
        return Verdict(
            unverified, "anti_bot_gate", f"HTTP {status} on {method} behind an anti-bot gate ({gate})"
        )
    if status is None:
        return Verdict(unverified, "other", f"no response and no error on {method}")
    where = f"HTTP {status} on {method}{_redirect_note(obs)}"
    if status in (429, 503):
        retry = obs.headers.get("retry-after")
        return Verdict(unverified, "rate_limited", where + (f" (Retry-After: {retry})" if retry else ""))
    if status in (401, 407, 451):
        return Verdict(unverified, "access_denied", where)
    if status == 403:
        if not obs.internal:
            return Verdict(
                unverified, "access_denied", f"{where} from an external site, which may refuse crawlers"
            )
        if method == "HEAD" or not obs.body.strip():
            return Verdict(unverified, "access_denied", f"{where} without a body to judge")
        return Verdict(broken, "http_error", where)
    if status >= 400:
        return Verdict(broken, "http_error", where)
    if not 200 <= status < 300:
        return Verdict(unverified, "other", f"{where}: not a final answer")
    final = obs.final_url
    if final and _same_url(final, obs.url) is False:
        if is_error_url(final):
            return Verdict(broken, "soft_404", f"{where}: redirected to an error page {final}")
        if obs.internal and redirected_to_homepage(obs.url, final, obs.homepage_url):
            return Verdict(broken, "soft_404", f"{where}: deep link redirected to the homepage {final}")
    attachment = obs.expected_type is ResourceType.ATTACHMENT
    if attachment and method == "GET" and obs.headers.get("content-length", "").strip() == "0":
        return Verdict(broken, "empty_attachment", f"{where} with Content-Length: 0 for an attachment")
    ctype = _content_type(obs)
    if method == "GET" and ("html" in ctype or _sniffs_html(obs.body)):
        if evidence := error_page_evidence(obs.body):
            code = "attachment_error_page" if attachment else "soft_404"
            return Verdict(broken, code, f"{where}: {evidence}")
        if obs.expected_type is ResourceType.IMAGE and _sniffs_html(obs.body):
            return Verdict(broken, "soft_404", f"{where}: an image link answered with an HTML page")
    return Verdict(LinkState.OK, None, where)


def needs_get(obs: Observation) -> bool:
    """After a HEAD: True when only a GET can settle the link.

    HEAD may only confirm a link as ok: any other HEAD verdict is re-checked by GET (servers answer HEAD
    with 404, 405, 501 or redirects they never give to GET), except a DNS failure and an anti-bot gate
    (a GET meets the same gate and only provokes the WAF). An ok HEAD still needs a GET when the answer is
    HTML (soft-404 and error pages are judged on the body), when a page gave no Content-Type, and when an
    attachment claims Content-Length: 0. After a 429 the spider must wait out Retry-After first.
    """
    if obs.method.upper() != "HEAD":
        return False
    if obs.error and (obs.status is None or 300 <= obs.status < 400):
        return obs.error != "dns"
    verdict = classify(obs)
    if verdict.error == "anti_bot_gate":
        return False
    if verdict.state is not LinkState.OK:
        return True
    ctype = _content_type(obs)
    if "html" in ctype or (not ctype and obs.expected_type in (ResourceType.PAGE, ResourceType.FRAME)):
        return True
    return (
        obs.expected_type is ResourceType.ATTACHMENT and obs.headers.get("content-length", "").strip() == "0"
    )
