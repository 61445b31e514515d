"""Site metas as real templates write them (issue #15): attribute order, case, spacing, SiteDomain forms."""

from __future__ import annotations

import pytest

from pipelines.rules.columns import column_name
from pipelines.rules.metas import SiteMetas, code_mismatch, page_metas, site_metas


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        ('<meta name="SiteName" content="某某县人民政府"><meta name="SiteDomain" content="www.x.gov.cn">'
         + '<meta name="SiteIDCode" content="4510260001">',
         SiteMetas("4510260001", "某某县人民政府", ("www.x.gov.cn",))),
        # attributes reversed, casing, no space before an attribute
        ('<meta content="某某县人民政府" name="Sitename"><META CONTENT="www.x.gov.cn" NAME="sitedomain">'
         + '<meta name="siteidcode"content="4510260001">',
         SiteMetas("4510260001", "某某县人民政府", ("www.x.gov.cn",))),
        # SiteDomain with a scheme, a path, or two domains joined by a comma
        ('<meta name="SiteDomain" content="http://www.x.gov.cn/">', SiteMetas(None, None, ("www.x.gov.cn",))),
        ('<meta name="SiteDomain" content="www.x.gov.cn/col/col1/index.html">', SiteMetas(None, None, ("www.x.gov.cn",))),
        ('<meta name="SiteDomain" content="www.x.gov.cn,x.gov.cn">', SiteMetas(None, None, ("www.x.gov.cn", "x.gov.cn"))),
        ('<meta name="SiteDomain" content="https://WWW.X.GOV.CN:8443/，zwgk.x.gov.cn">',
         SiteMetas(None, None, ("www.x.gov.cn", "zwgk.x.gov.cn"))),
        # State Council departments' codes; full-width and upper-case forms; what is not a code
        ('<meta name="SiteIDCode" content="bm07000001">', SiteMetas("bm07000001", None, ())),
        ('<meta name="SiteIDCode" content=" BM14000002 ">', SiteMetas("bm14000002", None, ())),
        ('<meta name="SiteIDCode" content="４５１０２６０００１">', SiteMetas("4510260001", None, ())),
        ('<meta name="SiteIDCode" content="{$SiteIDCode}">', SiteMetas(None, None, ())),
        ('<meta name="SiteIDCode" content="">', SiteMetas(None, None, ())),
        ("", SiteMetas(None, None, ())),
    ],
)  # fmt: skip
def test_site_metas(head: str, expected: SiteMetas) -> None:
    assert site_metas(f"<html><head>{head}</head><body></body></html>") == expected


def test_page_metas_keep_the_first_of_each_name() -> None:
    html = '<meta name="PubDate" content="2021-06-10"><meta name="pubdate" content="2023-01-01"><meta charset="utf-8">'
    assert page_metas(html) == {"pubdate": "2021-06-10"}


@pytest.mark.parametrize(
    ("declared", "registered", "mismatch"),
    [("4510260001", "4510260001", False), ("4510260002", "4510260001", True), (None, "4510260001", False),
     ("bm07000001", "bm07000001", False)],
)  # fmt: skip
def test_code_mismatch(declared: str | None, registered: str, mismatch: bool) -> None:
    assert code_mismatch(declared, registered) is mismatch


@pytest.mark.parametrize(
    "head",
    ['<meta name="ColumnName" content="通知公告">', '<meta content="通知公告" name="ColumnName">',
     '<meta name="columnname"content="通知公告">', "<META NAME='COLUMNNAME' CONTENT=' 通知公告 '>"],
)  # fmt: skip
def test_column_name_meta_as_written(head: str) -> None:
    assert column_name(f"<html><head>{head}</head><body><p>x</p></body></html>") == "通知公告"
