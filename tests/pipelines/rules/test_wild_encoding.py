"""Pages whose declared charset is wrong (issue #15): read them as their bytes are, never by a guess."""

from __future__ import annotations

import pytest

from pipelines.rules.encoding import Reread, reread_page

TEXT = "<p>关于做好2024年政府信息公开工作的通知，昇平镇人民政府发布。</p>" * 3
GBK_META = '<html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312"><title>通知</title></head>'
UTF8_META = '<html><head><meta charset="utf-8"><title>通知</title></head>'
GBK_PAGE = (GBK_META + f"<body>{TEXT}</body></html>").encode("gb18030")
UTF8_UNDER_GBK_META = (GBK_META + f"<body>{TEXT}</body></html>").encode("utf-8")
UTF8_PAGE = (UTF8_META + f"<body>{TEXT}</body></html>").encode("utf-8")
GBK_WITH_STRAY = GBK_PAGE.replace(b"<p>", b"<p>\xff", 2)
UTF8_WITH_STRAY = UTF8_PAGE.replace(b"<p>", b"<p>\xff", 2)
GBK_UNDER_UTF8_META = (UTF8_META + f"<body>{TEXT}</body></html>").encode("gb18030")


@pytest.mark.parametrize(
    ("name", "body", "content_type", "expected"),
    [
        # the header says UTF-8, the body is GBK as its <meta http-equiv> says: the meta wins
        ("GBK body under a UTF-8 header", GBK_PAGE, "text/html; charset=utf-8", ("gb18030", "meta_over_header")),
        ("GBK body under a UTF8 header", GBK_PAGE, "text/html;charset=UTF8", ("gb18030", "meta_over_header")),
        # the reverse: a GBK header over a UTF-8 body with a UTF-8 meta
        ("UTF-8 body under a GBK header", UTF8_PAGE, "text/html; charset=GBK", ("utf-8", "utf8_body")),
        # GBK pages stored as UTF-8: the meta still says gb2312
        ("UTF-8 bytes under a gb2312 meta", UTF8_UNDER_GBK_META, "text/html", ("utf-8", "utf8_body")),
        ("UTF-8 bytes under gb2312 header and meta", UTF8_UNDER_GBK_META, "text/html; charset=gb2312",
         ("utf-8", "utf8_body")),
        # as declared: nothing to change
        ("GBK as declared", GBK_PAGE, "text/html", None),
        ("GBK header and meta", GBK_PAGE, "text/html; charset=gbk", None),
        ("UTF-8 as declared", UTF8_PAGE, "text/html; charset=utf-8", None),
        ("nothing declared", TEXT.encode("utf-8"), "text/html", None),
        # stray invalid bytes in a page's own charset: read as declared, the bytes replaced
        ("GBK with stray bytes", GBK_WITH_STRAY, "text/html", None),
        ("UTF-8 with stray bytes", UTF8_WITH_STRAY, "text/html; charset=utf-8", None),
        # a GBK body whose meta wrongly says UTF-8 and no header: not valid in any declared charset, so as declared
        ("GBK under a UTF-8 meta only", GBK_UNDER_UTF8_META, "text/html", None),
        # a BOM decides
        ("BOM", b"\xef\xbb\xbf" + UTF8_UNDER_GBK_META, "text/html; charset=gbk", None),
        ("ASCII under a GBK meta", (GBK_META.replace("通知", "x") + "<body>hello</body></html>").encode(), "text/html", None),
    ],
)  # fmt: skip
def test_reread_page(name: str, body: bytes, content_type: str, expected: tuple[str, str] | None) -> None:
    found = reread_page(body, content_type)
    assert ((found.encoding, found.reason) if found else None) == expected
    if isinstance(found, Reread):
        assert "昇平镇人民政府" in found.text
