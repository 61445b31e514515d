"""Cell helpers of the site-registry reader: a cell's text, trimmed values, column letters, sizes."""

from __future__ import annotations

import re
from datetime import date, time

MiB = 1024 * 1024
_EDGE = re.compile(r"^[\s\ufeff\u200b-\u200d\u2060]+|[\s\ufeff\u200b-\u200d\u2060]+$")


def size_text(n: int) -> str:
    return f"{n / MiB:,.0f} MiB" if n >= MiB else f"{n:,} bytes"


def cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # a code typed as a number: 4510000031.0 -> "4510000031"
    if isinstance(value, date | time):
        return value.isoformat()
    return str(value)


def clean(text: str) -> str:
    return _EDGE.sub("", text)


def column_letter(number: int) -> str:
    """Spreadsheet column name: 1 → A, 27 → AA."""
    letters = ""
    while number:
        number, rest = divmod(number - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters
