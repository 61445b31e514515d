"""Tests of the site-registry file reader (``scrapy sites import``)."""

from __future__ import annotations

import ast
import io
from collections import Counter
from pathlib import Path

import pytest
from openpyxl import Workbook  # type: ignore[import-untyped]

from pipelines.rules.kinds import SiteLevel
from pipelines.rules.registry import RowError, SiteFileError, SiteRow, parse_site_file, read_site_file

ROOT = Path(__file__).resolve().parents[3]
SAMPLE = ROOT / "crawler" / "data" / "sample-sites.csv"
HEADER = "code,name,url"
BAISE = "4510000031,百色市人民政府,http://www.baise.gov.cn/"


def parse(text: str, name: str = "sites.csv", encoding: str = "utf-8") -> list[SiteRow]:
    return parse_site_file(name, text.encode(encoding))


def problems(data: str | bytes, name: str = "sites.csv") -> list[tuple[int, str]]:
    with pytest.raises(SiteFileError) as info:
        parse_site_file(name, data.encode() if isinstance(data, str) else data)
    return [(e.row, e.message) for e in info.value.errors]


def xlsx(rows: list[list[object]]) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_good_csv_with_every_column() -> None:
    text = (
        "code,name,url,level,organizer,domains,enabled\n"
        "4510000031,百色市人民政府,http://www.baise.gov.cn/,city,百色市人民政府办公室,baise.gov.cn|BSE.gov.cn,是\n"
        '4500000045,"广西壮族自治区投资促进局",https://tzcjj.gxzf.gov.cn/index.html,,,,0\n'
    )
    assert parse(text) == [
        SiteRow(
            "4510000031", "百色市人民政府", "http://www.baise.gov.cn/", SiteLevel.CITY,
            "百色市人民政府办公室", ("baise.gov.cn", "bse.gov.cn"), True, 2,
        ),
        SiteRow(
            "4500000045", "广西壮族自治区投资促进局", "https://tzcjj.gxzf.gov.cn/index.html",
            SiteLevel.DEPARTMENT, None, (), False, 3,
        ),
    ]  # fmt: skip


def test_values_and_header_names_are_trimmed_and_case_insensitive() -> None:
    rows = parse(" Code , NAME ,Url\r\n 4510000031 ,\u3000百色市人民政府 , http://www.baise.gov.cn/ \r\n")
    assert (rows[0].code, rows[0].name, rows[0].url) == (
        "4510000031",
        "百色市人民政府",
        "http://www.baise.gov.cn/",
    )


@pytest.mark.parametrize(
    ("encoding", "name"),
    [("utf-8", "sites.csv"), ("utf-8-sig", "sites.csv"), ("gbk", "sites.csv"), ("gb18030", "sites.txt")],
)
def test_csv_encodings(encoding: str, name: str) -> None:
    rows = parse(
        f"网站标识码,网站名称,网址\n{BAISE}\n4510280002,乐业县人民政府,http://www.leye.gov.cn/\n",
        name,
        encoding,
    )
    assert [r.name for r in rows] == ["百色市人民政府", "乐业县人民政府"]


@pytest.mark.parametrize("url_header", ["网址", "首页地址"])
def test_chinese_headers(url_header: str) -> None:
    text = f"网站标识码,网站名称,{url_header},级别,主办单位,域名,启用\n{BAISE},县级,百色市人民政府,baise.gov.cn,否\n"
    assert parse(text) == [
        SiteRow(
            "4510000031", "百色市人民政府", "http://www.baise.gov.cn/", SiteLevel.COUNTY, "百色市人民政府",
            ("baise.gov.cn",), False, 2,
        )
    ]  # fmt: skip


def test_tab_separated_text() -> None:
    rows = parse("code\tname\turl\n4510000031\t百色市人民政府\thttp://www.baise.gov.cn/\n", "sites.txt")
    assert rows[0].code == "4510000031"


def test_xlsx_with_numeric_codes_and_blank_rows(tmp_path: Path) -> None:
    path = tmp_path / "guangxi-sites.xlsx"
    path.write_bytes(
        xlsx([
            ["网站标识码", "网站名称", "首页地址", "级别", "启用"],
            [4510000031, "百色市人民政府", "http://www.baise.gov.cn/", None, True],
            [],
            [4510280002.0, "乐业县人民政府", "http://www.leye.gov.cn/", "county", 0],
            ["4500000045", "广西壮族自治区投资促进局", "http://tzcjj.gxzf.gov.cn/"],
        ])
    )  # fmt: skip
    rows = read_site_file(path)
    assert [(r.code, r.level, r.enabled, r.row) for r in rows] == [
        ("4510000031", SiteLevel.CITY, True, 2),
        ("4510280002", SiteLevel.COUNTY, False, 4),
        ("4500000045", SiteLevel.DEPARTMENT, True, 5),
    ]


def test_xlsx_is_sniffed_from_content_and_errors_use_sheet_rows() -> None:
    data = xlsx(
        [
            ["code", "name", "url"],
            [4510000031, "百色市人民政府", "www.baise.gov.cn"],
            [],
            [45100, "x", "http://x.cn/"],
        ]
    )
    assert problems(data, "sites.csv") == [
        (2, "url 'www.baise.gov.cn' must start with http:// or https://"),
        (4, "code '45100' must be 10 digits"),
    ]


def test_xlsx_value_without_header() -> None:
    data = xlsx(
        [["code", "name", "url"], [4510000031, "百色市人民政府", "http://www.baise.gov.cn/", None, "备注"]]
    )
    assert problems(data, "sites.xlsx") == [(2, "value '备注' in column E, which has no header")]


@pytest.mark.parametrize(
    ("code", "level"),
    [
        ("4500000045", SiteLevel.DEPARTMENT),
        ("1100000001", SiteLevel.DEPARTMENT),
        ("4510000031", SiteLevel.CITY),
        ("4503000001", SiteLevel.CITY),
        ("4510280002", SiteLevel.COUNTY),
        ("4503110005", SiteLevel.COUNTY),
        ("4690010001", SiteLevel.COUNTY),
        ("４５１０２８０００２", SiteLevel.COUNTY),
        ("bm07000001", SiteLevel.DEPARTMENT),
        ("bm14000002", SiteLevel.DEPARTMENT),
    ],
)
def test_level_is_inferred_from_the_code(code: str, level: SiteLevel) -> None:
    for text in (
        f"{HEADER}\n{code},某网站,http://a.gov.cn/\n",
        f"{HEADER},level\n{code},某网站,http://a.gov.cn/,\n",
    ):
        assert parse(text)[0].level is level


@pytest.mark.parametrize(
    ("given", "level"),
    [("department", SiteLevel.DEPARTMENT), ("City", SiteLevel.CITY), ("COUNTY", SiteLevel.COUNTY),
     ("部门", SiteLevel.DEPARTMENT), ("市级", SiteLevel.CITY), ("县级", SiteLevel.COUNTY)],
)  # fmt: skip
def test_given_level_wins(given: str, level: SiteLevel) -> None:
    assert parse(f"{HEADER},level\n{BAISE},{given}\n")[0].level is level


@pytest.mark.parametrize(
    ("given", "enabled"),
    [("", True), ("1", True), ("true", True), ("TRUE", True), ("Yes", True), ("y", True), ("是", True),
     ("0", False), ("false", False), ("No", False), ("N", False), ("否", False)],
)  # fmt: skip
def test_enabled_values(given: str, enabled: bool) -> None:
    assert parse(f"{HEADER},enabled\n{BAISE},{given}\n")[0].enabled is enabled


@pytest.mark.parametrize(
    ("given", "domains"),
    [
        ("", ()),
        ("baise.gov.cn", ("baise.gov.cn",)),
        ("BaiSe.gov.cn|www.BS.gov.cn", ("baise.gov.cn", "www.bs.gov.cn")),
        ('"a.gov.cn, b.gov.cn;c.gov.cn d.gov.cn"', ("a.gov.cn", "b.gov.cn", "c.gov.cn", "d.gov.cn")),
        ("a.gov.cn，b.gov.cn、c.gov.cn", ("a.gov.cn", "b.gov.cn", "c.gov.cn")),
        ("a.gov.cn|a.gov.cn|", ("a.gov.cn",)),
        ("广西.政务", ("广西.政务",)),
        ("127.0.0.1", ("127.0.0.1",)),
    ],
)
def test_domains_are_split_and_lower_cased(given: str, domains: tuple[str, ...]) -> None:
    assert parse(f"{HEADER},domains\n{BAISE},{given}\n")[0].domains == domains


@pytest.mark.parametrize(
    "url",
    ["http://www.baise.gov.cn", "HTTPS://www.baise.gov.cn/a?b=1", "http://127.0.0.1:8080/index.html", "http://[::1]/",
     "http://localhost/", "http://广西.政务/"],
)  # fmt: skip
def test_good_urls(url: str) -> None:
    assert parse(f"{HEADER}\n4510000031,百色,{url}\n")[0].url == url


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("45100,百色,http://a.gov.cn/", "code '45100' must be 10 digits"),
        ("45100000311,百色,http://a.gov.cn/", "code '45100000311' must be 10 digits"),
        ("451000003a,百色,http://a.gov.cn/", "code '451000003a' must be 10 digits"),
        ("bm0700001,国务院某部,http://a.gov.cn/", "code 'bm0700001' must be bm and 8 digits (a State Council department)"),
        ("bm070000011,国务院某部,http://a.gov.cn/", "code 'bm070000011' must be bm and 8 digits (a State Council department)"),
        ("bm0700000a,国务院某部,http://a.gov.cn/", "code 'bm0700000a' must be bm and 8 digits (a State Council department)"),
        ("bn07000001,国务院某部,http://a.gov.cn/", "code 'bn07000001' must be 10 digits"),
        ("4.51E+09,百色,http://a.gov.cn/", "code '4.51E+09' must be 10 digits (a number Excel shortened? format the column as text)"),
        (",百色,http://a.gov.cn/", "code is empty"),
        ("9910000001,百色,http://a.gov.cn/", "code '9910000001': 99 is not a province-level division code (GB/T 2260)"),
        ("1610000001,百色,http://a.gov.cn/", "code '1610000001': 16 is not a province-level division code (GB/T 2260)"),
        ("4580000001,百色,http://a.gov.cn/", "code '4580000001': 458000 is not a GB/T 2260 division code (prefecture digits 80)"),
        ("4500120001,百色,http://a.gov.cn/", "code '4500120001': 450012 is not a GB/T 2260 division code (a province code ends in 0000)"),
        ("4510000031,,http://a.gov.cn/", "name is empty"),
        (f"4510000031,{'名' * 201},http://a.gov.cn/", "name is longer than 200 characters"),
        ("4510000031,百色,", "url is empty"),
        ("4510000031,百色,www.baise.gov.cn", "url 'www.baise.gov.cn' must start with http:// or https://"),
        ("4510000031,百色,ftp://a.gov.cn/", "url 'ftp://a.gov.cn/' must start with http:// or https://"),
        ("4510000031,百色,javascript:alert(1)", "url 'javascript:alert(1)' must start with http:// or https://"),
        ("4510000031,百色,http://", "url 'http://' has no host"),
        ("4510000031,百色,http:/a.gov.cn/", "url 'http:/a.gov.cn/' has no host"),
        ("4510000031,百色,http://a b.gov.cn/", "url 'http://a b.gov.cn/' contains spaces or control characters"),
        ("4510000031,百色,http://user:pw@a.gov.cn/", "url 'http://user:pw@a.gov.cn/' must not contain a user name or password"),
        ("4510000031,百色,http://www..gov.cn/", "url 'http://www..gov.cn/' has an invalid host 'www..gov.cn'"),
        ("4510000031,百色,http://a.gov.cn:99999/", "url 'http://a.gov.cn:99999/' is not a valid URL (Port out of range 0-65535)"),
        ("4510000031,百色,http://a.gov.cn/,province", "level 'province' must be department, city or county (or 部门, 市级, 县级)"),
        ("4510000031,百色,http://a.gov.cn/,,maybe", "enabled 'maybe' must be one of 1/0, true/false, yes/no, y/n, 是/否"),
        ("4510000031,百色,http://a.gov.cn/,,,http://b.gov.cn", "domain 'http://b.gov.cn' must be a bare host name such as www.example.gov.cn"),
        ("4510000031,百色,http://a.gov.cn/,,,b.gov.cn/x", "domain 'b.gov.cn/x' must be a bare host name such as www.example.gov.cn"),
        (f"4510000031,百色,http://a.gov.cn/,,,,{'单' * 201}", "organizer is longer than 200 characters"),
    ],
)  # fmt: skip
def test_bad_row(row: str, message: str) -> None:
    padded = row + "," * (6 - row.count(","))
    assert problems(f"code,name,url,level,enabled,domains,organizer\n\n{padded}\n") == [(3, message)]


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("4510000031,百色", "2 fields where the header has 4"),
        ("4510000031,百色,http://a.gov.cn/", "3 fields where the header has 4"),
        ("4510000031,百色市,人民政府,http://a.gov.cn/,city", "5 fields where the header has 4"),
        ("4510000031,百色,http://a.gov.cn/,city,,,x", "7 fields where the header has 4"),
    ],
)
def test_wrong_field_count(row: str, message: str) -> None:
    assert problems(f"{HEADER},level\n{BAISE},city\n{row}\n") == [(3, message)]


def test_empty_trailing_fields_are_tolerated() -> None:
    assert parse(f"{HEADER},,\n{BAISE},,,\n")[0].code == "4510000031"


def test_duplicate_codes_name_the_first_row() -> None:
    text = f"{HEADER}\n{BAISE}\n4510280002,乐业县人民政府,http://www.leye.gov.cn/\n4510000031,百色市,http://bs.gov.cn/\n"
    assert problems(text) == [(4, "duplicate code '4510000031', first on row 2 (百色市人民政府)")]


def test_duplicate_of_a_row_with_other_problems_is_reported() -> None:
    text = f"{HEADER}\n4510000031,百色市人民政府,www.baise.gov.cn\n{BAISE}\n"
    assert [row for row, _ in problems(text)] == [2, 3]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "the file is empty"),
        (b" \r\n\n,,\n", "the file is empty"),
        (b"code,name,url\n\n", "no data rows: the file has only a header"),
        (b"code,name,url,level\n", "no data rows: the file has only a header"),
        ("code,name,level\n4510000031,百色,city\n".encode(),
         "missing column(s) url in the header (row 1); the header must name code, name, url and optionally level, organizer, domains, enabled, contact, platform"),
        (f"{BAISE}\n4510280002,乐业县人民政府,http://www.leye.gov.cn/\n".encode(),
         ("no header row: row 1 starts with a site code; "
          "the header must name code, name, url and optionally level, organizer, domains, enabled, contact, platform")),
        (b"\x00\x01\x02PKbinary\x00\xff", "not a CSV or XLSX file: it contains binary data (NUL bytes)"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not a CSV or XLSX file: it contains binary data (NUL bytes)"),
        (b"\x80\x81\xfe\xff\xff code", "not a CSV or XLSX file: the text is neither UTF-8 nor GBK"),
        (b"code,name,url\n\x1b[31m,\x07,\x08\n", "not a CSV or XLSX file: it contains binary data (control characters)"),
        ("code,name,url\n".encode("utf-16"), "not a CSV or XLSX file: it is UTF-16 text; save it as CSV (UTF-8)"),
        (b"\xef\xbb\xbfcode,\xb0\xd9\xc9\xab\n", "not a CSV or XLSX file: it starts with a UTF-8 BOM but is not valid UTF-8"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "not a CSV or XLSX file: this is an old .xls workbook; save it as .xlsx or CSV"),
        (b"PK\x03\x04not really a zip", "not a CSV or XLSX file: cannot open it as XLSX (BadZipFile: File is not a zip file)"),
    ],
)  # fmt: skip
def test_file_level_problems(data: bytes, message: str) -> None:
    assert problems(data) == [(0, message)]


def test_several_header_problems_are_listed() -> None:
    assert problems("code,name,url,网址,problem\n") == [
        (0, "column 'url' appears twice in the header (row 1)"),
        (0, ("unknown column 'problem' in the header (row 1); the header must name code, name, url and "
             "optionally level, organizer, domains, enabled, contact, platform")),
    ]  # fmt: skip


def test_xlsx_name_with_csv_content() -> None:
    assert problems(f"{HEADER}\n{BAISE}\n", "sites.xlsx") == [
        (0, "not a CSV or XLSX file: the name says XLSX but the content is not a workbook")
    ]


def test_unbalanced_quote_is_malformed_csv() -> None:
    assert problems(f'{HEADER}\n{BAISE}\n4510280002,"乐业县人民政府,http://www.leye.gov.cn/\n') == [
        (3, "malformed CSV: unexpected end of data")
    ]


def test_every_row_is_checked_and_the_message_lists_all() -> None:
    text = (
        f"{HEADER},level\n"
        "45100,百色市人民政府,http://www.baise.gov.cn/,\n"
        "\n"
        "4510280002,乐业县人民政府,www.leye.gov.cn,province\n"
        "4510300004,西林县人民政府,http://www.xilin.gov.cn/,county\n"
        "4510300004,西林县,http://xilin.gov.cn/,county\n"
    )
    with pytest.raises(SiteFileError) as info:
        parse_site_file("guangxi.csv", text.encode())
    assert info.value.errors == [
        RowError(2, "code '45100' must be 10 digits"),
        RowError(4, "url 'www.leye.gov.cn' must start with http:// or https://"),
        RowError(4, "level 'province' must be department, city or county (or 部门, 市级, 县级)"),
        RowError(6, "duplicate code '4510300004', first on row 5 (西林县人民政府)"),
    ]
    assert str(info.value) == (
        "guangxi.csv: 4 problem(s)\n"
        "row 2: code '45100' must be 10 digits\n"
        "row 4: url 'www.leye.gov.cn' must start with http:// or https://\n"
        "row 4: level 'province' must be department, city or county (or 部门, 市级, 县级)\n"
        "row 6: duplicate code '4510300004', first on row 5 (西林县人民政府)"
    )


def test_file_level_message_has_no_row_prefix() -> None:
    with pytest.raises(SiteFileError, match=r"^empty\.csv: 1 problem\(s\)\nthe file is empty$"):
        parse_site_file("empty.csv", b"")


def test_unreadable_path(tmp_path: Path) -> None:
    with pytest.raises(SiteFileError) as info:
        read_site_file(tmp_path / "missing.csv")
    assert info.value.errors == [RowError(0, "cannot read the file: No such file or directory")]


def test_shipped_sample_file() -> None:
    """The 33 coded sites of the Guangxi 2017 black list (残联 was published without a code)."""
    rows = read_site_file(SAMPLE)
    assert len(rows) == len({r.code for r in rows}) == 33
    assert Counter(r.level.value for r in rows) == {"department": 11, "city": 1, "county": 21}
    assert (rows[0].code, rows[1].code, rows[-1].code) == ("4500000045", "4510000031", "4500000129")
    assert "广西壮族自治区残疾人联合会" not in {r.name for r in rows}
    assert all(r.url.startswith("http://") and r.url.endswith(".gov.cn.example/") for r in rows)
    assert all(r.enabled and r.organizer == r.name for r in rows)


def test_registry_stays_pure() -> None:
    tree = ast.parse((ROOT / "pipelines" / "rules" / "registry.py").read_text(encoding="utf-8"))
    imported = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    imported |= {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    assert not {m.split(".")[0] for m in imported} & {"scrapy", "twisted", "sqlalchemy"}


@pytest.mark.parametrize(
    ("cell", "code"),
    [("bm07000001", "bm07000001"), ("bm14000002", "bm14000002"), ("bm55000001", "bm55000001"),
     ("BM55000001", "bm55000001"), ("ｂｍ０７０００００１", "bm07000001"), (" bm07000001 ", "bm07000001")],
)  # fmt: skip
def test_state_council_department_codes_are_accepted(cell: str, code: str) -> None:
    """国务院部门 sites carry bm + 8 digits (DESIGN 2); full-width and upper-case forms are normalised."""
    assert parse(f"{HEADER}\n{cell},国务院某部,http://a.gov.cn/\n")[0].code == code


def test_platform_column() -> None:
    rows = parse(
        "code,name,url,platform\n"
        f"{BAISE},广西政府网站集约化平台\n"
        "4510220001,田阳区人民政府,http://www.tianyang.gov.cn/,\n"
    )
    assert [r.platform for r in rows] == ["广西政府网站集约化平台", ""]  # "" clears a stored platform
    assert parse(f"{HEADER}\n{BAISE}\n")[0].platform is None  # no column: the stored one is kept
    assert parse(f"code,name,url,平台\n{BAISE},gx-cloud\n")[0].platform == "gx-cloud"
    assert problems(f"code,name,url,platform\n{BAISE},{'x' * 101}\n") == [
        (2, "platform is longer than 100 characters")
    ]
