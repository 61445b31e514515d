"""CMS list mechanisms: Hanweb datastore/dataproxy/InitData and TRS pagers, on realistic page snippets."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipelines.rules.cms import (
    MAX_ANNOUNCED_PAGES,
    DataProxyRequest,
    hanweb_dataproxy,
    hanweb_datastore,
    hanweb_initdata,
    parse_dataproxy_response,
    parse_html,
    parse_js_object,
    trs_page_urls,
)

PAGES = Path(__file__).parent / "pages"


def page(name: str) -> str:
    return (PAGES / name).read_text(encoding="utf-8")


# --- datastore ------------------------------------------------------------------------------------------


def test_datastore_records_are_the_cdata_fragments():
    records, total = hanweb_datastore(page("hanweb_datastore.html"))
    assert len(records) == 4
    assert records[0].startswith('<li><a href="/art/2015/3/2/art_1229_100.html"')
    assert "[置顶]" in records[0]
    assert "关于2018年元旦期间值班安排的通知" in records[1]
    assert (
        total is None
    )  # the page's own datastore carries no <totalrecord>; jpage's totalRecord is elsewhere


def test_empty_recordset_is_a_datastore_without_records():
    assert hanweb_datastore(page("hanweb_param_var.html")) == ([], None)


@pytest.mark.parametrize(
    "html",
    [
        "",
        "<html><body><ul><li><a href='/a.html'>标题</a></li></ul></body></html>",
        "<html><body><script type='text/xml'><config><a>1</a></config></script></body></html>",
    ],
)
def test_no_datastore(html):
    assert hanweb_datastore(html) is None


def test_datastore_records_without_cdata_and_the_largest_unit():
    html = """<html><body>
    <div id="1"><script type="text/xml"><datastore><recordset><record><li><a href="/a1.html">甲</a></li></record>
    </recordset></datastore></script></div>
    <div id="2"><script type="text/xml"><datastore><totalrecord>30</totalrecord><recordset>
    <record><![CDATA[<li><a href="/b1.html">乙一</a></li>]]></record><record><![CDATA[<li><a href="/b2.html">乙二</a></li>]]></record>
    </recordset></datastore></script></div></body></html>"""
    assert hanweb_datastore(html) == (
        ['<li><a href="/b1.html">乙一</a></li>', '<li><a href="/b2.html">乙二</a></li>'],
        30,
    )


# --- dataproxy answer -----------------------------------------------------------------------------------


def test_dataproxy_response():
    records, total = parse_dataproxy_response((PAGES / "dataproxy_response.xml").read_text(encoding="utf-8"))
    assert total == 248
    assert len(records) == 2
    assert "关于某某路段临时交通管制的通告" in records[0]
    assert "2017-11-08" in records[1]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", ([], None)),
        ("<html><body>系统繁忙</body></html>", ([], None)),
        ("<datastore><totalrecord>0</totalrecord><recordset></recordset></datastore>", ([], 0)),
        ("<datastore><recordset><record><![CDATA[ ]]></record></recordset></datastore>", ([], None)),
    ],
)
def test_dataproxy_response_edge_cases(text, expected):
    assert parse_dataproxy_response(text) == expected


# --- dataproxy request ----------------------------------------------------------------------------------

JCMS_URL = "http://www.example.gov.cn/col/col1229/index.html"


def test_jpage_call_with_inline_ajax_param():
    proxy = hanweb_dataproxy(page("hanweb_datastore.html"), JCMS_URL)
    assert proxy == DataProxyRequest(
        url="http://www.example.gov.cn/module/web/jpage/dataproxy.jsp",
        method="POST",
        params={
            "appid": "1",
            "webid": "1",
            "path": "/",
            "columnid": "1229",
            "unitid": "4062254",
            "webname": "某某市人民政府",
            "permissiontype": "0",
            "col": "1",
            "sourceContentType": "1",
            "perpage": "15",
        },
        perpage=15,
        total=248,
    )
    assert proxy.page_count == 17


def test_page_requests_put_the_record_window_in_the_query_and_the_unit_in_the_form():
    proxy = hanweb_dataproxy(page("hanweb_datastore.html"), JCMS_URL)
    url, form = proxy.page(1)
    assert (
        url
        == "http://www.example.gov.cn/module/web/jpage/dataproxy.jsp?startrecord=1&endrecord=15&perpage=15"
    )
    assert form["columnid"] == "1229"
    assert form["unitid"] == "4062254"
    assert "perpage" not in form
    assert proxy.page(3)[0].endswith("?startrecord=31&endrecord=45&perpage=15")
    with pytest.raises(ValueError, match="start at 1"):
        proxy.page(0)


def test_param_variable_and_nextgroup_shape():
    proxy = hanweb_dataproxy(
        page("hanweb_param_var.html"), "http://www.example.gov.cn/col/col33718/index.html"
    )
    assert proxy is not None
    assert proxy.method == "POST"
    assert (proxy.perpage, proxy.total) == (19, 4895)
    assert proxy.params["columnid"] == "33718"
    assert proxy.params["unitid"] == "212860"
    assert proxy.params["webname"] == "某某县人民政府"
    assert "page" not in proxy.params
    assert proxy.page(2) == (
        "http://www.example.gov.cn/module/web/jpage/dataproxy.jsp?startrecord=20&endrecord=38&perpage=19",
        {k: v for k, v in proxy.params.items() if k != "perpage"},
    )


def test_nextgroup_alone_is_enough():
    html = """<html><body><div id="777"><script type="text/xml"><datastore>
    <nextgroup><![CDATA[<a href="/module/web/jpage/dataproxy.jsp?page=1&amp;webid=3&amp;path=/&amp;columnid=55&amp;unitid=777&amp;permissiontype=0"></a>]]></nextgroup>
    <recordset></recordset></datastore></script></div></body></html>"""
    proxy = hanweb_dataproxy(html, "https://www.example.gov.cn/col/col55/index.html")
    assert proxy == DataProxyRequest(
        url="https://www.example.gov.cn/module/web/jpage/dataproxy.jsp",
        method="POST",
        params={
            "webid": "3",
            "path": "/",
            "columnid": "55",
            "unitid": "777",
            "permissiontype": "0",
            "perpage": "15",
        },
        perpage=15,
    )
    assert proxy.page_count is None


def test_plain_dataproxy_url_is_a_get_request():
    html = """<html><body><div id="list"></div><script>
    var url = 'dataproxy.jsp?startrecord=1&endrecord=45&perpage=15&col=1&appid=1&webid=1&path=/&columnid=123&sourceContentType=1&unitid=456&webname=某某县&permissiontype=0';
    $.post(url, function (d) { $('#list').html(d); });
    </script></body></html>"""
    proxy = hanweb_dataproxy(html, "http://www.example.gov.cn/module/web/jpage/index.html")
    assert proxy is not None
    assert (proxy.url, proxy.method, proxy.perpage) == (
        "http://www.example.gov.cn/module/web/jpage/dataproxy.jsp",
        "GET",
        15,
    )
    assert proxy.params["columnid"] == "123"
    assert "startrecord" not in proxy.params
    url, form = proxy.page(2)
    assert form == {}
    assert "columnid=123" in url
    assert url.endswith("startrecord=16&endrecord=30&perpage=15")


def test_several_units_the_page_column_wins():
    html = """<html><body><script>
    $('#11').jpage({proxyUrl:'/module/web/jpage/dataproxy.jsp', perPage:5, ajaxParam:{columnid:900, unitid:'11'}});
    $('#22').jpage({proxyUrl:'/module/web/jpage/dataproxy.jsp', perPage:20, ajaxParam:{columnid:1229, unitid:'22'}});
    </script></body></html>"""
    assert hanweb_dataproxy(html, JCMS_URL).params["unitid"] == "22"
    assert hanweb_dataproxy(html, "http://www.example.gov.cn/col/col1/index.html").params["unitid"] == "11"


@pytest.mark.parametrize(
    "html",
    [
        "<html><body><ul><li><a href='/a.html'>标题</a></li></ul></body></html>",
        # a jpage pager that is not a jcms list (no proxy, no columnid)
        "<html><body><script>$('#jpage').jpage({effect: 'random'});</script></body></html>",
        # a custom proxy we do not understand
        "<html><body><script>$('#l').jpage({proxyUrl:'query!result.zf', ajaxParam:{columnid:1}});</script></body></html>",
    ],
)
def test_no_dataproxy(html):
    assert hanweb_dataproxy(html, JCMS_URL) is None


def test_initdata_array_of_older_jcms():
    root = parse_html(page("hanweb_initdata.html"))
    rows = hanweb_initdata(root)
    assert len(rows) == 2
    assert "某某学校办公家具项目招标公告" in rows[0]
    assert "[2014-05-14]" in rows[1]
    proxy = hanweb_dataproxy(
        page("hanweb_initdata.html"), "http://zfcg.example.gov.cn/col/col30067/index.html"
    )
    assert (proxy.url, proxy.perpage, proxy.total) == (
        "http://zfcg.example.gov.cn/module/jslib/jquery/jpage/dataproxy.jsp",
        25,
        1418,
    )
    assert hanweb_initdata(parse_html("<html><body><p>x</p></body></html>")) is None


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("{a: 1, 'b': \"x\", c: {d: 'e'}}", {"a": "1", "b": "x", "c": {"d": "e"}}),
        ("{ // comment\n a: 'it\\'s', /* c */ b: '\\u4e2d' }", {"a": "it's", "b": "中"}),
        ("{a: [1, 'two'], b: fn(1, 2), c: 'x' + y}", {"a": ["1", "two"], "b": "fn(1, 2)", "c": "'x' + y"}),
        ("{a: 1, b:", {"a": "1", "b": None}),
    ],
)
def test_parse_js_object(source, expected):
    assert parse_js_object(source, 0)[0] == expected


# --- TRS ------------------------------------------------------------------------------------------------


def test_trs_create_page_html():
    urls = trs_page_urls(page("trs_createpage.html"), "http://www.example.gov.cn/xwzx/gzdt/index.shtml")
    assert urls == [
        "http://www.example.gov.cn/xwzx/gzdt/index_1.shtml",
        "http://www.example.gov.cn/xwzx/gzdt/index_2.shtml",
        "http://www.example.gov.cn/xwzx/gzdt/index_3.shtml",
    ]


def test_trs_count_page_variables():
    urls = trs_page_urls(page("trs_countpage.html"), "http://www.example.gov.cn/zcwj/index_2.htm")
    assert urls == [
        "http://www.example.gov.cn/zcwj/index.htm",
        "http://www.example.gov.cn/zcwj/index_1.htm",
        "http://www.example.gov.cn/zcwj/index_3.htm",
        "http://www.example.gov.cn/zcwj/index_4.htm",
    ]


@pytest.mark.parametrize(
    ("script", "page_url", "expected"),
    [
        ('createPageHTML(1, 0, "index", "html");', "http://e.gov.cn/a/", []),
        ("createPageHTML(3, 0, 'index', 'htm');", "http://e.gov.cn/a/", ["http://e.gov.cn/a/index_1.htm", "http://e.gov.cn/a/index_2.htm"]),
        ("createPageHTML('page_div',3, 1,'list','shtml',45);", "http://e.gov.cn/a/list_1.shtml", ["http://e.gov.cn/a/list.shtml", "http://e.gov.cn/a/list_2.shtml"]),
        ("function createPageHTML(_nPageCount, _nCurrIndex, _sPageName, _sPageExt){}", "http://e.gov.cn/a/", []),
        ("var countPage = 2//共多少页\nvar currentPage = 0;", "http://e.gov.cn/b/index.html", ["http://e.gov.cn/b/index_1.html"]),
    ],
)  # fmt: skip
def test_trs_variants(script, page_url, expected):
    assert trs_page_urls(f"<html><body><script>{script}</script></body></html>", page_url) == expected


def test_trs_announced_pages_are_capped():
    html = '<html><body><script>createPageHTML(999999, 0, "index", "html");</script></body></html>'
    assert len(trs_page_urls(html, "http://e.gov.cn/")) == MAX_ANNOUNCED_PAGES - 1


def test_parse_html_is_total():
    assert parse_html("").find("body") is not None
    assert (
        parse_html("<?xml version='1.0' encoding='gbk'?><html><body><p>中文</p></body></html>").findtext(
            ".//p"
        )
        == "中文"
    )
    gbk_declared = '<html><head><meta charset="gbk"></head><body><p>政务公开</p></body></html>'
    assert parse_html(gbk_declared).findtext(".//p") == "政务公开"
