"""Column logic: list-page analysis, breadcrumbs and names, column discovery, categories, homepage dates."""

from __future__ import annotations

import ast
from datetime import date
from pathlib import Path

import pytest

from pipelines.rules.columns import (
    DEFAULT_CATEGORY_KEYWORDS,
    ColumnLink,
    ListItem,
    analyse_list_page,
    breadcrumb,
    category_for,
    column_name,
    discover_columns,
    homepage_newest_date,
    is_placeholder,
    might_be_column,
    newest_date,
    page_as_column,
)
from pipelines.rules.kinds import ColumnCategory

PAGES = Path(__file__).parent / "pages"
TODAY = date(2018, 1, 5)
SITE = "http://www.example.gov.cn"
LIST_URL = f"{SITE}/zwgk/tzgg/index.html"


def page(name: str, encoding: str = "utf-8") -> str:
    return (PAGES / name).read_bytes().decode(encoding)


def column_page(content: str, head: str = "", side: str = "") -> str:
    """A county column page: header nav with a clock script, breadcrumb, sidebar, content area, long footer."""
    return f"""<html><head><meta charset="utf-8"><title>通知公告</title>{head}</head><body>
<div class="header"><script>document.write("今天是" + new Date().toLocaleDateString());</script>
  <ul class="nav"><li><a href="/">首页</a></li><li><a href="/zwgk/">政务公开</a></li><li><a href="/xwzx/">新闻中心</a></li></ul>
</div>
<div class="location">当前位置：<a href="/">首页</a> &gt; <a href="/zwgk/">政务公开</a> &gt; 通知公告</div>
<div class="main">
  <div class="left"><h3>政务公开</h3><ul><li><a href="/zwgk/tzgg/">通知公告</a></li><li><a href="/zwgk/zcwj/">政策文件</a></li>
  </ul>{side}</div>
  <div class="right">{content}</div>
</div>
<div class="footer"><p>版权所有：某某县人民政府 地址：某某县某某路1号 邮编：533000 电话：0776-1234567</p>
<p>网站标识码：4510260001 桂ICP备12000000号-1 桂公网安备45102602000001号 技术支持：某某科技有限公司</p></div>
</body></html>"""


def analyse(content: str, **kwargs: str):
    return analyse_list_page(column_page(content, **kwargs), LIST_URL, TODAY)


# --- CMS pages --------------------------------------------------------------------------------------------


def test_hanweb_list_with_items_only_in_the_datastore():
    result = analyse_list_page(page("hanweb_datastore.html"), f"{SITE}/col/col1229/index.html", TODAY)
    assert (result.kind, result.reason, result.name, result.total) == ("list", "datastore", "通知公告", 248)
    assert result.items[0] == ListItem(
        title="关于网站改版试运行的公告",
        url=f"{SITE}/art/2015/3/2/art_1229_100.html",
        date=date(2015, 3, 2),
        pinned=True,
    )
    assert [i.date for i in result.items[1:]] == [date(2018, 1, 3), date(2017, 12, 28), date(2017, 12, 15)]
    assert not any(i.pinned for i in result.items[1:])
    assert newest_date(result.items) == date(2018, 1, 3)
    assert result.dataproxy is not None
    assert result.dataproxy.params["columnid"] == "1229"


def test_hanweb_empty_datastore_with_records_behind_dataproxy_is_unknown():
    result = analyse_list_page(page("hanweb_param_var.html"), f"{SITE}/col/col33718/index.html", TODAY)
    assert (result.kind, result.items, result.total) == ("unknown", (), 4895)
    assert result.dataproxy is not None
    assert result.name == "工作动态"


def test_hanweb_datastore_with_total_zero_is_empty():
    html = """<html><body><div class="position">当前位置：<a href="/">首页</a> &gt; <a href="/col/col9/index.html">人事信息</a></div>
    <div id="99"><script type="text/xml"><datastore><recordset></recordset></datastore></script></div>
    <script>$('#99').jpage({totalRecord:0, perPage:15, proxyUrl:'/module/web/jpage/dataproxy.jsp',
      ajaxParam:{columnid:9, unitid:'99', webid:1}});</script></body></html>"""
    result = analyse_list_page(html, f"{SITE}/col/col9/index.html", TODAY)
    assert (result.kind, result.reason, result.name) == ("empty", "datastore totalrecord 0", "人事信息")


def test_hanweb_initdata_rows():
    result = analyse_list_page(
        page("hanweb_initdata.html"), "http://zfcg.example.gov.cn/col/col30067/", TODAY
    )
    assert result.kind == "list"
    assert [(i.title, i.date) for i in result.items] == [
        ("某某学校办公家具项目招标公告", date(2014, 5, 15)),
        ("卫生应急指挥平台二期项目招标公告", date(2014, 5, 14)),
    ]


def test_trs_list_with_pages_announced_by_create_page_html():
    result = analyse_list_page(page("trs_createpage.html"), f"{SITE}/xwzx/gzdt/index.shtml", TODAY)
    assert (result.kind, result.name) == ("list", "工作动态")
    assert [i.title for i in result.items] == [
        "县长主持召开县政府第25次常务会议",  # written by document.write: the title attribute stands in
        "我县召开2018年脱贫攻坚工作推进会",
        "县领导开展岁末年初安全生产检查",
    ]
    assert result.items[0].url == f"{SITE}/xwzx/gzdt/201801/t20180104_1356221.html"
    assert newest_date(result.items) == date(2018, 1, 4)
    assert result.next_pages == tuple(f"{SITE}/xwzx/gzdt/index_{n}.shtml" for n in (1, 2, 3))


def test_trs_list_with_pages_announced_by_count_page():
    result = analyse_list_page(page("trs_countpage.html"), f"{SITE}/zcwj/index_2.htm", TODAY)
    assert result.kind == "list"
    assert [i.date for i in result.items] == [date(2017, 10, 12), date(2017, 9, 1)]
    assert f"{SITE}/zcwj/index_3.htm" in result.next_pages
    assert f"{SITE}/zcwj/index_2.htm" not in result.next_pages


def test_gbk_table_list():
    result = analyse_list_page(page("gbk_list.html", "gb18030"), f"{SITE}/xzdt/index.asp", TODAY)
    assert (result.kind, result.name) == ("list", "乡镇动态")
    assert [(i.title, i.date) for i in result.items] == [
        ("某某镇开展冬季森林防火宣传活动", date(2017, 12, 26)),
        ("某某乡召开村“两委”换届选举工作会议", date(2017, 12, 18)),
        ("某某镇组织收看全国扶贫日活动", date(2017, 10, 17)),
    ]
    assert result.items[0].url == f"{SITE}/xzdt/show.asp?id=2031"


# --- generic lists ----------------------------------------------------------------------------------------


def test_pinned_old_item_first_then_newer_ones():
    result = analyse("""<ul class="list">
      <li class="top"><img src="/images/zhiding.gif"><a href="./201501/t20150101_1.html">[置顶]关于网站改版的说明</a><span>2015-01-01</span></li>
      <li><a href="./201711/t20171120_5.html">关于开展冬季安全生产大检查的通知</a><span>2017-11-20</span></li>
      <li><a href="./201712/t20171201_6.html">关于做好年底前各项工作的通知</a><span>2017-12-01</span></li>
    </ul>""")
    assert result.kind == "list"
    assert [i.pinned for i in result.items] == [True, False, False]
    assert result.items[0].title == "关于网站改版的说明"
    assert newest_date(result.items) == date(2017, 12, 1)


def test_month_day_dates_across_a_year_boundary():
    result = analyse("""<ul class="news_list">
      <li><a href="/zwgk/tzgg/show.jsp?id=31">关于元旦假期值班安排的通知</a><span>12-30</span></li>
      <li><a href="/zwgk/tzgg/show.jsp?id=32">关于开展春运安全检查的通知</a><span>01-03</span></li>
    </ul>""")
    assert [i.date for i in result.items] == [date(2017, 12, 30), date(2018, 1, 3)]
    assert newest_date(result.items) == date(2018, 1, 3)


def test_lookalike_numbers_are_not_dates():
    result = analyse("""<table class="xxgk_list">
      <tr><td>000014349/2017-00123</td><td><a href="/xxgk/content?id=1">关于印发某某县防汛应急预案的通知</a></td><td>2017-11-03</td></tr>
      <tr><td>索引号：000014349/2026-02-00018</td><td><a href="/xxgk/content?id=2">某某县2017年政府信息公开工作年度报告</a></td><td></td></tr>
      <tr><td>000014349/2017-00125</td><td><a href="/xxgk/content?id=3">某某县人民政府关于调整部分领导分工的通知</a></td><td>电话：0776-2822222</td></tr>
    </table>""")
    assert result.kind == "list"
    assert [i.date for i in result.items] == [date(2017, 11, 3), None, None]


def test_date_only_in_the_item_url():
    result = analyse("""<ul class="list"><li><a href="/art/2017/10/12/art_12_345.html">关于印发某某办法的通知</a></li>
    <li><a href="/art/2017/9/1/art_12_300.html">关于某某工作的通知</a></li></ul>""")
    assert [i.date for i in result.items] == [date(2017, 10, 12), date(2017, 9, 1)]


def test_undated_rows_of_article_links_are_items():
    result = analyse("""<ul class="list"><li><a href="/zwgk/tzgg/content_123.html">关于开展某某工作的通知</a></li>
    <li><a href="/zwgk/tzgg/content_124.html">关于做好某某工作的通知</a></li></ul>""")
    assert result.kind == "list"
    assert [(i.title, i.date) for i in result.items] == [
        ("关于开展某某工作的通知", None),
        ("关于做好某某工作的通知", None),
    ]
    assert newest_date(result.items) is None


def test_flat_list_div_rows_script_links_and_pager():
    result = analyse("""<div class="newslist">
      <a href="/zwgk/tzgg/201712/t20171205_1.html">关于开展消防安全检查的通知</a> 2017-12-05<br>
      <a href="/zwgk/tzgg/201711/t20171128_2.html">关于征集民生实事项目的公告</a> [2017-11-28]<br>
      <div class="item"><div class="t"><a href="javascript:void(0)" onclick="openDoc('88')">关于某某工作的补充通知</a></div><div class="d">2017-11-20</div></div>
    </div>
    <div class="pagination"><a href="index.html">首页</a><a href="index.html">1</a><a href="index_1.html">2</a><a href="index_1.html">下一页</a></div>""")
    assert result.kind == "list"
    assert [(i.title, i.date) for i in result.items[:2]] == [
        ("关于开展消防安全检查的通知", date(2017, 12, 5)),
        ("关于征集民生实事项目的公告", date(2017, 11, 28)),
    ]
    assert f"{SITE}/zwgk/tzgg/index_1.html" in result.next_pages


def test_flat_row_date_is_read_near_its_link_not_deep_in_the_prose_after_it():
    """A flat row's date stands by its link; a date 5,000 characters into the text after it is the article's."""
    prose = (
        "本县坚持以人民为中心的发展思想，围绕优化营商环境、保障和改善民生等重点领域及时发布政策文件。" * 110
    )
    result = analyse(f"""<div class="newslist">
      <a href="/zwgk/tzgg/a1.html">关于开展消防安全检查的通知</a> 2017-12-05<br>
      <a href="/zwgk/tzgg/a2.html">关于征集民生实事项目的公告</a> [2017-11-28]<br>
      <a href="/zwgk/tzgg/a3.html">关于某某工作的补充通知</a><span>2017-11-20</span><p>{prose}</p>
      <a href="/zwgk/tzgg/a4.html">关于开展评议工作的通知</a><p>{prose}</p><p>2017-10-09</p>
    </div>""")
    assert [(i.title, i.date) for i in result.items] == [
        ("关于开展消防安全检查的通知", date(2017, 12, 5)),
        ("关于征集民生实事项目的公告", date(2017, 11, 28)),
        ("关于某某工作的补充通知", date(2017, 11, 20)),
        ("关于开展评议工作的通知", None),
    ]


def test_script_link_rows_keep_their_date_without_url():
    result = analyse("""<ul class="list">
      <li><a href="javascript:;" onclick="showDetail(88)">关于某某工作的补充通知</a><span>2017-11-20</span></li>
      <li><a href="javascript:;" onclick="showDetail(89)">关于某某工作的通知</a><span>2017-11-10</span></li></ul>""")
    assert [(i.url, i.date) for i in result.items] == [(None, date(2017, 11, 20)), (None, date(2017, 11, 10))]


def test_sidebar_hot_list_does_not_beat_the_content_list():
    side = """<div class="side-hot"><h3>热点信息</h3><ul>
      <li><a href="/xwzx/201801/t20180104_9.html">县长调研重点项目建设</a><span>2018-01-04</span></li>
      <li><a href="/xwzx/201801/t20180103_8.html">全县脱贫攻坚推进会召开</a><span>2018-01-03</span></li></ul></div>"""
    content = (
        "<ul class='list'>"
        + "".join(
            f"<li><a href='/zwgk/tzgg/2017{m:02d}/t2017{m:02d}01_{m}.html'>关于第{m}批项目的公示公告</a><span>2017-{m:02d}-01</span></li>"
            for m in range(1, 8)
        )
        + "</ul>"
    )
    result = analyse(content, side=side)
    assert len(result.items) == 7
    assert newest_date(result.items) == date(2017, 7, 1)


def test_base_href_resolves_items():
    html = """<html><head><base href="http://www.example.gov.cn/zwgk/"></head><body>
    <ul class="list"><li><a href="tzgg/t20171201_1.html">关于某某的通知</a><span>2017-12-01</span></li></ul></body></html>"""
    result = analyse_list_page(html, "http://www.example.gov.cn/other/page.html", TODAY)
    assert result.items[0].url == "http://www.example.gov.cn/zwgk/tzgg/t20171201_1.html"


# --- pages without items ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "placeholder"),
    [
        ('<div class="list"><ul><li>该栏目暂无信息</li></ul></div>', "该栏目暂无信息"),
        ('<div class="list"><p>暂无内容！</p></div>', "暂无内容！"),
        ('<div class="list"><img src="/images/jianshe.jpg" alt="正在建设中"></div>', "正在建设中"),
        ('<ul class="list"></ul><div class="page">共0条记录 第1/1页</div>', "共0条"),
        ("<table><tr><td>本栏目暂无信息，敬请关注！</td></tr></table>", "本栏目暂无信息，敬请关注！"),
    ],
)
def test_placeholder_only_column_is_empty(content, placeholder):
    result = analyse(content)
    assert (result.kind, result.items, result.placeholder) == ("empty", (), placeholder)
    assert result.name == "通知公告"


def test_empty_list_container_is_empty():
    result = analyse('<div class="title">通知公告</div><ul class="news_list">\n</ul>')
    assert (result.kind, result.reason) == ("empty", "empty container ul.news_list")


def test_empty_trs_list_with_a_one_page_pager_is_empty():
    pager = '<script>var countPage = 1;var currentPage = 0;if(countPage>1)document.write("<a href=\\"index_1.html\\">下一页</a>");</script>'
    result = analyse(f'<ul class="list"></ul><div class="page">{pager}</div>')
    assert (result.kind, result.reason, result.next_pages) == ("empty", "empty container ul.list", ())


def test_main_placeholder_wins_over_a_dated_sidebar_list():
    side = """<div class="side"><ul><li><a href="/xwzx/t20180104_1.html">县长调研重点项目建设情况</a><span>2018-01-04</span></li>
    <li><a href="/xwzx/t20180103_2.html">全县脱贫攻坚推进会召开</a><span>2018-01-03</span></li></ul></div>"""
    result = analyse('<div class="list">暂无信息</div>', side=side)
    assert (result.kind, result.placeholder) == ("empty", "暂无信息")


SINGLE = """<div class="content"><h2>机构职能</h2>
<p>某某县人民政府办公室是县人民政府的办事机构，主要职责是：负责县人民政府会议的准备工作，协助县人民政府领导同志组织实施会议决定事项；
协助县人民政府领导同志处理县人民政府日常工作。</p><p>负责督促检查县人民政府各部门和各乡镇人民政府对县人民政府公文、会议决定事项的贯彻落实情况。</p></div>"""


@pytest.mark.parametrize(
    ("content", "side"),
    [
        (SINGLE, ""),
        (SINGLE, '<div class="side-related"><h3>相关信息</h3><p>暂无相关信息</p></div>'),
        ('<div class="content"><img src="/uploads/2017/jgszt.jpg"></div>', ""),
    ],
)
def test_single_page_column(content, side):
    assert analyse(content, side=side).kind == "single"


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ('<div id="list"></div><script>$.ajax({url: "/api/list?col=12", success: function (d) { $("#list").html(d); }});</script>', "script $.ajax("),
        ('<div id="list"></div><script src="/js/column-list.js"></script>', "script column-list.js"),
        ('<div id="app"><div class="list" v-for="x in items">{{ x.title }}</div><p>暂无数据</p></div>', "template attributes"),
        ('<div id="content"></div><script>fetch("/api/articles").then(r => r.json()).then(render);</script>', "script fetch("),
        ('<iframe src="/zwgk/tzgg/list.jsp" width="100%" height="600"></iframe>', "frames"),
        ('<div class="page"><script>createPageHTML(5, 0, "index", "html");</script></div>', "pager"),
        ("<script>var $_ts=window['$_ts'];if(!$_ts)$_ts={};eval(function(p){return p}('x'));</script>", "script eval("),
        ("", "no list found"),
    ],
)  # fmt: skip
def test_list_we_cannot_read_is_unknown_not_empty(content, reason):
    result = analyse(content)
    assert (result.kind, result.items, result.reason) == ("unknown", (), reason)


def test_frameset_page_is_unknown_with_its_frames():
    result = analyse_list_page("<html><frameset><frame src='list.html'></frameset></html>", LIST_URL, TODAY)
    assert (result.kind, result.frames) == ("unknown", (f"{SITE}/zwgk/tzgg/list.html",))


def test_frames_are_reported():
    result = analyse(
        '<iframe src="list.jsp?col=5"></iframe><iframe src="http://tj.other.cn/count.html"></iframe>'
    )
    assert result.frames == (f"{SITE}/zwgk/tzgg/list.jsp?col=5",)


def test_custom_placeholders():
    result = analyse_list_page(
        column_page('<div class="list">信息待发布</div>'), LIST_URL, TODAY, ("信息待发布",)
    )
    assert (result.kind, result.placeholder) == ("empty", "信息待发布")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("暂无信息", True),
        ("该栏目暂无信息！", True),
        ("  暂无 数据 ", True),
        ("栏目正在建设中，敬请期待……", True),
        ("本栏目暂无信息，请浏览其他栏目或返回首页继续访问", True),
        (
            "目前暂无信息公开申请的记录。本年度共受理主动公开事项一百二十件，依申请公开事项三件，均已按期答复。",
            False,
        ),
        ("关于暂无信息公开申请的情况说明以及后续工作安排的通知", False),
        ("工作动态", False),
        ("", False),
    ],
)
def test_is_placeholder(text, expected):
    assert is_placeholder(text) is expected


@pytest.mark.parametrize(
    ("dates", "expected"),
    [
        ([], None),
        ([None, None], None),
        ([date(2015, 1, 1), date(2017, 12, 1), None, date(2017, 11, 1)], date(2017, 12, 1)),
    ],
)
def test_newest_date(dates, expected):
    items = [ListItem(title="t", url=None, date=d, pinned=n == 0) for n, d in enumerate(dates)]
    assert newest_date(items) == expected


# --- homepage ---------------------------------------------------------------------------------------------


def test_homepage_newest_date_counts_distinct_dated_items():
    assert homepage_newest_date(page("county_home.html"), f"{SITE}/", TODAY) == (date(2018, 1, 4), 7)


def test_homepage_without_dates_and_footer_dates():
    html = """<html><body><ul class="nav"><li><a href="/zwgk/">政务公开</a></li></ul>
    <div class="footer"><a href="/gywm/t20180105_1.html">网站更新于2018-01-05</a></div></body></html>"""
    assert homepage_newest_date(html, f"{SITE}/", TODAY) == (None, 0)


def test_homepage_marquee_duplicates_count_once():
    row = '<li><a href="/xw/201801/t20180102_1.html">我县召开经济工作会议</a><span>01-02</span></li>'
    html = f"<html><body><div class='scroll'><ul>{row}{row}</ul><ul>{row}</ul></div></body></html>"
    assert homepage_newest_date(html, f"{SITE}/", TODAY) == (date(2018, 1, 2), 1)


# --- breadcrumbs and names --------------------------------------------------------------------------------


IMAGE_ARROWS = (
    '<div class="wz"><a href="/"><img src="/images/home.gif" alt="首页"></a><img src="/images/arrow.gif">'
    '<a href="/zwgk/">政务公开</a><img src="/images/arrow.gif"><a href="/zwgk/ghjh/">规划计划</a></div>'
)


@pytest.mark.parametrize(
    ("crumb", "expected"),
    [
        ('<div class="dqwz">当前位置：首页 > 政务公开 > 通知公告</div>', ["首页", "政务公开", "通知公告"]),
        ('<div>您现在的位置: <a href="/">首页</a> » <a href="/xwzx/">新闻中心</a> » <a href="/xwzx/gzdt/">工作动态</a></div>',
         ["首页", "新闻中心", "工作动态"]),
        ('<td class="nav_path"><span>当前位置：</span><a href="/">首页</a>&gt;<a href="/zwgk/">政务公开</a>&gt;<a href="/zwgk/tzgg/">通知公告</a></td>',
         ["首页", "政务公开", "通知公告"]),
        ('<div class="crumbs"><a href="/">首页</a> ＞ <a href="/zwgk/">政务公开</a> ＞ <span>人事信息</span></div>',
         ["首页", "政务公开", "人事信息"]),
        (IMAGE_ARROWS, ["首页", "政务公开", "规划计划"]),
        ('<p class="position">位置：<a href="/">首页</a> / <a href="/zwgk/">政务公开</a> / <a href="/zwgk/zcwj/">政策文件</a> / 正文</p>',
         ["首页", "政务公开", "政策文件"]),
        ('<div>您当前所在位置：<a href="/">网站首页</a> -> <a href="/hdjl/">互动交流</a> -> <a href="/hdjl/zxft/">在线访谈</a></div>',
         ["网站首页", "互动交流", "在线访谈"]),
        ("<div>当前位置：通知公告</div>", ["通知公告"]),
        ("<div class='banner'>位置图</div><p>这里是普通的文字。</p>", []),
    ],
)  # fmt: skip
def test_breadcrumb_variants(crumb, expected):
    html = f"<html><body><div class='top'><a href='/'>首页</a></div>{crumb}<ul><li><a href='/a.html'>文章</a></li></ul></body></html>"
    assert breadcrumb(html) == expected
    assert column_name(html) == (expected[-1] if expected else None)


def test_column_name_meta_beats_breadcrumb():
    html = """<html><head><meta name="ColumnName" content=" 政策文件 "></head>
    <body><div>当前位置：首页 &gt; 政务公开 &gt; 规范性文件</div></body></html>"""
    assert column_name(html) == "政策文件"
    assert column_name(html.replace('content=" 政策文件 "', 'content=""')) == "规范性文件"
    assert column_name("<html><body><p>无</p></body></html>") is None


# --- discovery --------------------------------------------------------------------------------------------


def test_discover_columns_on_a_county_homepage():
    assert discover_columns(page("county_home.html"), f"{SITE}/") == [
        ColumnLink("政务公开", f"{SITE}/zwgk/", "nav"),
        ColumnLink("领导信息", f"{SITE}/zwgk/ldxx/", "nav"),
        ColumnLink("机构职能", f"{SITE}/zwgk/jgzn/", "nav"),
        ColumnLink("新闻中心", f"{SITE}/xwzx/", "nav"),
        ColumnLink("政务服务", f"{SITE}/zwfw/", "nav"),
        ColumnLink("互动交流", f"{SITE}/hdjl/", "nav"),
        ColumnLink("工作动态", f"{SITE}/xwzx/gzdt/", "block"),
        ColumnLink("通知公告", f"{SITE}/zwgk/tzgg/", "block"),  # 更多 is an image
        ColumnLink("政策解读", f"{SITE}/zwgk/zcjd/", "block"),  # a linked block title, no 更多
        ColumnLink("人事信息", f"{SITE}/zwgk/rsxx/", "block"),
        ColumnLink("脱贫攻坚", f"{SITE}/ztzl/tpgj/", "sidebar"),
        ColumnLink("环境保护", f"{SITE}/ztzl/hjbh/", "sidebar"),
    ]
    # skipped: 首页, 设为首页/加入收藏 (javascript), 无障碍, 繁体, English, 登录, 网站地图, other hosts, footer links


def test_discover_columns_on_a_column_page():
    html = column_page('<ul class="list"><li><a href="/zwgk/tzgg/t20171201_1.html">关于某某的通知</a><span>2017-12-01</span></li></ul>',
                       head='<meta name="ColumnName" content="通知公告">')  # fmt: skip
    found = {(c.name, c.url, c.how) for c in discover_columns(html, LIST_URL)}
    assert found == {
        ("政务公开", f"{SITE}/zwgk/", "nav"),
        ("新闻中心", f"{SITE}/xwzx/", "nav"),
        ("通知公告", f"{SITE}/zwgk/tzgg/", "sidebar"),
        ("政策文件", f"{SITE}/zwgk/zcwj/", "sidebar"),
    }  # the page itself is not a link: page_as_column decides whether it is a column


def test_discover_columns_block_details():
    html = """<html><body>
    <div class="box"><div class="hd"><a class="more" href="/zwgk/tzgg/" style="float:right">更多通知公告&gt;&gt;</a></div>
      <ul><li><a href="/zwgk/tzgg/t20180101_1.html">关于某某的通知</a><span>01-01</span></li></ul></div>
    <div class="box"><div class="more"><a href="http://example.gov.cn/xwzx/bmdt/#top">more</a></div><h4>部门动态</h4>
      <ul><li><a href="/xwzx/bmdt/t20180102_1.html">某某局召开会议</a><span>01-02</span></li></ul></div>
    <div class="box"><h4>外部链接</h4><a href="http://www.other.gov.cn/list/">更多</a></div>
    <div class="box"><h4>专题</h4><a href="javascript:showMore()">更多</a></div>
    </body></html>"""
    assert discover_columns(html, f"{SITE}/") == [
        ColumnLink("通知公告", f"{SITE}/zwgk/tzgg/", "block"),
        ColumnLink(
            "部门动态", "http://example.gov.cn/xwzx/bmdt/", "block"
        ),  # www. and bare host are one site
    ]


# --- a page that is a column itself (ColumnName meta, list detection) --------------------------------------

ROWS = """<ul class="list">
<li><a href="./201712/t20171220_3.html">关于做好2018年元旦春节期间有关工作的通知</a><span>2017-12-20</span></li>
<li><a href="./201711/t20171102_2.html">关于开展2017年度统计执法检查的公告</a><span>2017-11-02</span></li>
<li><a href="./201710/t20171015_1.html">关于公布2017年县级行政权力清单的公告</a><span>2017-10-15</span></li>
</ul>"""
ARTICLE_BODY = (
    "<h1>县长在全县经济工作会议上的讲话</h1><p>"
    + "同志们：今天召开全县经济工作会议，总结今年经济工作，部署明年经济工作。" * 5
    + "</p><p>相关文章：</p>"
)


