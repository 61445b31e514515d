"""Decode a registry CSV file: UTF-8 with or without BOM, else GBK (GB18030), the whole file in one encoding."""

from __future__ import annotations

import re
from collections.abc import Iterator

from pipelines.rules.sitefile.model import NOT_A_TABLE, Unreadable

_BINARY = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SEGMENT_SEP = re.compile(rb"[,\t\r]")  # never inside a UTF-8 or GBK multi-byte character
_WIDE = re.compile(r"[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef]")  # CJK and full-width text


def decode(data: bytes) -> str:
    if not data.strip():
        raise Unreadable("the file is empty")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise Unreadable(f"{NOT_A_TABLE}: it is UTF-16 text; save it as CSV (UTF-8)")
    if b"\x00" in data:
        raise Unreadable(f"{NOT_A_TABLE}: it contains binary data (NUL bytes)")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = _decode_gbk(data)
    if _BINARY.search(text):
        raise Unreadable(f"{NOT_A_TABLE}: it contains binary data (control characters)")
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
        raise Unreadable(f"{NOT_A_TABLE}: it starts with a UTF-8 BOM but is not valid UTF-8{where}")
    if not not_gbk:
        return data.decode("gb18030")
    if single:
        raise Unreadable(f"{NOT_A_TABLE}: the text is neither UTF-8 nor GBK")
    raise Unreadable(
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
