"""Read and validate a site-registry file (CSV or XLSX) for ``scrapy sites import`` (README: Commands).

Pure: every row is checked and all problems are collected before anything is returned. A hostile file
(a zip bomb, a flood of rows, columns or characters, mixed encodings) is refused by the limits below.
"""

from __future__ import annotations

import csv
import io
import os
import re
import unicodedata
import warnings
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, time
from pathlib import Path
from urllib.parse import urlsplit

from models.errors import GovHealthError
from pipelines.rules.kinds import SiteLevel

REQUIRED_COLUMNS = ("code", "name", "url")
OPTIONAL_COLUMNS = ("level", "organizer", "domains", "enabled")
HEADER_ALIASES = {
    "网站标识码": "code", "网站名称": "name", "网址": "url", "首页地址": "url", "级别": "level",
    "主办单位": "organizer", "域名": "domains", "启用": "enabled", "是否启用": "enabled",
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
NOT_A_TABLE = "not a CSV or XLSX file"

# Limits on a registry file, each named in the error it gives. The nation has about 14,000 sites; a
# 100,000-site registry is about 10 MB as CSV and 4 MB as XLSX (62 MB unpacked, 16 times its packed size).
MiB = 1024 * 1024
MAX_FILE_BYTES = 64 * MiB  # bytes read of a CSV or XLSX file
MAX_ROWS = 100_000  # rows with a value after the header
MAX_COLUMNS = 50  # columns of a row; a value in the next one is an error, XLSX reads no further
MAX_FIELD_CHARS = 8_192  # characters of one value (the longest valid one is a URL of MAX_URL)
MAX_ROW_CHARS = 65_536  # characters of one CSV record, read before the csv module splits it
SHEET_MAX_ROWS = 1_048_576  # Excel's last row: no spreadsheet saves a row (even a blank one) beyond it
XLSX_MAX_ENTRIES = 1_000  # files in the XLSX zip (a workbook has about 10)
XLSX_MAX_ENTRY_BYTES = 128 * MiB  # unpacked size of one file in the zip
XLSX_MAX_TOTAL_BYTES = 256 * MiB  # unpacked size of all files in the zip
XLSX_MAX_RATIO = 100  # unpacked / packed size of a file over XLSX_RATIO_FROM bytes (Apache POI's default)
XLSX_RATIO_FROM = 1 * MiB  # smaller files may compress better: they cannot hurt

_EDGE = re.compile(r"^[\s\ufeff\u200b-\u200d\u2060]+|[\s\ufeff\u200b-\u200d\u2060]+$")
_CODE = re.compile(r"[0-9]{10}")
_SCIENTIFIC = re.compile(r"[0-9.]+[eE][+-]?[0-9]+")
_HOST = re.compile(r"(?:[\w-]+\.)*[\w-]+\.?")
_DOMAIN_SEP = re.compile(r"[|,;，；、\s]+")
_BINARY = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SEGMENT_SEP = re.compile(rb"[,\t\r]")  # never inside a UTF-8 or GBK multi-byte character
_URL_SPACE_OR_CONTROL = re.compile(r"[\s\x00-\x1f\x7f-\x9f]")  # str.isspace() or category Cc
_NON_SPACE = re.compile(r"\S")
_LINE_END = re.compile(r"[\r\n]")
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+")
_WIDE = re.compile(r"[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef]")  # CJK and full-width text


@dataclass(frozen=True)
class SiteRow:
    """One validated site of a registry file."""

    code: str
    name: str
    url: str
    level: SiteLevel
    organizer: str | None
    domains: tuple[str, ...]
    enabled: bool
    row: int


@dataclass(frozen=True)
class RowError:
    """One problem of a registry file; ``row`` is 1-based (header = 1), 0 for the whole file."""

    row: int
    message: str


class SiteFileError(GovHealthError):
    """A registry file that cannot be imported; ``errors`` lists every problem found."""

    def __init__(self, name: str, errors: list[RowError]) -> None:
        self.name = name
        self.errors = errors
        self.lines = [f"row {e.row}: {e.message}" if e.row else e.message for e in errors]
        super().__init__("\n".join([f"{name}: {len(errors)} problem(s)", *self.lines]))

    @property
    def summary(self) -> str:
        """The error for a terminal: one line when there is one problem, else the full listing."""
        return f"{self.name}: {self.lines[0]}" if len(self.lines) == 1 else str(self)


class _Unreadable(Exception):
    """Internal: the file cannot be read as a table at all."""

    def __init__(self, message: str | list[str], row: int = 0) -> None:
        super().__init__(message)
        self.errors = [RowError(row, m) for m in ([message] if isinstance(message, str) else message)]


def read_site_file(path: str | os.PathLike[str]) -> list[SiteRow]:
    """Read and validate a registry file from disk.

    Raises:
        SiteFileError: the file cannot be read, or any row is invalid.
    """
    name = os.fspath(path)
    try:
        with Path(path).open("rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)  # a huge file (or /dev/zero) is never read whole
    except OSError as exc:
        raise SiteFileError(name, [RowError(0, f"cannot read the file: {exc.strerror or exc}")]) from exc
    return parse_site_file(name, data)


def parse_site_file(name: str, data: bytes) -> list[SiteRow]:
    """Parse and validate registry-file content; ``name`` picks the format and labels errors.

    A zip (``PK``) is read as XLSX, a ``.xlsx``/``.xlsm`` name that is no zip is rejected, anything else
    is read as CSV (UTF-8 with or without BOM, else GBK; comma-separated, or tab-separated when the
    first line has tabs and no comma). The whole file must be in one encoding, and within the limits
    ``MAX_*`` (both formats) and ``XLSX_MAX_*`` (the XLSX zip).

    Returns:
        The rows in file order.

    Raises:
        SiteFileError: listing every problem, if there is any.
    """
    try:
        table, is_csv = _read_table(name, data)
        rows, errors = _validate(table, is_csv)
    except _Unreadable as exc:
        raise SiteFileError(name, exc.errors) from None
    if errors:
        raise SiteFileError(name, errors)
    return rows


def _read_table(name: str, data: bytes) -> tuple[list[tuple[int, list[str]]], bool]:
    """Return ``(row number, cells)`` for every row with a value, and whether the file is CSV."""
    if len(data) > MAX_FILE_BYTES:
        raise _Unreadable(f"the file is larger than the limit MAX_FILE_BYTES = {_size(MAX_FILE_BYTES)}")
    if data.startswith(b"PK\x03\x04"):
        return _xlsx_table(data), False
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise _Unreadable(f"{NOT_A_TABLE}: this is an old .xls workbook; save it as .xlsx or CSV")
    if Path(name).suffix.lower() in (".xlsx", ".xlsm"):
        raise _Unreadable(f"{NOT_A_TABLE}: the name says XLSX but the content is not a workbook")
    return _csv_table(_decode(data)), True


def _decode(data: bytes) -> str:
    if not data.strip():
        raise _Unreadable("the file is empty")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise _Unreadable(f"{NOT_A_TABLE}: it is UTF-16 text; save it as CSV (UTF-8)")
    if b"\x00" in data:
        raise _Unreadable(f"{NOT_A_TABLE}: it contains binary data (NUL bytes)")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = _decode_gbk(data)
    if _BINARY.search(text):
        raise _Unreadable(f"{NOT_A_TABLE}: it contains binary data (control characters)")
    return text


def _decode_gbk(data: bytes) -> str:
    """Decode a file that is not UTF-8 as GBK (GB18030), strictly and only if none of it is UTF-8 text.

    A file saved partly from a UTF-8 and partly from a GBK tool decodes as GB18030 with the UTF-8 names
    turned into mojibake (百色 -> 鐧捐壊), so a value that is valid UTF-8 Chinese text counts as not GBK.
    """
    not_utf8, not_gbk = _LineNumbers(), _LineNumbers()
    for number, line in enumerate(_byte_lines(data), 1):
        if line.isascii():
            continue
        try:
            utf8: str | None = line.decode("utf-8")
        except UnicodeDecodeError:
            utf8 = None
            not_utf8.add(number)
        try:
            line.decode("gb18030")
            gbk = not (_WIDE.search(utf8) if utf8 is not None else _has_utf8_text(line))
        except UnicodeDecodeError:
            gbk = False
        if not gbk:
            not_gbk.add(number)
    single = b"\n" not in data.rstrip()  # line numbers would say nothing
    if data.startswith(b"\xef\xbb\xbf"):
        where = "" if single else f" ({not_utf8})"
        raise _Unreadable(f"{NOT_A_TABLE}: it starts with a UTF-8 BOM but is not valid UTF-8{where}")
    if not not_gbk:
        return data.decode("gb18030")
    if single:
        raise _Unreadable(f"{NOT_A_TABLE}: the text is neither UTF-8 nor GBK")
    raise _Unreadable(
        f"the text is neither UTF-8 nor GBK: not valid UTF-8 ({not_utf8}) nor GBK ({not_gbk}); "
        "save the whole file in one encoding, UTF-8 preferably"
    )


def _byte_lines(data: bytes) -> Iterator[bytes]:
    """The lines of ``data`` one by one (a list of 64 million empty lines would take 512 MB)."""
    start = 0
    while (end := data.find(b"\n", start)) != -1:
        yield data[start:end]
        start = end + 1
    yield data[start:]


def _has_utf8_text(line: bytes) -> bool:
    """Whether a line that is not UTF-8 as a whole has a value that is valid UTF-8 Chinese text."""
    for value in _SEGMENT_SEP.split(line):
        if not value.isascii():
            try:
                if _WIDE.search(value.decode("utf-8")):
                    return True
            except UnicodeDecodeError:
                continue
    return False


class _LineNumbers:
    """Line numbers for a message: the first ten and how many more."""

    SHOWN = 10

    def __init__(self) -> None:
        self.first: list[int] = []
        self.count = 0

    def add(self, number: int) -> None:
        self.count += 1
        if len(self.first) < self.SHOWN:
            self.first.append(number)

    def __bool__(self) -> bool:
        return self.count > 0

    def __str__(self) -> str:
        more = f" and {self.count - len(self.first):,} more" if self.count > len(self.first) else ""
        return ("line " if self.count == 1 else "lines ") + ", ".join(map(str, self.first)) + more


def _csv_table(text: str) -> list[tuple[int, list[str]]]:
    first = _first_line(text)
    delimiter = "\t" if "\t" in first and "," not in first else ","
    source = _RecordLines(text)
    # strict: an unbalanced quote is an error, not a field swallowing the rest of the file
    reader = csv.reader(source, delimiter=delimiter, strict=True)
    table = _Table()
    number = 0
    try:
        for number, cells in enumerate(reader, 1):
            source.record_chars = 0
            table.add(number, cells)
    except csv.Error as exc:
        raise _Unreadable(f"malformed CSV: {exc}", number + 1) from None
    except _RecordTooLong:
        raise _Unreadable(
            f"longer than the limit MAX_ROW_CHARS = {MAX_ROW_CHARS:,} characters", number + 1
        ) from None
    return table.rows


def _first_line(text: str) -> str:
    """The first line that is not blank (without splitting a text of millions of blank lines)."""
    found = _NON_SPACE.search(text)
    if found is None:
        return ""
    start = max(text.rfind("\n", 0, found.start()), text.rfind("\r", 0, found.start())) + 1
    end = _LINE_END.search(text, found.start())
    return text[start : end.start() if end else len(text)]


class _RecordTooLong(Exception):
    """Internal: a CSV record is longer than MAX_ROW_CHARS."""


class _RecordLines:
    """The lines of a CSV text for csv.reader, refusing a record longer than MAX_ROW_CHARS.

    csv.reader builds a whole record before returning it: a 64 MiB line of commas would be 64 million
    fields, so the characters are counted as the reader pulls the lines of one record.
    """

    def __init__(self, text: str) -> None:
        self.lines = _LINE.finditer(text)  # \r\n, \n or \r kept, as io.StringIO(text, newline="") gives them
        self.record_chars = 0

    def __iter__(self) -> _RecordLines:
        return self

    def __next__(self) -> str:
        line = next(self.lines).group()
        self.record_chars += len(line)
        if self.record_chars > MAX_ROW_CHARS:
            raise _RecordTooLong
        return line


class _Table:
    """The rows with a value of a CSV file or sheet, within MAX_ROWS, MAX_COLUMNS and MAX_FIELD_CHARS."""

    def __init__(self) -> None:
        self.rows: list[tuple[int, list[str]]] = []

    def add(self, number: int, cells: list[str]) -> None:
        if number > SHEET_MAX_ROWS:
            raise _Unreadable(
                f"more rows than a spreadsheet holds (SHEET_MAX_ROWS = {SHEET_MAX_ROWS:,})", number
            )
        if len(cells) > MAX_COLUMNS:
            extra = next((i for i in range(len(cells) - 1, MAX_COLUMNS - 1, -1) if _clean(cells[i])), None)
            if extra is not None:
                raise _Unreadable(
                    f"a value in column {_column_letter(extra + 1)}, beyond the limit MAX_COLUMNS = {MAX_COLUMNS}",
                    number,
                )
            del cells[MAX_COLUMNS:]  # only empty fields: Excel pads rows as wide as the widest one
        for index, cell in enumerate(cells):
            if len(cell) > MAX_FIELD_CHARS:
                raise _Unreadable(
                    f"the value in column {_column_letter(index + 1)} has {len(cell):,} characters, more than "
                    f"the limit MAX_FIELD_CHARS = {MAX_FIELD_CHARS:,}",
                    number,
                )
        if not any(_clean(c) for c in cells):
            return  # a blank row is skipped: it costs no memory, whatever their number
        if len(self.rows) > MAX_ROWS:  # the header and MAX_ROWS rows are in
            raise _Unreadable(f"more than the limit MAX_ROWS = {MAX_ROWS:,} rows after the header", number)
        self.rows.append((number, cells))


def _xlsx_table(data: bytes) -> list[tuple[int, list[str]]]:
    try:
        with warnings.catch_warnings():  # unsupported-extension warnings do not affect cell values
            warnings.simplefilter("ignore")
            from openpyxl import load_workbook  # on use: ~130 ms at start-up

            _check_zip(data)  # before openpyxl unpacks anything
            book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
            try:
                if not book.worksheets:
                    raise _Unreadable("the workbook has no worksheet")
                sheet = book.worksheets[0]
                _check_dimension(sheet.max_row, sheet.max_column)
                sheet.reset_dimensions()  # a wrong stored <dimension> would silently cut rows off
                # max_col: a cell in column XFD would make every row 16,384 values wide
                rows = sheet.iter_rows(max_col=MAX_COLUMNS + 1, values_only=True)
                table = _Table()
                for number, values in enumerate(rows, 1):
                    if values.count(None) == len(values):  # blank: skipped at C speed (a sheet may jump rows)
                        table.add(number, [])
                        continue
                    end = len(values)
                    while end and values[end - 1] is None:
                        end -= 1
                    table.add(number, [_cell_text(v) for v in values[:end]])
                return table.rows
            finally:
                book.close()
    except _Unreadable:
        raise
    except Exception as exc:  # noqa: BLE001 - openpyxl raises all kinds of errors on a damaged zip or XML
        raise _Unreadable(f"{NOT_A_TABLE}: cannot open it as XLSX ({type(exc).__name__}: {exc})") from None


def _check_zip(data: bytes) -> None:
    """Refuse a zip bomb from the zip's directory: entries, unpacked sizes, compression ratios.

    zipfile stops unpacking an entry at its declared size, so the declared sizes bound the memory.
    """
    bomb = "the workbook looks like a zip bomb"
    # ZipFile reads the whole directory first: count its entries' signatures before (a few false hits at most)
    if data.count(b"PK\x01\x02") > XLSX_MAX_ENTRIES:
        raise _Unreadable(f"{bomb}: more files in it than the limit XLSX_MAX_ENTRIES = {XLSX_MAX_ENTRIES:,}")
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        entries = archive.infolist()
    if len(entries) > XLSX_MAX_ENTRIES:
        raise _Unreadable(
            f"{bomb}: {len(entries):,} files in it, more than the limit XLSX_MAX_ENTRIES = {XLSX_MAX_ENTRIES:,}"
        )
    for entry in entries:
        if entry.file_size > XLSX_MAX_ENTRY_BYTES:
            raise _Unreadable(
                f"{bomb}: {entry.filename} unpacks to {_size(entry.file_size)}, more than the limit "
                f"XLSX_MAX_ENTRY_BYTES = {_size(XLSX_MAX_ENTRY_BYTES)}"
            )
        ratio = entry.file_size / max(entry.compress_size, 1)
        if entry.file_size > XLSX_RATIO_FROM and ratio > XLSX_MAX_RATIO:
            raise _Unreadable(
                f"{bomb}: {entry.filename} unpacks to {ratio:,.0f} times its packed size, more than the limit "
                f"XLSX_MAX_RATIO = {XLSX_MAX_RATIO}"
            )
    total = sum(entry.file_size for entry in entries)
    if total > XLSX_MAX_TOTAL_BYTES:
        raise _Unreadable(
            f"{bomb}: it unpacks to {_size(total)}, more than the limit XLSX_MAX_TOTAL_BYTES = "
            f"{_size(XLSX_MAX_TOTAL_BYTES)}"
        )


def _check_dimension(rows: int | None, columns: int | None) -> None:
    """Refuse a sheet whose stored <dimension> already exceeds MAX_ROWS or MAX_COLUMNS."""
    if rows is not None and rows > MAX_ROWS + 1:
        raise _Unreadable(
            f"the sheet declares {rows:,} rows, more than the limit MAX_ROWS = {MAX_ROWS:,} rows after the header"
        )
    if columns is not None and columns > MAX_COLUMNS:
        raise _Unreadable(
            f"the sheet declares {columns:,} columns (up to {_column_letter(columns)}), more than the limit "
            f"MAX_COLUMNS = {MAX_COLUMNS}"
        )


def _size(n: int) -> str:
    return f"{n / MiB:,.0f} MiB" if n >= MiB else f"{n:,} bytes"


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # a code typed as a number: 4510000031.0 -> "4510000031"
    if isinstance(value, date | time):
        return value.isoformat()
    return str(value)


def _clean(text: str) -> str:
    return _EDGE.sub("", text)


def _header(header: list[str], row: int) -> dict[str, int]:
    """Map field names to cell indexes; raise if the header is unusable."""
    allowed = ", ".join(REQUIRED_COLUMNS) + " and optionally " + ", ".join(OPTIONAL_COLUMNS)
    if _CODE.fullmatch(_code(header[0])):
        raise _Unreadable(f"no header row: row {row} starts with a site code; the header must name {allowed}")
    columns: dict[str, int] = {}
    problems: list[str] = []
    for index, cell in enumerate(header):
        label = unicodedata.normalize("NFKC", _clean(cell)).lower()
        if not label:
            continue
        field = HEADER_ALIASES.get(label, label)
        if field not in REQUIRED_COLUMNS + OPTIONAL_COLUMNS:
            problems.append(f"unknown column {_clean(cell)!r} in the header (row {row})")
        elif field in columns:
            problems.append(f"column {field!r} appears twice in the header (row {row})")
        else:
            columns[field] = index
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    if missing:
        problems.append(f"missing column(s) {', '.join(missing)} in the header (row {row})")
    if problems:
        problems[-1] += f"; the header must name {allowed}"
        raise _Unreadable(problems)
    return columns


def _validate(table: list[tuple[int, list[str]]], is_csv: bool) -> tuple[list[SiteRow], list[RowError]]:
    filled = table  # blank rows were skipped while reading
    if not filled:
        raise _Unreadable("the file is empty")
    (header_row, header), body = filled[0], filled[1:]
    columns = _header(header, header_row)
    if not body:
        raise _Unreadable("no data rows: the file has only a header")
    width = max(i for i, cell in enumerate(header) if _clean(cell)) + 1  # Excel may pad the header too
    rows: list[SiteRow] = []
    errors: list[RowError] = []
    first_seen: dict[str, tuple[int, str]] = {}
    for number, cells in body:
        # Excel pads rows with empty trailing fields; a short row or extra values mean shifted columns
        if is_csv and (len(cells) < width or any(_clean(c) for c in cells[width:])):
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
        f"value {_clean(cell)!r} in column {_column_letter(index + 1)}, which has no header"
        for index, cell in enumerate(cells)
        if _clean(cell) and (index >= len(header) or not _clean(header[index]))
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
    ), []


def _cell(cells: list[str], index: int) -> str:
    return _clean(cells[index]) if index < len(cells) else ""  # XLSX rows end at their last value


def _code(cell: str) -> str:
    return unicodedata.normalize("NFKC", _clean(cell))  # full-width digits typed with a Chinese IME


def _code_problem(code: str) -> str | None:
    """Check a 网站标识码: 10 digits starting with a plausible GB/T 2260 division code.

    The division check is deliberately coarse: a real province (11-65), prefecture digits 00, 01-70
    or 90 (province-administered counties), and a province code (XX00) must end in 00.
    """
    if not code:
        return "code is empty"
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
    """Province division (450000) -> department, prefecture (451000) -> city, else county."""
    division = code[:6]
    if division.endswith("0000"):
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


def _column_letter(number: int) -> str:
    """Spreadsheet column name: 1 → A, 27 → AA."""
    letters = ""
    while number:
        number, rest = divmod(number - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters
