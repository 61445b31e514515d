"""Hostile files: registry bombs and mixed encodings (`scrapy sites import`), and hostile text in every
CSV and XLSX the project writes (formulas, control characters, 200 KB values).

Findings are inserted directly with the models (no crawl); commands run as a user runs them.
"""

from __future__ import annotations

import ast
import csv
import io
import json
import tracemalloc
import zipfile
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

import openpyxl
import pytest
from openpyxl import Workbook
from sqlalchemy import select

from models.column import Column
from models.finding import Finding
from models.run import CrawlRun
from models.session import make_sessionmaker, open_database
from models.site import Site
from pipelines.export import CSV_FIELD_MAX, XLSX_CELL_MAX, csv_cell, neutralise, xlsx_cell
from pipelines.rules import registry
from pipelines.rules.registry import SiteFileError, parse_site_file
from tests.conftest import ROOT, register_site
from tests.crawler.test_commands import scrapy, sites_in

pytestmark = pytest.mark.hostile

HEADER = "code,name,url\n"
SHEET = "xl/worksheets/sheet1.xml"
GOOD_BOOK: list[list[object]] = [
    ["code", "name", "url"],
    ["4510000031", "百色市人民政府", "http://a.example/"],
]
CUT = "…[cut: {} characters in all]"
BAISE_ROW = "4510000031,百色市人民政府,http://a.example/\n"


# ------------------------------------------------------------------------------------------ helpers


def problems(data: bytes, name: str = "sites.csv") -> list[tuple[int, str]]:
    with pytest.raises(SiteFileError) as info:
        parse_site_file(name, data)
    return [(e.row, e.message) for e in info.value.errors]


def workbook(rows: list[list[object]]) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def rezip(data: bytes, sheet_xml: Callable[[IO[bytes]], None] | None = None, extra_files: int = 0) -> bytes:
    """A copy of an XLSX with its first sheet written by ``sheet_xml`` and ``extra_files`` empty files added."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            if info.filename == SHEET and sheet_xml is not None:
                with dst.open(SHEET, "w") as entry:
                    sheet_xml(entry)
            else:
                dst.writestr(info.filename, src.read(info))
        for index in range(extra_files):
            dst.writestr(f"xl/media/image{index}.png", b"")
    return out.getvalue()


def cell_xml(ref: str, value: str | None) -> str:
    return f'<c r="{ref}"/>' if value is None else f'<c r="{ref}" t="inlineStr"><is><t>{value}</t></is></c>'


def row_xml(number: int, *values: str, far: dict[str, str | None] | None = None) -> bytes:
    """A sheet row: ``values`` from column A, then cells at the columns named in ``far``."""
    cells = [cell_xml(f"{chr(65 + i)}{number}", v) for i, v in enumerate(values)]
    cells += [cell_xml(f"{column}{number}", v) for column, v in (far or {}).items()]
    return f'<row r="{number}">{"".join(cells)}</row>'.encode()


def sheet(rows: Iterable[bytes], dimension: str | None = None) -> Callable[[IO[bytes]], None]:
    """A sheet1.xml writer streaming ``rows``, with or without a stored <dimension>."""

    def write(out: IO[bytes]) -> None:
        out.write(b'<?xml version="1.0" encoding="UTF-8"?>')
        out.write(b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">')
        if dimension:
            out.write(f'<dimension ref="{dimension}"/>'.encode())
        out.write(b"<sheetData>")
        for row in rows:
            out.write(row)
        out.write(b"</sheetData></worksheet>")

    return write


def header_and_site() -> list[bytes]:
    return [
        row_xml(1, "code", "name", "url"),
        row_xml(2, "4510000031", "百色市人民政府", "http://a.example/"),
    ]


def zip_bomb() -> bytes:
    """A registry workbook whose sheet unpacks to 50 MiB of rows from about 60 KB (ratio ~900)."""
    empty_rows = b"<row><c/></row>" * 4096  # 60 KiB
    return rezip(workbook(GOOD_BOOK), sheet([*header_and_site(), *[empty_rows] * 850]))


def mixed_encodings() -> bytes:
    """What an office gets by pasting rows from a UTF-8 export into a GBK file (or back)."""
    return b"".join([
        HEADER.encode(),
        "4510000031,百色市人民政府,http://a.example/\n".encode("gbk"),
        "4510280002,乐业县府,http://b.example/\n".encode(),  # 12 UTF-8 bytes: 6 valid GB18030 characters
        "4510300004,西林县人民政府,http://c.example/\n".encode("gbk"),
    ])  # fmt: skip


def add_run(db_url: str, code: str, findings: list[dict[str, Any]], columns: list[dict[str, Any]]) -> None:
    """A finished run of the site ``code`` with these findings and columns, stored directly."""
    engine = open_database(db_url)
    try:
        with make_sessionmaker(engine).begin() as session:
            site = session.scalars(select(Site).where(Site.code == code)).one()
            now = datetime(2026, 11, 20, 1, 30, tzinfo=UTC)
            run = CrawlRun(
                site_id=site.id, finished_at=now, status="complete", close_reason="finished", pages=1
            )
            session.add(run)
            session.flush()
            for index, values in enumerate(findings):
                fingerprint = f"{index:040d}"
                session.add(
                    Finding(
                        run_id=run.id, site_id=site.id, fingerprint=fingerprint, detected_at=now, **values
                    )
                )
            session.add_all(Column(run_id=run.id, **values) for values in columns)
    finally:
        engine.dispose()


# ------------------------------------------------- registry files through `scrapy sites import`

BIG = 64 * 1024 * 1024 + 1

HOSTILE_REGISTRIES: dict[str, tuple[Callable[[], bytes], str]] = {
    "zip-bomb.xlsx": (zip_bomb, "the workbook looks like a zip bomb: xl/worksheets/sheet1.xml unpacks to "),
    "mixed-encodings.csv": (mixed_encodings, "not valid UTF-8 (lines 2, 4) nor GBK (line 3)"),
    "huge-field.csv": (lambda: (HEADER + f"4510000031,{'名' * 200_000},http://a.example/\n").encode(),
                       "row 2: longer than the limit MAX_ROW_CHARS = 65,536 characters"),
    "too-large.csv": (lambda: (HEADER * (BIG // len(HEADER) + 1)).encode(),
                      "the file is larger than the limit MAX_FILE_BYTES = 64 MiB"),
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(HOSTILE_REGISTRIES))
def test_hostile_registry_is_one_error_line_and_writes_nothing(
    name: str, db_url: str, tmp_path: Path
) -> None:
    register_site(db_url, "4509810018", "http://www.beiliu.gov.cn.example/", name="北流市人民政府")
    before = sites_in(db_url)
    make, expected = HOSTILE_REGISTRIES[name]
    path = tmp_path / name
    path.write_bytes(make())
    done = scrapy("sites", "import", str(path), db_url=db_url)
    assert done.returncode == 1, done.stdout[-500:]
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr[-2000:]
    assert lines[0].startswith(f"error: {path}: ") and expected in lines[0], lines[0][:500]
    assert sites_in(db_url) == before


def test_100000_site_registry_imports(db_url: str, tmp_path: Path) -> None:
    path = tmp_path / "nation.csv"
    rows = (
        f"4510{i:06d},测试县人民政府第{i}号网站,http://www.site{i}.gov.cn.example/\n" for i in range(100_000)
    )
    path.write_text(HEADER + "".join(rows), encoding="utf-8")
    done = scrapy("sites", "import", str(path), db_url=db_url)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "imported 100000 sites" in done.stdout and "100000 new" in done.stdout
    assert len(sites_in(db_url)) == 100_000


# ------------------------------------------------------------------ registry limits, in process


def test_one_more_row_than_max_rows_is_refused_while_reading() -> None:
    rows = "".join(f"4510{i:06d},县{i},http://s{i}.example/\n" for i in range(registry.MAX_ROWS + 1))
    assert problems((HEADER + rows).encode()) == [
        (registry.MAX_ROWS + 2, "more than the limit MAX_ROWS = 100,000 rows after the header")
    ]


@pytest.mark.parametrize(
    ("limit", "value", "data", "expected"),
    [
        (None, None, lambda: rezip(workbook(GOOD_BOOK), extra_files=1_000),
         "the workbook looks like a zip bomb: more files in it than the limit XLSX_MAX_ENTRIES = 1,000"),
        (None, None, zip_bomb, " times its packed size, more than the limit XLSX_MAX_RATIO = 100"),
        ("XLSX_MAX_ENTRY_BYTES", 10 * 1024 * 1024, zip_bomb,
         "xl/worksheets/sheet1.xml unpacks to 50 MiB, more than the limit XLSX_MAX_ENTRY_BYTES = 10 MiB"),
        ("XLSX_MAX_TOTAL_BYTES", 8_000, lambda: workbook(GOOD_BOOK),
         "bytes, more than the limit XLSX_MAX_TOTAL_BYTES = 8,000 bytes"),
        (None, None, lambda: rezip(workbook(GOOD_BOOK), sheet(header_and_site(), "A1:C2000000")),
         "the sheet declares 2,000,000 rows, more than the limit MAX_ROWS = 100,000 rows after the header"),
        (None, None, lambda: rezip(workbook(GOOD_BOOK), sheet(header_and_site(), "A1:XFD3")),
         "the sheet declares 16,384 columns (up to XFD), more than the limit MAX_COLUMNS = 50"),
    ],
)  # fmt: skip
def test_xlsx_bomb_is_refused_before_parsing(
    monkeypatch: pytest.MonkeyPatch,
    limit: str | None,
    value: int | None,
    data: Callable[[], bytes],
    expected: str,
) -> None:
    if limit:
        monkeypatch.setattr(registry, limit, value)
    ((row, message),) = problems(data(), "sites.xlsx")
    assert row == 0 and expected in message, message


def test_rows_are_counted_while_reading_whatever_the_sheet_declares(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(registry, "MAX_ROWS", 3)
    sites = [row_xml(n, f"45100000{n:02d}", f"县{n}", "http://a.example/") for n in range(2, 12)]
    lying = rezip(workbook(GOOD_BOOK), sheet([row_xml(1, "code", "name", "url"), *sites], dimension="A1:C2"))
    assert problems(lying, "sites.xlsx") == [(5, "more than the limit MAX_ROWS = 3 rows after the header")]
    text = HEADER + "".join(f"45100000{n:02d},县{n},http://a.example/\n" for n in range(2, 12))
    assert problems(text.encode()) == [(5, "more than the limit MAX_ROWS = 3 rows after the header")]


def test_a_cell_in_column_xfd_does_not_make_every_row_16384_values_wide() -> None:
    """openpyxl pads a row up to its last cell: 2,000 such rows were 500 MB of padding, all kept."""
    far = [row_xml(n, far={"XFD": None}) for n in range(3, 2_003)]
    data = rezip(workbook(GOOD_BOOK), sheet([*header_and_site(), *far]))
    tracemalloc.start()
    try:
        rows = parse_site_file("sites.xlsx", data)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert [r.code for r in rows] == ["4510000031"]
    assert peak < 40 * 1024 * 1024, f"peak {peak / 2**20:.0f} MiB"


@pytest.mark.parametrize(
    ("data", "name", "expected"),
    [
        (lambda: rezip(workbook(GOOD_BOOK), sheet([*header_and_site(), row_xml(3, far={"AY": "x"})])), "s.xlsx",
         (3, "a value in column AY, beyond the limit MAX_COLUMNS = 50")),
        (lambda: (HEADER + BAISE_ROW + "," * 54 + "x\n").encode(), "s.csv",
         (3, "a value in column BC, beyond the limit MAX_COLUMNS = 50")),
        (lambda: (HEADER + f"4510000031,{'名' * 10_000},http://a.example/\n").encode(), "s.csv",
         (2, "the value in column B has 10,000 characters, more than the limit MAX_FIELD_CHARS = 8,192")),
        (lambda: rezip(workbook(GOOD_BOOK), sheet([*header_and_site(), row_xml(3, "x" * 10_000)])), "s.xlsx",
         (3, "the value in column A has 10,000 characters, more than the limit MAX_FIELD_CHARS = 8,192")),
        (lambda: (HEADER + "," * 1_000_000 + "\n").encode(), "s.csv",
         (2, "longer than the limit MAX_ROW_CHARS = 65,536 characters")),
        (lambda: (HEADER + '4510000031,"' + "名\n" * 40_000 + '",http://a.example/\n').encode(), "s.csv",
         (2, "longer than the limit MAX_ROW_CHARS = 65,536 characters")),
        (lambda: (HEADER + BAISE_ROW + "\n" * 1_100_000).encode(), "s.csv",
         (1_048_577, "more rows than a spreadsheet holds (SHEET_MAX_ROWS = 1,048,576)")),
        (lambda: rezip(workbook(GOOD_BOOK), sheet([*header_and_site(), row_xml(999_999_999, "x")])), "s.xlsx",
         (1_048_577, "more rows than a spreadsheet holds (SHEET_MAX_ROWS = 1,048,576)")),
    ],
)  # fmt: skip
def test_rows_columns_and_fields_are_bounded(
    data: Callable[[], bytes], name: str, expected: tuple[int, str]
) -> None:
    assert problems(data(), name) == [expected]


def test_empty_trailing_fields_beyond_max_columns_are_tolerated() -> None:
    assert [
        r.code for r in parse_site_file("s.csv", (HEADER.strip() + "," * 60 + "\n" + BAISE_ROW).encode())
    ] == ["4510000031"]


def test_file_size_is_bounded(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(registry, "MAX_FILE_BYTES", 1_000)
    path = tmp_path / "sites.csv"
    path.write_bytes((HEADER + BAISE_ROW * 30).encode())
    with pytest.raises(SiteFileError) as info:
        registry.read_site_file(path)
    assert info.value.summary == f"{path}: the file is larger than the limit MAX_FILE_BYTES = 1,000 bytes"


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"", "the file is empty"),
        (b"code,name,url\n\x00\x00\x00", "not a CSV or XLSX file: it contains binary data (NUL bytes)"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not a CSV or XLSX file: it contains binary data (NUL bytes)"),
        (workbook(GOOD_BOOK)[:-300], "not a CSV or XLSX file: cannot open it as XLSX (BadZipFile: File is not a zip file)"),
        ((HEADER + f"4510000031,{'名' * 200_000},http://a.example/\n").encode(),
         "row 2: longer than the limit MAX_ROW_CHARS = 65,536 characters"),
    ],
)  # fmt: skip
def test_unreadable_files_are_one_line(data: bytes, expected: str) -> None:
    with pytest.raises(SiteFileError) as info:
        parse_site_file("sites.xlsx" if data.startswith(b"PK") else "sites.csv", data)
    assert info.value.summary.split(": ", 1)[1] == expected
    assert "\n" not in info.value.summary


# ------------------------------------------------------------------------------ registry encodings


def test_mixed_utf8_and_gbk_lines_are_refused_not_turned_into_mojibake() -> None:
    data = mixed_encodings()
    utf8_line = data.split(b"\n")[2]
    assert utf8_line.decode("gb18030") != utf8_line.decode("utf-8")  # GB18030 alone "reads" it: mojibake
    message = (
        "the text is neither UTF-8 nor GBK: not valid UTF-8 (lines 2, 4) nor GBK (line 3); "
        "save the whole file in one encoding, UTF-8 preferably"
    )
    assert problems(data) == [(0, message)]


def test_a_utf8_value_on_a_gbk_line_is_found() -> None:
    line = b"4510000031," + "百色市".encode("gbk") + b",http://a.example/," + "百色市府".encode()  # 12 bytes
    data = b"code,name,url,organizer\n" + line + b"\n"
    assert "nor GBK (line 2)" in problems(data)[0][1]


def test_invalid_in_both_encodings_names_the_lines() -> None:
    gbk = [f"45100000{n:02d},县人民政府{n},http://a.example/\n".encode("gbk") for n in range(12)]
    gbk[3] = gbk[3].replace(b",http", b"\xb0,http")  # a lone lead byte: a character cut in half
    ((_, message),) = problems(HEADER.encode() + b"".join(gbk))
    assert message.startswith(
        "the text is neither UTF-8 nor GBK: not valid UTF-8 (lines 2, 3, 4, 5, 6, 7, 8, 9, 10, 11"
    )
    assert "and 2 more) nor GBK (line 5);" in message


def test_bom_with_gbk_lines_names_the_lines() -> None:
    data = b"\xef\xbb\xbf" + HEADER.encode() + BAISE_ROW.encode() + BAISE_ROW.encode("gbk")
    assert problems(data) == [
        (0, "not a CSV or XLSX file: it starts with a UTF-8 BOM but is not valid UTF-8 (line 3)")
    ]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_one_encoding_files_still_import(encoding: str) -> None:
    text = (
        HEADER + BAISE_ROW + "4510280002,乐业县府,http://b.example/\n" + "4510300004,𠀀县,http://c.example/\n"
    )
    if encoding == "gbk":
        text = text.replace("𠀀", "西林")  # GBK has no CJK Extension B
    rows = parse_site_file("sites.csv", text.encode(encoding))
    assert [r.name for r in rows] == ["百色市人民政府", "乐业县府", "西林县" if encoding == "gbk" else "𠀀县"]


# ------------------------------------------------------------------- CSV and XLSX cells we write


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("=1+1", "'=1+1"), ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"), ("-2+3", "'-2+3"), ("@SUM(A1)", "'@SUM(A1)"),
        (" =1+1", "' =1+1"), ("\u3000=1+1", "'\u3000=1+1"), ("\t=1+1", "'\t=1+1"), ("\r\n@x", "'\r\n@x"),
        ("\tplain", "'\tplain"), ("a=b", "a=b"), ("  通知公告", "  通知公告"), (-2, -2),
    ],
)  # fmt: skip
def test_neutralise_also_after_leading_whitespace(text: Any, expected: Any) -> None:
    assert neutralise(text) == expected


def test_cells_lose_control_characters_before_neutralising() -> None:
    assert csv_cell("\x1b[31m红色\x1b[0m") == "[31m红色[0m"
    assert csv_cell("a\tb\nc\rd\x00") == "a\tb\ncd"  # tab and newline stay
    assert csv_cell("\x00=1+1") == "'=1+1" and xlsx_cell("\x00=1+1") == "'=1+1"
    assert xlsx_cell("a\x1b\x07b\ufffe\uffff\x0bc") == "abc"
    assert csv_cell(None) == "" and xlsx_cell(None) is None and csv_cell(3) == 3


def test_cells_are_cut_with_a_visible_marker() -> None:
    url = "http://a.example/" + "x" * 199_983
    cut = csv_cell(url)
    assert len(cut) == CSV_FIELD_MAX < csv.field_size_limit()
    assert cut.startswith("http://a.example/xxx") and cut.endswith(CUT.format(200_000))
    formula = xlsx_cell("=" + "1" * 40_000)
    assert (
        len(formula) == XLSX_CELL_MAX and formula.startswith("'=1") and formula.endswith(CUT.format(40_002))
    )
    assert csv_cell(["a", "=b"]) == "a|=b" and csv_cell(["=a", "b"]) == "'=a|b"


def test_every_csv_and_xlsx_writer_is_the_export_module() -> None:
    """One place writes CSV and XLSX, so that no output forgets the neutralising (sites list once did)."""
    offenders = []
    for path in [
        *ROOT.glob("crawler/**/*.py"),
        *ROOT.glob("pipelines/**/*.py"),
        *ROOT.glob("models/**/*.py"),
    ]:
        if path == ROOT / "pipelines" / "export.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Attribute)
                and node.attr in ("writer", "DictWriter")
                and (isinstance(node.value, ast.Name) and node.value.id == "csv")
            ):
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno} csv.{node.attr}")
            if isinstance(node, ast.ImportFrom) and node.module == "openpyxl":
                offenders += [
                    f"{path.relative_to(ROOT)}:{node.lineno} {a.name}"
                    for a in node.names
                    if a.name == "Workbook"
                ]
    assert offenders == []


# ------------------------------------------------------- hostile text through the real commands

EVIL = '=HYPERLINK("http://evil.example","点我")'
LONG_URL = "http://a.example/" + "长" * 100_000 + "x" * 99_983  # 200,000 characters
CONTROL_TEXT = "\x1b[31m红色\x1b[0m\x00链接"


def test_sites_list_and_score_csv_neutralise_names(db_url: str) -> None:
    register_site(db_url, "4510000031", "http://a.example/", name=EVIL)
    register_site(db_url, "4510280002", "http://b.example/", name="+cmd|' /C calc'!A0")
    register_site(db_url, "4510300004", "http://c.example/", name=" @SUM(1+1)\x1b[2J")
    listed = scrapy("sites", "list", "--format", "csv", db_url=db_url)
    assert listed.returncode == 0, listed.stderr[-2000:]
    names = [r["name"] for r in csv.DictReader(io.StringIO(listed.stdout))]
    assert names == ["'" + EVIL, "'+cmd|' /C calc'!A0", "' @SUM(1+1)[2J"]
    scored = scrapy("score", "--format", "csv", db_url=db_url)
    assert scored.returncode == 0, scored.stderr[-2000:]
    assert [r["site_name"] for r in csv.DictReader(io.StringIO(scored.stdout))] == names


@pytest.fixture(scope="module")
def hostile_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    db_url = f"sqlite:///{tmp_path_factory.mktemp('hostile-export') / 'db.sqlite3'}"
    open_database(db_url).dispose()
    register_site(db_url, "4510990002", "http://a.example/", name="-导出测试县")
    findings = [
        {"kind": "broken_link", "url": LONG_URL, "source_url": LONG_URL, "sources": [LONG_URL, "http://a.example/"],
         "link_text": CONTROL_TEXT, "resource_type": "page", "status": 404, "error": "http_error",
         "reason": "HTTP 404 on GET", "on_homepage": True, "source_count": 2},
        {"kind": "broken_link", "url": "http://a.example/gone.html", "link_text": " " + EVIL, "status": 404,
         "reason": "\t=cmd|' /C calc'!A0", "resource_type": "page", "error": "http_error"},
    ]  # fmt: skip
    columns = [
        {"url": "http://a.example/tzgg/", "name": "@通知公告\x07", "category": "notice_policy", "how": "nav",
         "page_kind": "list", "status": "blank", "reason": "\x1b[1m暂无信息\uffff"},
    ]  # fmt: skip
    add_run(db_url, "4510990002", findings, columns)
    return db_url


def by_url(records: Iterable[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {r["url"].split("/")[-1][:3]: r for r in records}  # "长长长" (the long URL) and "gon"


def test_csv_export_of_a_hostile_page_reads_back(hostile_db: str, tmp_path: Path) -> None:
    out = tmp_path / "findings.csv"
    done = scrapy("export", "-o", str(out), db_url=hostile_db)
    assert done.returncode == 0, done.stderr[-2000:]
    for path in (out, tmp_path / "findings.scores.csv", tmp_path / "findings.columns.csv"):
        with path.open(encoding="utf-8-sig", newline="") as handle:
            rows = list(csv.reader(handle))  # the default field_size_limit: 131,072 characters
        assert all(len(field) <= CSV_FIELD_MAX for row in rows for field in row)
        assert not any(ch in field for row in rows for field in row for ch in "\x00\x1b\x07")
    with out.open(encoding="utf-8-sig", newline="") as handle:
        findings = by_url(csv.DictReader(handle))
    long = findings["长长长"]
    assert long["url"].startswith("http://a.example/长长") and long["url"].endswith(CUT.format(200_000))
    assert long["sources"].endswith(CUT.format(200_018))  # the list joined with |, then cut
    assert long["link_text"] == "[31m红色[0m链接"
    gone = findings["gon"]
    assert gone["link_text"] == "' " + EVIL and gone["reason"] == "'\t=cmd|' /C calc'!A0"
    assert gone["site_name"] == "'-导出测试县"
    with (tmp_path / "findings.columns.csv").open(encoding="utf-8-sig", newline="") as handle:
        (column,) = csv.DictReader(handle)
    assert (column["name"], column["reason"]) == ("'@通知公告", "[1m暂无信息\uffff")


def test_xlsx_export_of_a_hostile_page_opens(hostile_db: str, tmp_path: Path) -> None:
    out = tmp_path / "findings.xlsx"
    done = scrapy("export", "-o", str(out), db_url=hostile_db)
    assert done.returncode == 0, done.stderr[-2000:]
    book = openpyxl.load_workbook(out)
    for name in ("findings", "scores", "columns"):
        cells = [c for row in book[name].iter_rows() for c in row]
        assert all(c.data_type != "f" for c in cells)  # no cell is a formula
        assert all(len(c.value) <= XLSX_CELL_MAX for c in cells if isinstance(c.value, str))
    sheet_rows = list(book["findings"].values)
    findings = by_url(dict(zip(sheet_rows[0], row, strict=True)) for row in sheet_rows[1:])
    long = findings["长长长"]
    assert long["url"].endswith(CUT.format(200_000)) and long["link_text"] == "[31m红色[0m链接"
    assert findings["gon"]["link_text"] == "' " + EVIL
    columns = list(book["columns"].values)
    column = dict(zip(columns[0], columns[1], strict=True))
    assert (column["name"], column["reason"]) == ("'@通知公告", "[1m暂无信息")


def test_jsonl_export_keeps_hostile_text_exactly(hostile_db: str, tmp_path: Path) -> None:
    out = tmp_path / "findings.jsonl"
    done = scrapy("export", "-o", str(out), db_url=hostile_db)
    assert done.returncode == 0, done.stderr[-2000:]
    raw = out.read_text(encoding="utf-8")
    assert "\x1b" not in raw and "\x00" not in raw  # JSON escapes them: \u001b, \u0000
    findings = by_url(json.loads(line) for line in raw.splitlines())
    assert findings["长长长"]["url"] == LONG_URL and findings["长长长"]["link_text"] == CONTROL_TEXT
    assert findings["gon"]["link_text"] == " " + EVIL
    (column,) = [
        json.loads(line) for line in (tmp_path / "findings.columns.jsonl").read_text("utf-8").splitlines()
    ]
    assert column["name"] == "@通知公告\x07"
