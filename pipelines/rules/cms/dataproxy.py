"""Hanweb (大汉) jcms dataproxy paging: the ``dataproxy.jsp`` request that pages a column's list.

Pure (lxml); no settings.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from lxml.html import HtmlElement

from pipelines.rules.cms.datastore import find_datastores
from pipelines.rules.cms.jsobject import parse_js_object
from pipelines.rules.cms.tree import parse_html

DEFAULT_PROXY_PATH = "/module/web/jpage/dataproxy.jsp"
DEFAULT_PERPAGE = 15  # jcms' own default when a page does not say


_PAGING_KEYS = frozenset({"page", "startrecord", "endrecord", "perpage"})


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
        if "jpage" not in text:  # substring tests spare the regexes the scripts of other CMSs (most)
            continue
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
        if "dataproxy" not in text.lower():
            continue
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