def own(html: str, url: str = f"{SITE}/zwgk/bmwj/index.html"):
    found = page_as_column(html, url, TODAY)
    return None if found is None else (found[0].name, found[0].how, found[1].kind, len(found[1].items))


def bare(content: str, head: str = "", title: str = "部门文件_某某县人民政府", crumb: str = "") -> str:
    """A page with header nav, an optional breadcrumb and a content area, linked from nowhere it names."""
    return f"""<html><head><meta charset="utf-8"><title>{title}</title>{head}</head><body>
<div class="nav"><a href="/">首页</a><a href="/zwgk/">政务公开</a><a href="/xwzx/">新闻中心</a></div>
{crumb}<div class="main">{content}</div>
<div class="footer">版权所有：某某县人民政府 电话：0776-1234567 网站标识码：4510260001</div></body></html>"""


META = '<meta name="ColumnName" content="部门文件">'


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        (bare(ROWS, head=META), ("部门文件", "meta", "list", 3)),
        (
            bare(ROWS[: ROWS.index("<li>", 20)] + "</ul>", head=META),
            ("部门文件", "meta", "list", 1),
        ),  # one row is enough
        (bare('<ul class="list"><li>暂无信息</li></ul>', head=META), ("部门文件", "meta", "empty", 0)),
        (
            bare("<p>" + "本局负责全县财政收支管理、预算编制和执行等工作。" * 4 + "</p>", head=META),
            ("部门文件", "meta", "single", 0),
        ),  # a content column (机构职能-like)
        (bare(ROWS), ("部门文件", "list", "list", 3)),  # named by <title>, the site's name skipped
        (bare(ROWS, title="某某县人民政府-部门文件"), ("部门文件", "list", "list", 3)),
        (
            bare(ROWS, crumb='<div class="crumb">当前位置：<a href="/">首页</a> &gt; 部门动态</div>'),
            ("部门动态", "list", "list", 3),
        ),  # the breadcrumb beats <title>
    ],
    ids=[
        "meta-list",
        "meta-one-row",
        "meta-placeholder",
        "meta-single",
        "list-title",
        "list-title-after-site",
        "list-breadcrumb",
    ],
)
def test_a_page_that_is_a_column_itself(html: str, expected: tuple[object, ...]) -> None:
    assert own(html) == expected


@pytest.mark.parametrize(
    ("html", "url"),
    [
        # articles carry ColumnName too (TRS, Hanweb): told apart by their metas, breadcrumb, URL or 发布时间
        (
            bare(
                "<h1>关于调整最低工资标准的通知</h1><p>正文略。</p>" + ROWS,
                head=META + '<meta name="ArticleTitle" content="关于调整最低工资标准的通知">',
            ),
            None,
        ),
        (
            bare(
                "<h1>关于调整最低工资标准的通知</h1><p>正文略。</p>",
                head=META + '<meta name="PubDate" content="2017-12-20">',
            ),
            None,
        ),
        (
            bare(
                "<h1>关于调整最低工资标准的通知</h1>" + ROWS,
                head=META,
                crumb='<div class="crumb">当前位置：<a href="/">首页</a> &gt; <a href="./">部门文件</a> &gt; 正文</div>',
            ),
            None,
        ),
        (
            bare(
                "<h1>关于调整最低工资标准的通知</h1><p>发布时间：2017-12-20 来源：县人社局</p><p>正文略。</p>",
                head=META,
            ),
            None,
        ),
        (bare(ROWS, head=META), f"{SITE}/zwgk/bmwj/201712/t20171220_3.html"),  # a document URL
        # later pages of a list, the homepage
        (bare(ROWS, head=META), f"{SITE}/zwgk/bmwj/index_1.html"),
        (bare(ROWS), f"{SITE}/zwgk/list.asp?classid=3&page=2"),
        (bare(ROWS, head=META), f"{SITE}/index.html"),
        # no meta: a speech with a 相关文章 list is an article; two dated rows are not enough; a sidebar list
        (bare(ARTICLE_BODY + ROWS, title="县长在全县经济工作会议上的讲话"), None),
        (bare(ROWS[: ROWS.rindex("<li>")] + "</ul>"), None),
        (
            bare(
                "<p>" + "本局负责全县财政收支管理工作。" * 6 + "</p>" + f'<div class="sidebar">{ROWS}</div>'
            ),
            None,
        ),
        (bare(ROWS, title="某某县人民政府"), None),  # no name to give it
        (bare(ROWS + "<p>发布日期：2017-12-20</p>"), None),  # a labelled publication date: an article
        # a hub: several blocks with their own 更多>> (and each a list of dated rows)
        (
            bare(
                f'<div class="box"><h3>通知公告</h3><a href="/tzgg/">更多&gt;&gt;</a>{ROWS}</div>'
                f'<div class="box"><h3>政策文件</h3><a href="/zcwj/">更多&gt;&gt;</a>{ROWS.replace("t2017", "p2017")}</div>',
                head=META,
            ),
            None,
        ),
    ],
    ids=[
        "article-metas",
        "article-pubdate-meta",
        "article-crumb",
        "article-labelled-date",
        "document-url",
        "pager-file",
        "pager-query",
        "homepage",
        "speech",
        "two-rows",
        "sidebar-list",
        "no-name",
        "labelled-date",
        "hub",
    ],
)
def test_pages_that_are_not_columns(html: str, url: str | None) -> None:
    assert own(html, url or f"{SITE}/zwgk/bmwj/index.html") is None


