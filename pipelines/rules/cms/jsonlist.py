"""Lists a page loads as JSON (JPaaS units, newer CMS front ends): the paged request and what its answer lists.

Pure; no settings. Found in the page's scripts (``$.ajax``/``$.get``/``$.getJSON``/``$.post``/``fetch``/
``axios`` calls with a page parameter, on the page's own host); an answer is read for its rows (title, URL,
date) and its totals. A request we could only partly read may get a wrong answer, so an answer without rows
proves nothing (the column stays unverified); rows prove the list has items and give their dates.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from lxml.html import HtmlElement

from pipelines.rules.cms.jsobject import _js_string, _skip, parse_js_object
from pipelines.rules.cms.trs import MAX_ANNOUNCED_PAGES
from pipelines.rules.dates import parse_date

PAGE_KEYS = ("pageNo", "pageNum", "pageIndex", "pageNumber", "curPage", "currentPage", "nowPage", "page")
SIZE_KEYS = ("pageSize", "pageCount", "perPage", "rows", "size", "limit")
_CALL = re.compile(
    r"(?:\$|jQuery)\s*\.\s*(ajax|get|getJSON|post)\s*\(|\bfetch\s*\(|\baxios\s*(?:\.\s*(get|post))?\s*\("
)
_TITLE_KEYS = ("title", "doctitle", "articletitle", "infotitle", "name", "wzbt", "nrbt", "bt", "subject")
_URL_KEYS = ("url", "link", "href", "linkurl", "docpuburl", "articleurl", "infourl", "detailurl", "pageurl")
_DATE_KEYS = (
    "publishtime",
    "publishdate",
    "pubdate",
    "releasetime",
    "releasedate",
    "docreltime",
    "fbsj",
    "date",
    "time",
    "createtime",
    "createdate",
)
_TOTAL_PAGE_KEYS = ("totalpages", "totalpage", "pagetotal", "totalpagenum", "pages")
_TOTAL_RECORD_KEYS = (
    "total",
    "totalcount",
    "totalrecord",
    "totalrecords",
    "totalrows",
    "recordstotal",
    "totalnum",
)
_CHINA = timezone(timedelta(hours=8))
_JSONP = re.compile(r"^\s*[\w$.]+\s*\(\s*(.*?)\s*\)\s*;?\s*$", re.DOTALL)
_NUMBER = re.compile(r"^\d{1,6}$")


@dataclass(frozen=True)
class JsonListRequest:
    """How to ask for page ``n`` of a list a script loads as JSON."""

    url: str  # absolute, without query
    method: str  # "GET" or "POST"
    params: dict[str, str] = field(hash=False)
    page_key: str
    first: int = 1  # the number of the first page (0 for zero-based APIs)
    size: int | None = None  # rows per page, when the request says

    def page(self, n: int) -> tuple[str, dict[str, str]]:
        """URL and form data for page ``n`` (1-based): the query for GET, a form for POST.

        Raises:
            ValueError: ``n`` is below 1.
        """
        if n < 1:
            raise ValueError(f"list pages start at 1, got {n}")
        params = {**self.params, self.page_key: str(self.first + n - 1)}
        if self.method == "POST":
            return self.url, params
        return f"{self.url}?{urlencode(params)}", {}


@dataclass(frozen=True)
class JsonRecord:
    """One row of a JSON list."""

    title: str
    url: str | None
    date: date | None


@dataclass(frozen=True)
class JsonListAnswer:
    """What one JSON answer lists, and the totals it announces."""

    records: tuple[JsonRecord, ...]
    total_pages: int | None
    total_records: int | None

    def pages(self, size: int | None) -> int | None:
        """Pages of the whole list (capped at MAX_ANNOUNCED_PAGES), when the answer says or lets us count."""
        if self.total_pages is not None:
            return min(self.total_pages, MAX_ANNOUNCED_PAGES)
        per_page = size or len(self.records)
        if self.total_records is None or per_page < 1:
            return None
        return min(max(1, math.ceil(self.total_records / per_page)), MAX_ANNOUNCED_PAGES)


# -- the request in the page's scripts --------------------------------------------------------------------


def json_list_from_tree(root: HtmlElement, page_url: str) -> JsonListRequest | None:
    """The first script call on the page's own host that asks for a numbered page of JSON, or None."""
    for script in root.iter("script"):
        text = script.text or ""
        if "(" not in text or not any(key in text for key in PAGE_KEYS):
            continue
        for found in _calls(text, page_url):
            return found
    return None


def _calls(text: str, page_url: str) -> Iterator[JsonListRequest]:
    for match in _CALL.finditer(text):
        jquery, axios = match.group(1), match.group(2)
        i = _skip(text, match.end())
        url: str | None = None
        options: dict[str, object] = {}
        if i < len(text) and text[i] == "{":  # $.ajax({url: …, data: …}) / axios({url: …})
            options, i = parse_js_object(text, i)
            url = options.get("url") if isinstance(options.get("url"), str) else None  # type: ignore[assignment]
        elif i < len(text) and text[i] in "'\"":
            url, i = _js_string(text, i)
            i = _skip(text, i)
            if i < len(text) and text[i] == ",":
                i = _skip(text, i + 1)
                if i < len(text) and text[i] == "{":
                    options, i = parse_js_object(text, i)
        if not url or not ("/" in url or "?" in url):
            continue  # a variable (listUrl, cfg.url) reads like a word: only a path or query is a URL
        method = str(options.get("type") or options.get("method") or "").upper()
        if not method:
            method = "POST" if (jquery == "post" or axios == "post") else "GET"
        data = options.get("data") if jquery in ("ajax", None) and "data" in options else options
        if axios is not None or (jquery is None and "params" in options):
            data = options.get("params") or options.get("data") or {}
        if found := _request(url, method, data if isinstance(data, dict) else {}, page_url):
            yield found


