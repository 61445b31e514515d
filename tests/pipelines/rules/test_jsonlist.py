"""Lists a script loads as JSON: the request found in the page, and the rows and totals of an answer."""

from __future__ import annotations

import json
from datetime import date

import pytest

from pipelines.rules.cms import JsonListRequest, json_list_from_tree, parse_html, parse_json_list
from pipelines.rules.columns import analyse_list_page, items_from_json
from pipelines.rules.kinds import PageKind

PAGE = "http://www.dx.gov.cn/col/zcjd/index.html"
TODAY = date(2018, 1, 5)


def request_in(script: str) -> JsonListRequest | None:
    return json_list_from_tree(
        parse_html(f"<html><body><div id='l'></div><script>{script}</script></body></html>"), PAGE
    )


@pytest.mark.parametrize(
    ("script", "url", "method", "params", "first", "size"),
    [
        (
            "$.ajax({url: '/api/info/list', type: 'post', data: {unitId: '3001', pageNo: page, pageSize: 15}})",
            "http://www.dx.gov.cn/api/info/list",
            "POST",
            {"unitId": "3001", "pageNo": "page", "pageSize": "15"},
            1,
            15,
        ),
        (
            "$.getJSON('../../api/list?columnId=12&pageIndex=0&rows=20', function (r) { show(r); });",
            "http://www.dx.gov.cn/api/list",
            "GET",
            {"columnId": "12", "pageIndex": "0", "rows": "20"},
            0,
            20,
        ),
        (
            "jQuery.get(\"/front/infos\", {channel: 'zcjd', page: 1}, render);",
            "http://www.dx.gov.cn/front/infos",
            "GET",
            {"channel": "zcjd", "page": "1"},
            1,
            None,
        ),
        (
            "fetch('/jpaas/api/doc/list?unitid=5&pageNo=1&pageSize=10').then(r => r.json()).then(draw);",
            "http://www.dx.gov.cn/jpaas/api/doc/list",
            "GET",
            {"unitid": "5", "pageNo": "1", "pageSize": "10"},
            1,
            10,
        ),
        (
            "axios.get('/api/articles', {params: {cid: 7, currentPage: 1, size: 12}}).then(show);",
            "http://www.dx.gov.cn/api/articles",
            "GET",
            {"cid": "7", "currentPage": "1", "size": "12"},
            1,
            12,
        ),
    ],
)
def test_the_paged_request_is_read_from_the_script(
    script: str, url: str, method: str, params: dict[str, str], first: int, size: int | None
) -> None:
    found = request_in(script)
    assert found is not None
    assert (found.url, found.method, found.params, found.first, found.size) == (
        url,
        method,
        params,
        first,
        size,
    )


@pytest.mark.parametrize(
    "script",
    [
        "$.ajax({url: 'http://other.example.com/api/list', data: {pageNo: 1}})",  # another host: not ours
        "$.ajax({url: '/api/weather', data: {city: 'dx'}})",  # no page parameter: not a list
        "$.ajax({url: listUrl, data: {pageNo: 1}})",  # the URL is a variable: nothing to ask
        "$.ajax({url: cfg.api, data: {pageNo: 1}})",
        "var pageNo = 1; console.log(pageNo);",  # a page variable without any request
        "$.ajax({url: 'javascript:void(0)', data: {pageNo: 1}})",
    ],
)
def test_what_is_not_a_paged_request_of_the_page(script: str) -> None:
    assert request_in(script) is None


def test_pages_are_asked_by_number_from_the_first_one() -> None:
    zero_based = JsonListRequest(
        "http://www.dx.gov.cn/api/list", "GET", {"pageIndex": "0", "rows": "20"}, "pageIndex", 0, 20
    )
    assert zero_based.page(1) == ("http://www.dx.gov.cn/api/list?pageIndex=0&rows=20", {})
    assert zero_based.page(3)[0].endswith("pageIndex=2&rows=20")
    posted = JsonListRequest(
        "http://www.dx.gov.cn/api/list", "POST", {"unitId": "3", "pageNo": "page"}, "pageNo"
    )
    assert posted.page(2) == ("http://www.dx.gov.cn/api/list", {"unitId": "3", "pageNo": "2"})
    with pytest.raises(ValueError, match="start at 1"):
        posted.page(0)


