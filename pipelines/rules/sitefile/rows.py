"""Validate the rows of a registry file: the header, then every field of every row (codes, URLs, levels)."""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import urlsplit

from pipelines.rules.contacts import contact_problems, split_contacts
from pipelines.rules.kinds import SiteLevel
from pipelines.rules.sitefile.cells import clean, column_letter
from pipelines.rules.sitefile.model import RowError, SiteRow, Unreadable

REQUIRED_COLUMNS = ("code", "name", "url")
MAX_PLATFORM = 100  # models/site.py
OPTIONAL_COLUMNS = ("level", "organizer", "domains", "enabled", "contact", "platform")
HEADER_ALIASES = {
    "网站标识码": "code", "网站名称": "name", "网址": "url", "首页地址": "url", "级别": "level",
    "主办单位": "organizer", "域名": "domains", "启用": "enabled", "是否启用": "enabled",
    "联系方式": "contact", "平台": "platform", "集约化平台": "platform",
}  # fmt: skip
LEVEL_NAMES = {
    "department": SiteLevel.DEPARTMENT, "部门": SiteLevel.DEPARTMENT,
    "city": SiteLevel.CITY, "市级": SiteLevel.CITY,
    "county": SiteLevel.COUNTY, "县级": SiteLevel.COUNTY,
}  # fmt: skip
ENABLED_VALUES = {
    "1": True, "true": True, "yes": True, "y": True, "是": True,
    "0": False, "false": False, "no": False, "n": False, "否": False,
}  # fmt: skip
# GB/T 2260 province-level codes (Hong Kong 81, Macau 82 and Taiwan 71 have no 网站标识码).
PROVINCES = frozenset(
    map(str, [*range(11, 16), *range(21, 24), *range(31, 38), *range(41, 47), *range(50, 55), *range(61, 66)])
)
MAX_TEXT = 200  # models.site: name and organizer are String(200), url String(2048)
MAX_URL = 2048
_CODE = re.compile(r"[0-9]{10}|bm[0-9]{8}")  # State Council departments: bm + 8 digits (bm07000001)
_SCIENTIFIC = re.compile(r"[0-9.]+[eE][+-]?[0-9]+")
_HOST = re.compile(r"(?:[\w-]+\.)*[\w-]+\.?")
_DOMAIN_SEP = re.compile(r"[|,;，；、\s]+")
_URL_SPACE_OR_CONTROL = re.compile(r"[\s\x00-\x1f\x7f-\x9f]")  # str.isspace() or category Cc


def _header(header: list[str], row: int) -> dict[str, int]:
    """Map field names to cell indexes; raise if the header is unusable."""
    allowed = ", ".join(REQUIRED_COLUMNS) + " and optionally " + ", ".join(OPTIONAL_COLUMNS)
    if _CODE.fullmatch(_code(header[0])):
        raise Unreadable(f"no header row: row {row} starts with a site code; the header must name {allowed}")
    columns: dict[str, int] = {}
    problems: list[str] = []
    for index, cell in enumerate(header):
        label = unicodedata.normalize("NFKC", clean(cell)).lower()
        if not label:
            continue
        field = HEADER_ALIASES.get(label, label)
        if field not in REQUIRED_COLUMNS + OPTIONAL_COLUMNS:
            problems.append(f"unknown column {clean(cell)!r} in the header (row {row})")
        elif field in columns:
            problems.append(f"column {field!r} appears twice in the header (row {row})")
        else:
            columns[field] = index
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    if missing:
        problems.append(f"missing column(s) {', '.join(missing)} in the header (row {row})")
    if problems:
        problems[-1] += f"; the header must name {allowed}"
        raise Unreadable(problems)
    return columns


def validate(table: list[tuple[int, list[str]]], is_csv: bool) -> tuple[list[SiteRow], list[RowError]]:
    filled = table  # blank rows were skipped while reading
    if not filled:
        raise Unreadable("the file is empty")
    (header_row, header), body = filled[0], filled[1:]
    columns = _header(header, header_row)
    if not body:
        raise Unreadable("no data rows: the file has only a header")
    width = max(i for i, cell in enumerate(header) if clean(cell)) + 1  # Excel may pad the header too
    rows: list[SiteRow] = []
    errors: list[RowError] = []
    first_seen: dict[str, tuple[int, str]] = {}
    for number, cells in body:
        # Excel pads rows with empty trailing fields; a short row or extra values mean shifted columns
        if is_csv and (len(cells) < width or any(clean(c) for c in cells[width:])):
            errors.append(RowError(number, f"{len(cells)} fields where the header has {width}"))
            continue
        found, problems = _parse_row(number, cells, columns, header)
        errors.extend(RowError(number, message) for message in problems)
        code = _code(_cell(cells, columns["code"]))
        if _code_problem(code) is None:  # also for a row with other problems, so its twin is reported
            if code in first_seen:
                first_row, first_name = first_seen[code]
                errors.append(
                    RowError(number, f"duplicate code {code!r}, first on row {first_row} ({first_name})")
                )
                continue
            first_seen[code] = (number, _cell(cells, columns["name"]))
        if found:
            rows.append(found)
    return rows, errors


