"""CMS list mechanisms: Hanweb (大汉) jcms datastores and dataproxy paging, TRS WCM createPageHTML paging.

Pure functions over page text (DESIGN 5: a list the CMS hides from a naive parser is not blank). No settings.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

import lxml.html
from lxml import etree
from lxml.html import HtmlElement

__all__ = [
    "MAX_ANNOUNCED_PAGES",
    "DataProxyRequest",
    "Datastore",
    "TrsPaging",
    "dataproxy_from_tree",
    "find_datastores",
    "hanweb_dataproxy",
    "hanweb_datastore",
    "hanweb_initdata",
    "paging_urls",
    "parse_dataproxy_response",
    "parse_html",
    "parse_js_object",
    "select_dataproxy",
    "trs_page_urls",
    "trs_paging",
]

DEFAULT_PROXY_PATH = "/module/web/jpage/dataproxy.jsp"
DEFAULT_PERPAGE = 15  # jcms' own default when a page does not say
MAX_ANNOUNCED_PAGES = 500  # a broken pager script must not announce a million pages
_PAGING_KEYS = frozenset({"page", "startrecord", "endrecord", "perpage"})

_EMPTY_DOC = b"<html><body></body></html>"


def parse_html(html: str) -> HtmlElement:
    """Parse a decoded page into an lxml tree; comments dropped, never raises.

    The text goes in as UTF-8 with the parser's encoding forced, so a ``<meta charset=gbk>`` left in an
    already decoded page cannot make libxml2 decode it a second time.
    """
    parser = lxml.html.HTMLParser(encoding="utf-8", remove_comments=True)
    data = html.encode("utf-8", "replace")
    try:
        return lxml.html.document_fromstring(data or _EMPTY_DOC, parser=parser)
    except (etree.ParserError, ValueError):
        return lxml.html.document_fromstring(_EMPTY_DOC, parser=parser)


# --- Hanweb datastore ---------------------------------------------------------------------------------

_CDATA_OR_TEXT = r"\s*(?:<!\[CDATA\[(.*?)\]\]>|(.*?))\s*"
_RECORD_RE = re.compile(r"<record\b[^>]*>" + _CDATA_OR_TEXT + r"</record>", re.DOTALL | re.IGNORECASE)
_NEXTGROUP_RE = re.compile(
    r"<nextgroup\b[^>]*>" + _CDATA_OR_TEXT + r"</nextgroup>", re.DOTALL | re.IGNORECASE
)
_TOTAL_RE = re.compile(r"<totalrecord>\s*(\d+)\s*</totalrecord>", re.IGNORECASE)
_HREF_RE = re.compile(r"""href\s*=\s*["']([^"']+)["']""", re.IGNORECASE)


@dataclass(frozen=True)
class Datastore:
    """One ``<script type="text/xml"><datastore>`` block of a jcms page."""

    unit: str | None  # id of the element around the script: the jpage unit id (= unitid)
    records: tuple[str, ...]  # HTML fragments, one per list row
    total: int | None  # <totalrecord>, when the page carries it
    nextgroup: str | None  # href inside <nextgroup>: the dataproxy URL with the unit's parameters


def _records(xml: str) -> tuple[list[str], int | None]:
    records = [
        (m.group(1) if m.group(1) is not None else m.group(2)).strip() for m in _RECORD_RE.finditer(xml)
    ]
    total = _TOTAL_RE.search(xml)
    return [r for r in records if r], int(total.group(1)) if total else None


def find_datastores(root: HtmlElement) -> list[Datastore]:
    """Every jcms datastore of a parsed page, in document order."""
    found = []
    for script in root.iter("script"):
        text = script.text or ""
        if "<datastore" not in text.lower():
            continue
        records, total = _records(text)
        nextgroup = None
        if group := _NEXTGROUP_RE.search(text):
            href = _HREF_RE.search(group.group(1) or group.group(2) or "")
            nextgroup = href.group(1).replace("&amp;", "&") if href else None
        unit = None
        parent = script.getparent()
        while parent is not None and unit is None and parent.tag not in ("body", "html"):
            unit = parent.get("id") or None
            parent = parent.getparent()
        found.append(Datastore(unit, tuple(records), total, nextgroup))
    return found


def hanweb_datastore(html: str) -> tuple[list[str], int | None] | None:
    """Record fragments and ``totalrecord`` of a Hanweb page's datastore; None when it has none.

    A page with several jpage units yields the datastore with the most records.
    """
    stores = find_datastores(parse_html(html))
    if not stores:
        return None
    best = max(stores, key=lambda s: len(s.records))
    return list(best.records), best.total


def datastore_fragments(html: str) -> list[str]:
    """Every record fragment of every datastore on a page (their links are the page's links too)."""
    if "datastore" not in html:
        return []
    return [record for store in find_datastores(parse_html(html)) for record in store.records]


def parse_dataproxy_response(text: str) -> tuple[list[str], int | None]:
    """Record fragments and ``totalrecord`` of a ``dataproxy.jsp`` XML answer (empty list for anything else)."""
    return _records(text)


# --- Hanweb dataproxy ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class DataProxyRequest:
    """How to page a jcms list through ``dataproxy.jsp``.

    ``url`` is the absolute proxy URL without query; ``params`` are the unit's parameters (columnid,
    unitid, webid, path, webname, permissiontype, col, appid, ..., perpage); ``page(n)`` builds a request.
    """

    url: str
    method: str  # "POST" (what the jpage script does) or "GET" (a plain dataproxy URL in the page)
    params: dict[str, str] = field(hash=False)
    perpage: int
    total: int | None = None  # totalRecord announced by the page

    @property
    def page_count(self) -> int | None:
        """Number of pages of ``perpage`` records, when the total is known."""
        return None if self.total is None else max(1, math.ceil(self.total / self.perpage))

    def page(self, n: int) -> tuple[str, dict[str, str]]:
        """URL and form data for page ``n`` (1-based).

        Like the jpage script, the record window (startrecord/endrecord/perpage) goes in the query and the
        unit's parameters in the POST form; a GET request carries everything in the query and no form.

        Raises:
            ValueError: ``n`` is below 1.
        """
        if n < 1:
            raise ValueError(f"dataproxy pages start at 1, got {n}")
        window = {
            "startrecord": str((n - 1) * self.perpage + 1),
            "endrecord": str(n * self.perpage),
            "perpage": str(self.perpage),
        }
        rest = {k: v for k, v in self.params.items() if k not in _PAGING_KEYS}
        if self.method == "POST":
            return f"{self.url}?{urlencode(window)}", rest
        return f"{self.url}?{urlencode({**rest, **window})}", {}


_JPAGE_RE = re.compile(r"""\$\(\s*['"]#?([\w-]*)['"]\s*\)\s*\.jpage\s*\(\s*(?=\{)""")
_PROXY_URL_RE = re.compile(r"""['"]([^'"\s]*dataproxy\.jsp\?[^'"\s]*)['"]""", re.IGNORECASE)
_PAGE_COLUMN_RE = re.compile(r"/col/col(\d+)/|[?&]columnid=(\d+)", re.IGNORECASE)


def _page_column(page_url: str) -> str | None:
    m = _PAGE_COLUMN_RE.search(page_url)
    return (m.group(1) or m.group(2)) if m else None


def _query_params(url: str) -> tuple[str, dict[str, str]]:
    """URL without query or fragment, and its query as a dict."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", "")), dict(parse_qsl(parts.query))


def _scalars(obj: object) -> dict[str, str]:
    if not isinstance(obj, dict):
        return {}
    return {str(k): str(v) for k, v in obj.items() if isinstance(v, str)}


def _int(value: object) -> int | None:
    return int(value) if isinstance(value, str) and value.isdigit() else None


def _js_var_object(scripts: list[str], name: str) -> dict[str, object] | None:
    pattern = re.compile(r"(?<![\w$.])" + re.escape(name) + r"\s*=\s*(?=\{)")
    for text in scripts:
        if m := pattern.search(text):
            return parse_js_object(text, m.end())[0]
    return None


def _proxy(
    base_url: str, proxy: str, params: dict[str, str], perpage: int | None, total: int | None, method: str
) -> DataProxyRequest:
    url, query = _query_params(urljoin(base_url, proxy))
    merged = {**query, **params}
    size = perpage or _int(merged.get("perpage")) or DEFAULT_PERPAGE
    merged = {k: v for k, v in merged.items() if k not in _PAGING_KEYS} | {"perpage": str(size)}
    return DataProxyRequest(url=url, method=method, params=merged, perpage=size, total=total)


def _dataproxy_candidates(root: HtmlElement, page_url: str) -> list[DataProxyRequest]:
    scripts = [s.text or "" for s in root.iter("script") if "<datastore" not in (s.text or "").lower()]
    stores = {s.unit: s for s in find_datastores(root)}
    found: list[DataProxyRequest] = []
    seen_units: set[str | None] = set()
    for text in scripts:  # 1. $('#unit').jpage({... proxyUrl, perPage, totalRecord, ajaxParam ...})
        for m in _JPAGE_RE.finditer(text):
            unit = m.group(1) or None
            conf = parse_js_object(text, m.end())[0]
            ajax = conf.get("ajaxParam")
            if isinstance(ajax, str):  # ajaxParam: param_123 names a variable
                ajax = _js_var_object(scripts, ajax)
            if ajax is None and unit:
                ajax = _js_var_object(scripts, f"param_{unit}")
            params = _scalars(ajax)
            store = stores.get(unit)
            nextgroup = store.nextgroup if store else None
            proxy = conf.get("proxyUrl")
            if not isinstance(proxy, str) or not proxy:
                if not (nextgroup or "columnid" in params):
                    continue  # a jpage pager that is not a jcms list
                proxy = nextgroup or DEFAULT_PROXY_PATH
            if "dataproxy" not in proxy.lower():
                continue
            if nextgroup and "dataproxy" in nextgroup.lower():
                params = {**_query_params(nextgroup)[1], **params}
            total = _int(conf.get("totalRecord"))
            if total is None and store is not None:
                total = store.total
            found.append(_proxy(page_url, proxy, params, _int(conf.get("perPage")), total, "POST"))
            seen_units.add(unit)
    for unit, store in stores.items():  # 2. a datastore's <nextgroup> link without a jpage call we could read
        if unit not in seen_units and store.nextgroup and "dataproxy" in store.nextgroup.lower():
            found.append(_proxy(page_url, store.nextgroup, {}, None, store.total, "POST"))
    for text in scripts:  # 3. a plain 'dataproxy.jsp?startrecord=1&endrecord=45&...' URL
        for m in _PROXY_URL_RE.finditer(text):
            found.append(_proxy(page_url, m.group(1).replace("&amp;", "&"), {}, None, None, "GET"))
    return found


def hanweb_dataproxy(html: str, page_url: str) -> DataProxyRequest | None:
    """The jcms dataproxy request that pages this column's list, or None.

    Reads, in this order of preference: a ``$('#unit').jpage({...})`` call (``proxyUrl``, ``perPage``,
    ``totalRecord`` and ``ajaxParam`` given inline or as a ``param_<unit>`` variable), a datastore's
    ``<nextgroup>`` link, and a plain ``dataproxy.jsp?...`` URL in a script. When a page has several units,
    the one whose columnid matches the page URL (``/col/col123/``) wins, else the first.
    """
    return select_dataproxy(_dataproxy_candidates(parse_html(html), page_url), page_url)


def select_dataproxy(candidates: list[DataProxyRequest], page_url: str) -> DataProxyRequest | None:
    """The candidate for this page's own column (see ``hanweb_dataproxy``)."""
    column = _page_column(page_url)
    for candidate in candidates:
        if column and candidate.params.get("columnid") == column:
            return candidate
    return candidates[0] if candidates else None


def dataproxy_from_tree(root: HtmlElement, page_url: str) -> DataProxyRequest | None:
    """``hanweb_dataproxy`` on an already parsed page."""
    return select_dataproxy(_dataproxy_candidates(root, page_url), page_url)


_INITDATA_RE = re.compile(r"dataStore\s*:\s*([A-Za-z_$][\w$]*)")


def hanweb_initdata(root: HtmlElement) -> list[str] | None:
    """Row fragments of an older jcms list kept in a JS array: ``jpage({dataStore: InitData123})``.

    ``var InitData123 = ['<tr>...</tr>', ...]``; None when the page has no such array.
    """
    scripts = [s.text or "" for s in root.iter("script")]
    for text in scripts:
        for m in _INITDATA_RE.finditer(text):
            pattern = re.compile(r"(?<![\w$.])" + re.escape(m.group(1)) + r"\s*=\s*(?=\[)")
            for other in scripts:
                if decl := pattern.search(other):
                    values = _js_value(other, decl.end())[0]
                    if isinstance(values, list):
                        return [v for v in values if isinstance(v, str) and v.strip()]
    return None


# --- a small JavaScript object-literal reader (jpage configurations) ----------------------------------

_JS_SKIP = re.compile(r"(?:\s+|//[^\n]*|/\*.*?\*/)*", re.DOTALL)
_JS_IDENT = re.compile(r"[\w$]+")
_JS_ESCAPE = re.compile(r"\\(u[0-9a-fA-F]{4}|x[0-9a-fA-F]{2}|.)", re.DOTALL)
_JS_SIMPLE_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", "v": "\v", "0": "\0"}


def _unescape(raw: str) -> str:
    def one(m: re.Match[str]) -> str:
        code = m.group(1)
        if len(code) > 1:
            return chr(int(code[1:], 16))
        return _JS_SIMPLE_ESCAPES.get(code, code)

    return _JS_ESCAPE.sub(one, raw)


def _skip(s: str, i: int) -> int:
    m = _JS_SKIP.match(s, i)
    return m.end() if m else i


def _js_string(s: str, i: int) -> tuple[str, int]:
    quote, j = s[i], i + 1
    while j < len(s) and s[j] != quote:
        j += 2 if s[j] == "\\" else 1
    return _unescape(s[i + 1 : j]), j + 1


def _js_expression_end(s: str, i: int) -> int:
    depth, j = 0, i
    while j < len(s):
        ch = s[j]
        if ch in "'\"":
            j = _js_string(s, j)[1]
            continue
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            if depth == 0:
                break
            depth -= 1
        elif ch == "," and depth == 0:
            break
        j += 1
    return j


def _js_value(s: str, i: int) -> tuple[object, int]:
    i = _skip(s, i)
    if i >= len(s):
        return None, i
    if s[i] == "{":
        return parse_js_object(s, i)
    if s[i] == "[":
        items: list[object] = []
        i += 1
        while True:
            i = _skip(s, i)
            if i >= len(s) or s[i] == "]":
                return items, i + 1
            if s[i] == ",":
                i += 1
                continue
            value, i = _js_value(s, i)
            items.append(value)
            i = _skip(s, i)
            if i < len(s) and s[i] not in ",]":
                i = _js_expression_end(s, i)  # 'a' + 'b': keep the first part
    if s[i] in "'\"":
        value, end = _js_string(s, i)
        after = _skip(s, end)
        if after >= len(s) or s[after] in ",}]":
            return value, end
    end = _js_expression_end(s, i)
    return s[i:end].strip(), end


def parse_js_object(s: str, i: int) -> tuple[dict[str, object], int]:
    """Read the object literal starting at ``s[i] == "{"``: strings, numbers (as text), nested objects, arrays.

    Other expressions come back as their source text. Tolerant: stops quietly at anything it cannot read.
    """
    out: dict[str, object] = {}
    i += 1
    while True:
        i = _skip(s, i)
        if i >= len(s):
            return out, i
        if s[i] == "}":
            return out, i + 1
        if s[i] == ",":
            i += 1
            continue
        if s[i] in "'\"":
            key, i = _js_string(s, i)
        elif m := _JS_IDENT.match(s, i):
            key, i = m.group(), m.end()
        else:
            return out, i
        i = _skip(s, i)
        if i >= len(s) or s[i] != ":":
            return out, i
        out[key], i = _js_value(s, i + 1)


# --- TRS WCM ------------------------------------------------------------------------------------------

_CREATE_PAGE_RE = re.compile(r"createPageHTML\s*\(([^()]*)\)")
_COUNT_PAGE_RE = re.compile(r"\bcountPage\s*=\s*(\d+)")
_CURRENT_PAGE_RE = re.compile(r"\bcurrentPage\s*=\s*(\d+)")
_JOINED_QUOTES = re.compile(r"""["']\s*\+\s*["']""")
_NEXT_NAME_RE = re.compile(r"""([\w-]+)_["']\s*\+\s*\w+\s*\+\s*["']\.(\w+)""")
_PAGE_FILE_RE = re.compile(r"([\w-]+?)(?:_\d+)?\.(\w+)$")


@dataclass(frozen=True)
class TrsPaging:
    """A TRS pager: ``count`` pages named ``name.ext``, ``name_1.ext`` …; the current one is ``current``."""

    count: int
    current: int
    name: str
    ext: str


def trs_paging(root: HtmlElement, page_url: str) -> TrsPaging | None:
    """The TRS pager announced by a parsed page (``createPageHTML`` call or ``countPage`` variables)."""
    scripts = [s.text or "" for s in root.iter("script")]
    for text in scripts:
        for m in _CREATE_PAGE_RE.finditer(text):
            args = [a.strip().strip("'\"") for a in m.group(1).split(",")]
            if len(args) > 1 and not args[0].isdigit() and args[1].isdigit():
                args = args[1:]  # createPageHTML('page_div', 10, 0, 'index', 'html', 150)
            if len(args) >= 2 and args[0].isdigit() and args[1].isdigit():
                name = args[2] if len(args) > 2 and args[2] else "index"
                ext = args[3] if len(args) > 3 and args[3] else "html"
                return TrsPaging(int(args[0]), int(args[1]), name, ext)
    file_name = urlsplit(page_url).path.rsplit("/", 1)[-1]
    own = _PAGE_FILE_RE.match(file_name)
    for text in scripts:
        if count := _COUNT_PAGE_RE.search(text):
            current = _CURRENT_PAGE_RE.search(text)
            named = _NEXT_NAME_RE.search(_JOINED_QUOTES.sub("", text))
            name, ext = named.groups() if named else own.groups() if own else ("index", "html")
            return TrsPaging(int(count.group(1)), int(current.group(1)) if current else 0, name, ext)
    return None


def paging_urls(paging: TrsPaging, page_url: str) -> list[str]:
    """The other pages of a TRS pager, as absolute URLs in the page's directory."""
    names = [f"{paging.name}.{paging.ext}"] + [
        f"{paging.name}_{n}.{paging.ext}" for n in range(1, min(paging.count, MAX_ANNOUNCED_PAGES))
    ]
    return [urljoin(page_url, name) for n, name in enumerate(names[: paging.count]) if n != paging.current]


def trs_page_urls(html: str, page_url: str) -> list[str]:
    """Further list pages a TRS WCM page announces only by script.

    ``createPageHTML(n, cur, "index", "html")`` (also with a leading element id and trailing record count) or
    ``var countPage = n; var currentPage = cur``: every page of ``index.html``, ``index_1.html`` …
    ``index_{n-1}.html`` except the current one, relative to ``page_url``'s directory (at most
    ``MAX_ANNOUNCED_PAGES``).
    """
    paging = trs_paging(parse_html(html), page_url)
    return paging_urls(paging, page_url) if paging else []