def test_might_be_column_is_a_cheap_pre_check():
    url = f"{SITE}/zwgk/bmwj/index.html"
    assert might_be_column(bare("", head="<meta name='columnname' content='部门文件'>"), url)
    assert might_be_column(bare(ROWS), url)
    assert might_be_column(bare(ROWS.replace("2017-", "2017年").replace("-", "月")), url)
    assert might_be_column(
        bare(
            ROWS.replace("<span>2017-12-20</span>", "")
            .replace("<span>2017-11-02</span>", "")
            .replace("<span>2017-10-15</span>", "")
        ),
        url,
    )  # t20171220_3.html in the URLs
    assert not might_be_column(bare(ROWS, head=META), f"{SITE}/index.html")
    assert not might_be_column(bare(ROWS, head=META), f"{SITE}/zwgk/bmwj/index_2.html")
    # phone numbers, IP addresses, versions and ids are not dates
    noise = (
        "<p>联系电话：0776-1234567 地址 127.0.0.2:8080 jquery-1.12.4.js 第2024-01号 索引号 2026-02-00018</p>"
    )
    assert not might_be_column(bare(noise), url)


# --- categories -------------------------------------------------------------------------------------------

KEYWORDS = {
    "news": ["动态", "要闻", "新闻"],
    "notice_policy": ["通知公告", "公告", "政策解读", "政策文件", "文件"],
    "personnel_plan": ["人事", "规划", "计划"],
    "other": ["计划生育"],
}


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("工作动态", ColumnCategory.NEWS),
        ("今日要闻", ColumnCategory.NEWS),
        ("通知公告", ColumnCategory.NOTICE_POLICY),
        ("政策解读动态", ColumnCategory.NOTICE_POLICY),  # the longer keyword wins
        ("人事信息", ColumnCategory.PERSONNEL_PLAN),
        ("规划计划", ColumnCategory.PERSONNEL_PLAN),
        ("计划生育", ColumnCategory.OTHER),
        ("机构职能", ColumnCategory.OTHER),
        (" 政务 动态 ", ColumnCategory.NEWS),
    ],
)
def test_category_for(name, expected):
    assert category_for(name, KEYWORDS) is expected


def test_category_for_ties_go_to_the_first_category_and_bad_keys_raise():
    assert category_for("新闻公告", {"news": ["新闻"], "notice_policy": ["公告"]}) is ColumnCategory.NEWS
    with pytest.raises(ValueError, match="'policy'"):
        category_for("通知", {"policy": ["通知"]})


def test_default_keywords():
    assert category_for("乡镇动态") is ColumnCategory.NEWS
    assert category_for("通知公告") is ColumnCategory.NOTICE_POLICY
    assert category_for("人事任免") is ColumnCategory.PERSONNEL_PLAN
    assert category_for("计划生育") is ColumnCategory.OTHER
    assert set(DEFAULT_CATEGORY_KEYWORDS) == set(ColumnCategory)


@pytest.mark.parametrize("module", ["columns", "cms"])  # a package: all its modules
def test_rules_stay_pure(module):
    path = Path(__file__).parents[3] / "pipelines" / "rules" / module
    imported = set()
    for source in sorted(path.glob("*.py")) if path.is_dir() else [path]:
        tree = ast.parse(source.read_text(encoding="utf-8"))
        imported |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        imported |= {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    assert not {m.split(".")[0] for m in imported} & {"scrapy", "twisted", "sqlalchemy"}