def _parse_row(
    number: int, cells: list[str], columns: dict[str, int], header: list[str]
) -> tuple[SiteRow | None, list[str]]:
    """Build one row, or return its problems."""
    problems = [
        f"value {clean(cell)!r} in column {column_letter(index + 1)}, which has no header"
        for index, cell in enumerate(cells)
        if clean(cell) and (index >= len(header) or not clean(header[index]))
    ]
    value = {field: _cell(cells, index) for field, index in columns.items()}
    code = _code(value["code"])
    code_problem = _code_problem(code)
    name, url, organizer = value["name"], value["url"], value.get("organizer", "")
    problems += [p for p in (code_problem, _text_problem("name", name, required=True)) if p]
    problems += [p for p in (_url_problem(url), _text_problem("organizer", organizer)) if p]
    raw_level = value.get("level", "")
    level = LEVEL_NAMES.get(raw_level.lower()) if raw_level else None
    if raw_level and level is None:
        problems.append(f"level {raw_level!r} must be department, city or county (or 部门, 市级, 县级)")
    raw_enabled = value.get("enabled", "")
    enabled = ENABLED_VALUES.get(raw_enabled.lower()) if raw_enabled else True
    if enabled is None:
        problems.append(f"enabled {raw_enabled!r} must be one of 1/0, true/false, yes/no, y/n, 是/否")
    domains: list[str] = []
    for domain in _DOMAIN_SEP.split(value.get("domains", "").lower()):
        if domain and not _HOST.fullmatch(domain):
            problems.append(f"domain {domain!r} must be a bare host name such as www.example.gov.cn")
        elif domain and domain not in domains:
            domains.append(domain)
    contact = split_contacts(value["contact"]) if "contact" in value else None  # no column: keep them
    problems += contact_problems(contact or ())
    platform = value.get("platform") if "platform" in value else None  # no column: keep the stored one
    if platform and len(platform) > MAX_PLATFORM:
        problems.append(f"platform is longer than {MAX_PLATFORM} characters")
    if problems or enabled is None:
        return None, problems
    return SiteRow(
        code=code,
        name=name,
        url=url,
        level=level or _infer_level(code),
        organizer=organizer or None,
        domains=tuple(domains),
        enabled=enabled,
        row=number,
        contact=contact,
        platform=platform,
    ), []


def _cell(cells: list[str], index: int) -> str:
    return clean(cells[index]) if index < len(cells) else ""  # XLSX rows end at their last value


def _code(cell: str) -> str:
    code = unicodedata.normalize("NFKC", clean(cell))  # full-width digits typed with a Chinese IME
    return "bm" + code[2:] if code[:2].lower() == "bm" else code  # BM07000001 is bm07000001


def _code_problem(code: str) -> str | None:
    """Check a 网站标识码: 10 digits starting with a plausible GB/T 2260 division code, or ``bm`` + 8 digits.

    The division check is deliberately coarse: a real province (11-65), prefecture digits 00, 01-70
    or 90 (province-administered counties), and a province code (XX00) must end in 00. State Council
    departments' sites (国务院部门) carry ``bm`` and 8 digits (``bm07000001``), with no division.
    """
    if not code:
        return "code is empty"
    if code.startswith("bm"):
        return (
            None
            if _CODE.fullmatch(code)
            else f"code {code!r} must be bm and 8 digits (a State Council department)"
        )
    if not _CODE.fullmatch(code):
        hint = " (a number Excel shortened? format the column as text)" if _SCIENTIFIC.fullmatch(code) else ""
        return f"code {code!r} must be 10 digits{hint}"
    province, prefecture, county = code[:2], code[2:4], code[4:6]
    if province not in PROVINCES:
        return f"code {code!r}: {province} is not a province-level division code (GB/T 2260)"
    if prefecture != "00" and not ("01" <= prefecture <= "70" or prefecture == "90"):
        return f"code {code!r}: {code[:6]} is not a GB/T 2260 division code (prefecture digits {prefecture})"
    if prefecture == "00" and county != "00":
        return f"code {code!r}: {code[:6]} is not a GB/T 2260 division code (a province code ends in 0000)"
    return None


def _infer_level(code: str) -> SiteLevel:
    """State Council (bm…) or province division (450000) -> department, prefecture (451000) -> city, else county."""
    division = code[:6]
    if code.startswith("bm") or division.endswith("0000"):
        return SiteLevel.DEPARTMENT
    return SiteLevel.CITY if division.endswith("00") else SiteLevel.COUNTY


def _text_problem(field: str, text: str, *, required: bool = False) -> str | None:
    if required and not text:
        return f"{field} is empty"
    return f"{field} is longer than {MAX_TEXT} characters" if len(text) > MAX_TEXT else None


def _url_problem(url: str) -> str | None:
    if not url:
        return "url is empty"
    if len(url) > MAX_URL:
        return f"url is longer than {MAX_URL} characters"
    if _URL_SPACE_OR_CONTROL.search(url):
        return f"url {url!r} contains spaces or control characters"
    try:
        parts = urlsplit(url)
        _ = parts.port  # raises ValueError on a bad port
    except ValueError as exc:
        return f"url {url!r} is not a valid URL ({exc})"
    if parts.scheme.lower() not in ("http", "https"):
        return f"url {url!r} must start with http:// or https://"
    if "@" in parts.netloc:
        return f"url {url!r} must not contain a user name or password"
    host = parts.hostname or ""
    if not host:
        return f"url {url!r} has no host"
    if ":" not in host and not _HOST.fullmatch(host):  # ':' only in a bracketed IPv6 address
        return f"url {url!r} has an invalid host {host!r}"
    return None
