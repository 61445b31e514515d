"""Write export records as JSONL, CSV (UTF-8 with BOM) or XLSX, with formula-looking text neutralised."""

from __future__ import annotations

import csv
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from models.queries import COLUMN_FIELDS, EXPORT_FIELDS

if TYPE_CHECKING:
    from openpyxl import Workbook

    from pipelines.scorecards import ExportBundle

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
FORMATS = ("jsonl", "csv", "xlsx")


def neutralise(value: Any) -> Any:
    """Text a spreadsheet would run as a formula gets a leading apostrophe; other values pass."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def cell(value: Any) -> Any:
    """A record value as one spreadsheet cell: lists joined with |, text neutralised."""
    if isinstance(value, list | tuple):
        value = "|".join(str(v) for v in value)
    return neutralise(value)


def write_jsonl(path: Path, records: Sequence[Mapping[str, Any]]) -> None:
    with path.open("w", encoding="utf-8") as out:
        for record in records:
            out.write(json.dumps(record, ensure_ascii=False) + "\n")


def write_csv(path: Path, records: Sequence[Mapping[str, Any]], fields: Sequence[str]) -> None:
    with path.open("w", encoding="utf-8-sig", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(fields)
        for record in records:
            writer.writerow(["" if record.get(f) is None else cell(record.get(f)) for f in fields])


def add_sheet(book: Workbook, title: str, records: Sequence[Mapping[str, Any]], fields: Sequence[str]) -> None:
    """A sheet with a frozen, filtered header row and column widths fitted to the text."""
    from openpyxl.utils import get_column_letter

    sheet = book.create_sheet(title)
    sheet.append(list(fields))
    for record in records:
        sheet.append([cell(record.get(f)) for f in fields])
    sheet.freeze_panes = "A2"
    if records:
        sheet.auto_filter.ref = sheet.dimensions
    for index, field in enumerate(fields, start=1):
        values = [field, *(str(cell(r.get(field)) or "") for r in records[:200])]
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