def _request(raw_url: str, method: str, data: Mapping[str, object], page_url: str) -> JsonListRequest | None:
    absolute = urljoin(page_url, raw_url.strip())
    parts = urlsplit(absolute)
    if parts.scheme not in ("http", "https") or parts.hostname != urlsplit(page_url).hostname:
        return None  # another host's list is not the column's (and never a request we derive)
    params = dict(parse_qsl(parts.query, keep_blank_values=True))
    params.update({str(k): str(v) for k, v in data.items() if isinstance(v, str | int | float)})
    key = next((k for k in PAGE_KEYS if k in params), None)
    if key is None:
        return None
    first = int(params[key]) if _NUMBER.match(params[key]) and int(params[key]) in (0, 1) else 1
    size_key = next((k for k in SIZE_KEYS if k in params and _NUMBER.match(params[k])), None)
    size = int(params[size_key]) if size_key else None
    base = urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))
    return JsonListRequest(base, "POST" if method == "POST" else "GET", params, key, first, size)


# -- the answer ---------------------------------------------------------------------------------------------


def parse_json_list(text: str, page_url: str, today: date) -> JsonListAnswer | None:
    """The rows and totals of a JSON (or JSONP) answer, or None when it is not JSON or lists no rows."""
    data = _load(text)
    if data is None:
        return None
    best: list[dict[str, Any]] = []
    for rows in _lists(data, 0):
        # a row is a title with a link or a date: menus, tags and options lists have names only
        titled = [
            r
            for r in rows
            if _field(r, _TITLE_KEYS) is not None
            and (_field(r, _URL_KEYS) is not None or _field(r, _DATE_KEYS) is not None)
        ]
        if len(titled) > len(best) and len(titled) * 2 >= len(rows):
            best = titled
    records = tuple(_record(row, page_url, today) for row in best)
    total_pages, total_records = _totals(data)
    if not records and total_pages is None and total_records is None:
        return None
    return JsonListAnswer(records, total_pages, total_records)


def _load(text: str) -> Any:
    body = text.strip()
    if body[:1] not in "{[" and (m := _JSONP.match(body)):
        body = m.group(1)
    try:
        return json.loads(body)
    except (ValueError, RecursionError):
        return None


def _lists(value: Any, depth: int) -> Iterator[list[dict[str, Any]]]:
    if depth > 6:
        return
    if isinstance(value, list):
        rows = [v for v in value if isinstance(v, dict)]
        if rows:
            yield rows
        for v in value[:50]:
            yield from _lists(v, depth + 1)
    elif isinstance(value, dict):
        for v in value.values():
            yield from _lists(v, depth + 1)


def _field(row: Mapping[str, Any], keys: tuple[str, ...]) -> Any:
    lowered = {str(k).lower(): v for k, v in row.items()}
    for key in keys:
        value = lowered.get(key)
        if value not in (None, ""):
            return value
    return None


def _record(row: Mapping[str, Any], page_url: str, today: date) -> JsonRecord:
    title = " ".join(str(_field(row, _TITLE_KEYS)).split())
    raw_url = _field(row, _URL_KEYS)
    url = None
    if isinstance(raw_url, str) and not raw_url.strip().lower().startswith(("javascript:", "#")):
        joined = urljoin(page_url, raw_url.strip())
        url = joined if urlsplit(joined).scheme in ("http", "https") else None
    return JsonRecord(title, url, _date(_field(row, _DATE_KEYS), today))


def _date(value: Any, today: date) -> date | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float) or (
        isinstance(value, str) and value.isdigit() and len(value) in (10, 13)
    ):
        seconds = float(value) / (1000 if float(value) > 1e11 else 1)
        try:
            found = datetime.fromtimestamp(seconds, UTC).astimezone(_CHINA).date()
        except (OverflowError, OSError, ValueError):
            return None
        return found if date(1995, 1, 1) <= found <= today else None
    if isinstance(value, str):
        return parse_date(value, today)
    return None


def _totals(data: Any) -> tuple[int | None, int | None]:
    pages: int | None = None
    records: int | None = None
    queue: list[tuple[Any, int]] = [(data, 0)]
    while queue:
        value, depth = queue.pop(0)
        if not isinstance(value, dict) or depth > 3:
            continue
        for key, item in value.items():
            lowered = str(key).lower()
            number = _count(item)
            if number is not None and pages is None and lowered in _TOTAL_PAGE_KEYS:
                pages = number
            elif number is not None and records is None and lowered in _TOTAL_RECORD_KEYS:
                records = number
            elif isinstance(item, dict):
                queue.append((item, depth + 1))
    return pages, records


def _count(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int) and value >= 0:
        return value
    if isinstance(value, str) and _NUMBER.match(value):
        return int(value)
    return None