def answer(rows: object, **totals: object) -> str:
    return json.dumps({"code": 0, "data": {**totals, "list": rows}}, ensure_ascii=False)


@pytest.mark.parametrize(
    ("row", "title", "url", "day"),
    [
        (
            {"title": "通知", "url": "/art/1.html", "publishTime": "2018-01-04 09:30:00"},
            "通知",
            "http://www.dx.gov.cn/art/1.html",
            date(2018, 1, 4),
        ),
        (
            {"TITLE": "通知", "LINKURL": "a.html", "FBSJ": 1513728000000},
            "通知",
            "http://www.dx.gov.cn/col/zcjd/a.html",
            date(2017, 12, 20),
        ),
        (
            {"docTitle": "通知", "docPubUrl": "/t20171012_1.html", "docRelTime": "2017年10月12日"},
            "通知",
            "http://www.dx.gov.cn/t20171012_1.html",
            date(2017, 10, 12),
        ),
        (
            {"name": "通知", "href": "javascript:open(1)", "date": "2017-09-01"},
            "通知",
            None,
            date(2017, 9, 1),
        ),
        (
            {"title": "未来的日期", "url": "/x.html", "publishTime": 4102444800},
            "未来的日期",
            "http://www.dx.gov.cn/x.html",
            None,
        ),
    ],
)
def test_a_row_gives_its_title_link_and_date(
    row: dict[str, object], title: str, url: str | None, day: date | None
) -> None:
    found = parse_json_list(answer([row]), PAGE, TODAY)
    assert found is not None
    (record,) = found.records
    assert (record.title, record.url, record.date) == (title, url, day)


def test_totals_and_jsonp_are_read() -> None:
    found = parse_json_list(
        "jsonp123(" + answer([{"title": "a", "url": "/a.html"}], total="45") + ");", PAGE, TODAY
    )
    assert found is not None
    assert (found.total_records, found.total_pages, found.pages(15), found.pages(None)) == (45, None, 3, 45)
    paged = parse_json_list(answer([{"title": "a", "url": "/a.html"}], pageCount=7, total=70), PAGE, TODAY)
    assert paged is not None and paged.pages(10) == 7
    huge = parse_json_list(answer([{"title": "a", "url": "/a.html"}], totalPages=10**6), PAGE, TODAY)
    assert huge is not None and huge.pages(10) == 500  # a hostile count is capped


@pytest.mark.parametrize(
    "body",
    [
        "<html>not json</html>",
        answer([{"name": "首页"}, {"name": "政务公开"}]),  # a menu: names without links or dates
        json.dumps({"code": 500, "msg": "error"}),
        "[" * 100_000 + "]" * 100_000,  # nesting past the parser's depth
    ],
)
def test_what_lists_no_rows_is_no_list(body: str) -> None:
    assert parse_json_list(body, PAGE, TODAY) is None


def test_an_empty_answer_keeps_its_totals_but_proves_nothing() -> None:
    found = parse_json_list(answer([], total=0), PAGE, TODAY)
    assert found is not None and found.records == () and found.total_records == 0


def test_a_json_list_page_is_unknown_until_its_data_is_read() -> None:
    html = (
        "<html><head><title>政策解读</title></head><body><div class='list'><ul></ul>"
        "<div class='nodata' style='display:none'>暂无数据</div></div>"
        "<script>$.ajax({url: '/api/info/list', data: {unitId: '1', pageNo: 1, pageSize: 2}});</script></body></html>"
    )
    page = analyse_list_page(html, PAGE, TODAY)
    assert page.kind is PageKind.UNKNOWN
    assert page.json_list is not None and page.json_list.page(2)[0].endswith("unitId=1&pageNo=2&pageSize=2")
    rows = parse_json_list(answer([{"title": "a", "url": "/t20171012_1.html"}]), PAGE, TODAY)
    assert rows is not None
    assert [i.date for i in items_from_json(rows, TODAY)] == [date(2017, 10, 12)]  # the URL's date
