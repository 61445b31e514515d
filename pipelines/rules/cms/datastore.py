"""Hanweb (大汉) jcms rows kept in the page: ``<script type="text/xml"><datastore>`` and InitData arrays.

Pure (lxml); no settings. Also reads a ``dataproxy.jsp`` answer, which has the datastore's format.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lxml.html import HtmlElement

from pipelines.rules.cms.jsobject import _js_value
from pipelines.rules.cms.tree import parse_html

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
