"""Read and validate a site-registry file (CSV or XLSX) for ``scrapy sites import`` (README: Commands).

Pure: every row is checked and all problems are collected before anything is returned. A hostile file
(a zip bomb, a flood of rows, columns or characters, mixed encodings) is refused by the limits below.
"""

from __future__ import annotations

import csv
import io
import os
import re
import warnings
import zipfile
from pathlib import Path

from pipelines.rules.sitefile.cells import MiB, cell_text, clean, column_letter, size_text
from pipelines.rules.sitefile.decode import decode
from pipelines.rules.sitefile.model import NOT_A_TABLE, RowError, SiteFileError, SiteRow, Unreadable
from pipelines.rules.sitefile.rows import (
    ENABLED_VALUES,
    HEADER_ALIASES,
    LEVEL_NAMES,
    MAX_TEXT,
    MAX_URL,
    OPTIONAL_COLUMNS,
    PROVINCES,
    REQUIRED_COLUMNS,
    validate,
)

__all__ = [  # the rows, errors and tables of the sitefile modules are used from here
    "ENABLED_VALUES",
    "HEADER_ALIASES",
    "LEVEL_NAMES",
    "MAX_TEXT",
    "MAX_URL",
    "NOT_A_TABLE",
    "OPTIONAL_COLUMNS",
    "PROVINCES",
    "REQUIRED_COLUMNS",
    "MiB",
    "RowError",
    "SiteFileError",
    "SiteRow",
    "parse_site_file",
    "read_site_file",
]

# Limits on a registry file, each named in the error it gives. The nation has about 14,000 sites; a
# 100,000-site registry is about 10 MB as CSV and 4 MB as XLSX (62 MB unpacked, 16 times its packed size).
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

_NON_SPACE = re.compile(r"\S")
_LINE_END = re.compile(r"[\r\n]")
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+")


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
        rows, errors = validate(table, is_csv)
    except Unreadable as exc:
        raise SiteFileError(name, exc.errors) from None
    if errors:
        raise SiteFileError(name, errors)
    return rows


def _read_table(name: str, data: bytes) -> tuple[list[tuple[int, list[str]]], bool]:
    """Return ``(row number, cells)`` for every row with a value, and whether the file is CSV."""
    if len(data) > MAX_FILE_BYTES:
        raise Unreadable(f"the file is larger than the limit MAX_FILE_BYTES = {size_text(MAX_FILE_BYTES)}")
    if data.startswith(b"PK\x03\x04"):
        return _xlsx_table(data), False
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise Unreadable(f"{NOT_A_TABLE}: this is an old .xls workbook; save it as .xlsx or CSV")
    if Path(name).suffix.lower() in (".xlsx", ".xlsm"):
        raise Unreadable(f"{NOT_A_TABLE}: the name says XLSX but the content is not a workbook")
    return _csv_table(decode(data)), True


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
        raise Unreadable(f"malformed CSV: {exc}", number + 1) from None
    except _RecordTooLong:
        raise Unreadable(
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
            raise Unreadable(
                f"more rows than a spreadsheet holds (SHEET_MAX_ROWS = {SHEET_MAX_ROWS:,})", number
            )
        if len(cells) > MAX_COLUMNS:
            extra = next((i for i in range(len(cells) - 1, MAX_COLUMNS - 1, -1) if clean(cells[i])), None)
            if extra is not None:
                raise Unreadable(
                    f"a value in column {column_letter(extra + 1)}, beyond the limit MAX_COLUMNS = {MAX_COLUMNS}",
                    number,
                )
            del cells[MAX_COLUMNS:]  # only empty fields: Excel pads rows as wide as the widest one
        for index, cell in enumerate(cells):
            if len(cell) > MAX_FIELD_CHARS:
                raise Unreadable(
                    f"the value in column {column_letter(index + 1)} has {len(cell):,} characters, more than "
                    f"the limit MAX_FIELD_CHARS = {MAX_FIELD_CHARS:,}",
                    number,
                )
        if not any(clean(c) for c in cells):
            return  # a blank row is skipped: it costs no memory, whatever their number
        if len(self.rows) > MAX_ROWS:  # the header and MAX_ROWS rows are in
            raise Unreadable(f"more than the limit MAX_ROWS = {MAX_ROWS:,} rows after the header", number)
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
                    raise Unreadable("the workbook has no worksheet")
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
                    table.add(number, [cell_text(v) for v in values[:end]])
                return table.rows
            finally:
                book.close()
    except Unreadable:
        raise
    except Exception as exc:  # noqa: BLE001 - openpyxl raises all kinds of errors on a damaged zip or XML
        raise Unreadable(f"{NOT_A_TABLE}: cannot open it as XLSX ({type(exc).__name__}: {exc})") from None


def _check_zip(data: bytes) -> None:
    """Refuse a zip bomb from the zip's directory: entries, unpacked sizes, compression ratios.

    zipfile stops unpacking an entry at its declared size, so the declared sizes bound the memory.
    """
    bomb = "the workbook looks like a zip bomb"
    # ZipFile reads the whole directory first: count its entries' signatures before (a few false hits at most)
    if data.count(b"PK\x01\x02") > XLSX_MAX_ENTRIES:
        raise Unreadable(f"{bomb}: more files in it than the limit XLSX_MAX_ENTRIES = {XLSX_MAX_ENTRIES:,}")
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        entries = archive.infolist()
    if len(entries) > XLSX_MAX_ENTRIES:
        raise Unreadable(
            f"{bomb}: {len(entries):,} files in it, more than the limit XLSX_MAX_ENTRIES = {XLSX_MAX_ENTRIES:,}"
        )
    for entry in entries:
        if entry.file_size > XLSX_MAX_ENTRY_BYTES:
            raise Unreadable(
                f"{bomb}: {entry.filename} unpacks to {size_text(entry.file_size)}, more than the limit "
                f"XLSX_MAX_ENTRY_BYTES = {size_text(XLSX_MAX_ENTRY_BYTES)}"
            )
        ratio = entry.file_size / max(entry.compress_size, 1)
        if entry.file_size > XLSX_RATIO_FROM and ratio > XLSX_MAX_RATIO:
            raise Unreadable(
                f"{bomb}: {entry.filename} unpacks to {ratio:,.0f} times its packed size, more than the limit "
                f"XLSX_MAX_RATIO = {XLSX_MAX_RATIO}"
            )
    total = sum(entry.file_size for entry in entries)
    if total > XLSX_MAX_TOTAL_BYTES:
        raise Unreadable(
            f"{bomb}: it unpacks to {size_text(total)}, more than the limit XLSX_MAX_TOTAL_BYTES = "
            f"{size_text(XLSX_MAX_TOTAL_BYTES)}"
        )


def _check_dimension(rows: int | None, columns: int | None) -> None:
    """Refuse a sheet whose stored <dimension> already exceeds MAX_ROWS or MAX_COLUMNS."""
    if rows is not None and rows > MAX_ROWS + 1:
        raise Unreadable(
            f"the sheet declares {rows:,} rows, more than the limit MAX_ROWS = {MAX_ROWS:,} rows after the header"
        )
    if columns is not None and columns > MAX_COLUMNS:
        raise Unreadable(
            f"the sheet declares {columns:,} columns (up to {column_letter(columns)}), more than the limit "
            f"MAX_COLUMNS = {MAX_COLUMNS}"
        )
