"""Write export records as JSONL, CSV (UTF-8 with BOM) or XLSX, with formula-looking text neutralised.

Every CSV or XLSX cell the project writes goes through ``csv_cell`` or ``xlsx_cell``: a hostile link
text can neither run as a formula nor break the file (control characters, 200 KB values).
"""

from __future__ import annotations

import csv
import functools
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from models.queries import COLUMN_FIELDS, EXPORT_FIELDS

if TYPE_CHECKING:
    from openpyxl import Workbook

    from pipelines.scorecards import ExportBundle

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
FORMATS = ("jsonl", "csv", "xlsx")
XLSX_CELL_MAX = 32_767  # characters Excel keeps in a cell (openpyxl cuts silently beyond)
# Python's csv reads at most 131,072 characters per field (csv.field_size_limit): stay well below
CSV_FIELD_MAX = 32_000
CUT_MARKER = "…[cut: {} characters in all]"
# C0 controls but tab and newline (an escape sequence in a terminal, a NUL in a C reader), and lone
# surrogates, which no UTF-8 file can hold
_CSV_ILLEGAL = re.compile(r"[\x00-\x08\x0b-\x1f\ud800-\udfff]")


@functools.cache
def _xlsx_illegal() -> re.Pattern[str]:
    """openpyxl's ILLEGAL_CHARACTERS_RE, plus what lxml refuses when saving (U+FFFE, U+FFFF, surrogates)."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE  # on use, as write_xlsx

    return re.compile(ILLEGAL_CHARACTERS_RE.pattern + r"|[\ud800-\udfff\ufffe\uffff]")


def neutralise(value: Any) -> Any:
    """Text a spreadsheet would run as a formula (``= + - @``, also after leading spaces, or a tab or CR
    first) gets a leading apostrophe; other values pass."""
    if isinstance(value, str) and (
        value.startswith(FORMULA_PREFIXES) or value.lstrip().startswith(FORMULA_PREFIXES)
    ):
        return "'" + value
    return value


def cell(value: Any, *, limit: int = XLSX_CELL_MAX, illegal: re.Pattern[str] | None = None) -> Any:
    """A record value as one spreadsheet cell: lists joined with |, the characters ``illegal`` (default:
    those of XLSX) removed, text neutralised and cut to ``limit`` characters with a visible marker."""
    if isinstance(value, list | tuple):
        value = "|".join(str(v) for v in value)
    if not isinstance(value, str):
        return value
    value = neutralise((illegal or _xlsx_illegal()).sub("", value))  # removed first: "\x00=1+1" is a formula
    if len(value) > limit:
        marker = CUT_MARKER.format(len(value))
        value = value[: limit - len(marker)] + marker
    return value


def xlsx_cell(value: Any) -> Any:
    """A value as an XLSX cell (None stays an empty cell)."""
    return cell(value, limit=XLSX_CELL_MAX, illegal=_xlsx_illegal())


def csv_cell(value: Any) -> Any:
    """A value as a CSV field (None is an empty field)."""
    return "" if value is None else cell(value, limit=CSV_FIELD_MAX, illegal=_CSV_ILLEGAL)


def write_csv_rows(out: TextIO, records: Iterable[Mapping[str, Any]], fields: Sequence[str]) -> None:
    """A header and one row per record, every field through ``csv_cell``: what every CSV output uses."""
    writer = csv.writer(out)
    writer.writerow([csv_cell(f) for f in fields])
    for record in records:
        writer.writerow([csv_cell(record.get(f)) for f in fields])


def write_jsonl(path: Path, records: Sequence[Mapping[str, Any]]) -> None:
    with path.open("w", encoding="utf-8") as out:
        for record in records:
            out.write(json.dumps(record, ensure_ascii=False) + "\n")


def write_csv(path: Path, records: Sequence[Mapping[str, Any]], fields: Sequence[str]) -> None:
    with path.open("w", encoding="utf-8-sig", newline="") as out:
        write_csv_rows(out, records, fields)


def add_sheet(
    book: Workbook, title: str, records: Sequence[Mapping[str, Any]], fields: Sequence[str]
) -> None:
    """A sheet with a frozen, filtered header row and column widths fitted to the text."""
    from openpyxl.utils import get_column_letter

    sheet = book.create_sheet(title)
    sheet.append([xlsx_cell(f) for f in fields])
    for record in records:
        sheet.append([xlsx_cell(record.get(f)) for f in fields])
    sheet.freeze_panes = "A2"
    if records:
        sheet.auto_filter.ref = sheet.dimensions
    for index, field in enumerate(fields, start=1):
        values = [field, *(str(xlsx_cell(r.get(field)) or "")[:100] for r in records[:200])]  # width <= 60
        width = max(_display_width(v) for v in values)
        sheet.column_dimensions[get_column_letter(index)].width = min(max(width + 2, 8), 60)


def write_xlsx(path: Path, sheets: Sequence[tuple[str, Sequence[Mapping[str, Any]], Sequence[str]]]) -> None:
    from openpyxl import Workbook  # imported on use: every scrapy command loads this module (~130 ms, 10 MB)

    book = Workbook()
    book.remove(book.active)  # type: ignore[arg-type]
    for title, records, fields in sheets:
        add_sheet(book, title, records, fields)
    book.save(path)


def write_bundle(path: Path, fmt: str, bundle: ExportBundle) -> list[Path]:
    """Write an export: XLSX as one workbook (findings, scores, columns sheets); JSONL or CSV as the findings
    in ``path`` and the scores and columns beside it (``path`` stem + ``.scores`` / ``.columns``).

    Returns the files written, ``path`` first.
    """
    scores = bundle.scores
    score_fields = list(scores[0]) if scores else ["site_code"]
    tables = (("findings", bundle.findings, EXPORT_FIELDS), ("scores", scores, score_fields),
              ("columns", bundle.columns, COLUMN_FIELDS))  # fmt: skip
    if fmt == "xlsx":
        write_xlsx(path, tables)
        return [path]
    files = [path] + [path.with_name(f"{path.stem}.{name}{path.suffix}") for name, _, _ in tables[1:]]
    for file, (_, records, fields) in zip(files, tables, strict=True):
        if fmt == "jsonl":
            write_jsonl(file, records)
        else:
            write_csv(file, records, fields)
    return files


def _display_width(text: str) -> int:
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)
