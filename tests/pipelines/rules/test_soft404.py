"""Soft-404 detection: error-page text, error-page URLs and deep links redirected to the homepage."""

from __future__ import annotations

import pytest

from pipelines.rules.soft404 import (
    SOFT_404_PHRASES,
    error_page_evidence,
    is_error_url,
    looks_like_error_page,
    redirected_to_homepage,
)

NAV = "".join(f'<li><a href="/col{i}/">栏目名称{i}</a></li>' for i in range(40))
FOOTER = (
    "<div class='footer'><p>主办单位：某某市人民政府办公室 承办单位：某某市大数据发展局</p>"
    "<p>网站标识码：4510000031 桂ICP备12345678号 桂公网安备 45010202000001号</p>"
    "<p>地址：广西壮族自治区某某市某某路1号 联系电话：0776-1234567 建议使用1024×768分辨率浏览</p></div>"
)


def page(title: str, main: str, *, head: str = "") -> str:
    """A page in the site template: title, header navigation, ``main`` and the footer."""
    return (
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{title}</title>{head}</head><body>"
        f"<div class='header'><img src='/logo.png'><ul class='nav'>{NAV}</ul></div>"
        f"<div class='main'>{main}</div>{FOOTER}</body></html>"
    )


PARAGRAPH = (
    "<p>为进一步提升政府网站建设管理水平，按照国务院办公厅关于政府网站普查工作的统一部署，"
    "市政府办公室组织开展了全市政府网站季度检查，对各县（市、区）和市直部门网站的内容更新、"
    "互动回应、服务实用等情况进行了全面检查，并将检查结果予以通报。</p>"
)
LONG_ARTICLE_QUOTING = page(
    "关于2024年第一季度全市政府网站检查情况的通报_某某市人民政府门户网站",
    "<h1>关于2024年第一季度全市政府网站检查情况的通报</h1><div class='info'>发布时间：2024-04-10</div>"
    + PARAGRAPH * 4
    + "<p>检查发现，部分网站存在链接点击后提示“页面不存在”、“您访问的页面不存在或已被删除”等问题。</p>"
    + PARAGRAPH * 4,
)
SHORT_NOTICE_LONG_TITLE = page(
    "关于网站部分页面不存在问题整改情况的说明_某某市人民政府门户网站",
    "<h1>关于网站部分页面不存在问题整改情况的说明</h1><div class='info'>发布时间：2024-05-06</div>"
    "<p>近期有网民反映本网站部分栏目链接点击后提示页面不存在，经核查，系网站改版迁移时链接未同步更新所致，"
    "目前已全部整改完毕。感谢广大网民的监督。</p>",
)
QA_ITEM = page(
    "网民留言：点开链接显示页面不存在是怎么回事？_政民互动",
    "<h2>留言详情</h2><p>留言标题：点开链接显示页面不存在是怎么回事？</p>"
    "<p>留言内容：在贵单位网站点击政策文件链接后，浏览器提示页面不存在或已删除，请尽快处理，谢谢。</p>"
    "<p>答复单位：市政府办公室</p><p>答复内容：您好，您反映的问题已转技术支撑单位处理，现已修复，感谢您的监督。</p>",
)


TOMCAT_404 = (
    "<html><head><title>HTTP Status 404 – Not Found</title></head><body><h1>HTTP Status 404 – Not Found</h1>"
    "<p>The requested resource [/x.jsp] is not available</p></body></html>"
)


@pytest.mark.parametrize(
    ("html", "evidence"),
    [
        # nginx/Apache/Tomcat/IIS default pages served with 200
        (
            "<html><head><title>404 Not Found</title></head><body><h1>404 Not Found</h1><hr>nginx</body></html>",
            "title says '404 Not Found'",
        ),
        ("<html><head><title>404</title></head><body>Oops</body></html>", "title is '404'"),
        (
            TOMCAT_404,
            "title says 'HTTP Status 404'",
        ),
        (
            "<html><body><h2>404 - 找不到文件或目录。</h2><h3>您要查找的资源可能已被删除。</h3></body></html>",
            "heading says '找不到文件或目录'",
        ),
        # in the site template
        (page("页面不存在", "<img src='/404.png'><a href='/'>返回首页</a>"), "title says '页面不存在'"),
        (page("404-页面不存在-某某市人民政府", "<p>返回首页</p>"), "title says '页面不存在'"),
        (
            page(
                "某某市人民政府门户网站",
                "<div class='err'><p>抱歉，您访问的页面不存在或已被删除！</p><a href='/'>返回首页</a></div>",
            ),
            "short block says '您访问的页面不存在或已被删除'",
        ),
        (
            page("某某市人民政府门户网站", "<h1>对不起，您要查看的信息不存在！</h1>"),
            "heading says '您要查看的信息不存在'",
        ),
        (
            page("某某市人民政府门户网站", "<div>该信息不存在或已删除</div>"),
            "short block says '信息不存在或已删除'",
        ),
        (
            page("某某市人民政府", "<td><font color=red>文章不存在</font></td>"),
            "short block says '文章不存在'",
        ),
        (page("提示信息", "<p>页面不存在，3秒后自动跳转到首页……</p>"), "short block says '页面不存在'"),
        (page("某某市人民政府", "<span>Sorry, Page Not Found.</span>"), "short block says 'Page Not Found'"),
        # full-width/half-width and spacing variants
        (
            page("某某市人民政府", "<p>抱歉! 您 访问的 页面 不存在</p>"),
            "short block says '您访问的页面不存在'",
        ),
        # a body with almost nothing else
        (
            "<html><body>系统提示：您访问的页面不存在或已被删除。<a href='/'>首页</a></body></html>",
            "nearly empty page says '您访问的页面不存在或已被删除'",
        ),
        ("文件不存在", "nearly empty page says '文件不存在'"),
    ],
)
def test_error_pages(html: str, evidence: str) -> None:
    assert error_page_evidence(html) == evidence
    assert looks_like_error_page(html)


@pytest.mark.parametrize(
    "html",
    [
        "",
        "   ",
        "<",
        "<html><body></body></html>",
        LONG_ARTICLE_QUOTING,
        SHORT_NOTICE_LONG_TITLE,
        QA_ITEM,
        page("工作动态_某某市人民政府", PARAGRAPH),
        # the phrase only in script, style, hidden template or a link
        page("政策文件", PARAGRAPH, head="<script>var msg='页面不存在';</script>"),
        page("政策文件", PARAGRAPH + "<div id='nodata' style='display: none'>信息不存在或已删除</div>"),
        page("政策文件", PARAGRAPH + "<div class='hide'>页面不存在</div><p hidden>页面不存在</p>"),
        page("政策文件", PARAGRAPH + "<template><p>文章不存在</p></template>"),
        page("政策文件", PARAGRAPH + "<a href='/faq/1.html'>页面不存在怎么办？</a>"),
        # a long real title that happens to contain a phrase; a real heading that opens with one
        page("“页面不存在”等网站常见问题整改工作经验交流会在我市召开_某某市人民政府门户网站", PARAGRAPH * 2),
        page("某某市人民政府", "<h1>页面不存在问题整改工作通报</h1>" + PARAGRAPH * 3),
        # headlines and messages that open with a phrase but go on about something else
        page(
            "页面不存在问题整改情况_某某市人民政府",
            "<h1>页面不存在问题整改情况</h1><p>已按要求完成整改。</p>",
        ),
        page("用户登录", "<p>抱歉，您访问的页面需要登录后查看</p><form><input name='u'></form>"),
        "<html><body><p>抱歉，您访问的页面需要登录后查看</p></body></html>",
        # a sentence in a paragraph, not a message of its own
        page(
            "某某市人民政府",
            "<p>近日有群众反映点击链接后提示页面不存在，经核查已整改到位。</p>" + PARAGRAPH * 2,
        ),
    ],
)
def test_real_pages_are_not_error_pages(html: str) -> None:
    assert error_page_evidence(html) is None
    assert not looks_like_error_page(html)


def test_phrases_are_unique_and_non_empty() -> None:
    assert len(set(SOFT_404_PHRASES)) == len(SOFT_404_PHRASES)
    assert all(p.strip() for p in SOFT_404_PHRASES)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://www.x.gov.cn/404.html", True),
        ("http://www.x.gov.cn/404.htm", True),
        ("http://www.x.gov.cn/404.jsp", True),
        ("http://www.x.gov.cn/404", True),
        ("http://www.x.gov.cn/404/index.html", True),
        ("http://www.x.gov.cn/error.html", True),
        ("http://www.x.gov.cn/Error.aspx?aspxerrorpath=/a/b.aspx", True),
        ("http://www.x.gov.cn/error", True),
        ("http://www.x.gov.cn/errors/notfound.html", True),
        ("http://www.x.gov.cn/notfound", True),
        ("http://www.x.gov.cn/not_found.html", True),
        ("http://www.x.gov.cn/pagenotfound.html", True),
        ("http://www.x.gov.cn/404error.html", True),
        ("http://www.x.gov.cn/error-404.html", True),
        ("http://www.x.gov.cn/index.jsp?error=404", True),
        ("http://www.x.gov.cn/site/default.aspx?aspxerrorpath=/x", True),
        ("http://www.x.gov.cn/", False),
        ("http://www.x.gov.cn/index.html", False),
        ("http://www.x.gov.cn/xwzx/t20240404_4041234.html", False),
        ("http://www.x.gov.cn/art/2024/4/4/art_404_12345.html", False),
        ("http://www.x.gov.cn/errata.html", False),
        ("http://www.x.gov.cn/zwgk/errorcorrection/index.html", False),
        ("http://www.x.gov.cn/search?q=404", False),
        ("not a url [", False),
    ],
)
def test_is_error_url(url: str, expected: bool) -> None:
    assert is_error_url(url) is expected


HOME = "http://www.x.gov.cn/"


@pytest.mark.parametrize(
    ("link", "final", "home", "expected"),
    [
        ("http://www.x.gov.cn/xwzx/gzdt/t1.html", "http://www.x.gov.cn/", HOME, True),
        ("http://www.x.gov.cn/xwzx/gzdt/t1.html", "http://www.x.gov.cn/index.html", HOME, True),
        ("http://www.x.gov.cn/xwzx/gzdt/", "https://www.x.gov.cn/index.shtml", HOME, True),
        ("http://x.gov.cn/a.html", "http://www.x.gov.cn:80/", HOME, True),
        ("http://www.x.gov.cn/a/b.html", "http://www.x.gov.cn/?from=404", HOME, True),
        (
            "http://www.x.gov.cn/a/b.html",
            "http://www.x.gov.cn/portal/index.html",
            "http://www.x.gov.cn/portal/",
            True,
        ),
        ("http://www.x.gov.cn/a/b.html", "http://www.x.gov.cn/", None, True),
        # not deep: the homepage itself, a root index file, a single directory
        ("http://www.x.gov.cn/", "https://www.x.gov.cn/", HOME, False),
        ("http://www.x.gov.cn/index.html", "http://www.x.gov.cn/", HOME, False),
        ("http://www.x.gov.cn/xwzx/", "http://www.x.gov.cn/", HOME, False),
        ("http://www.x.gov.cn/xwzx", "http://www.x.gov.cn/", HOME, False),
        # the link is the homepage under another name
        (
            "http://www.x.gov.cn/portal/index.html",
            "http://www.x.gov.cn/",
            "http://www.x.gov.cn/portal/",
            False,
        ),
        # ends somewhere other than a homepage
        ("http://www.x.gov.cn/a/b.html", "http://www.x.gov.cn/a/c.html", HOME, False),
        ("http://www.x.gov.cn/a/b.html", "https://www.x.gov.cn/a/b.html", HOME, False),
        ("http://www.x.gov.cn/a/b.html", "http://www.x.gov.cn/xwzx/", HOME, False),
        ("http://www.x.gov.cn/a/b.html", "http://m.x.gov.cn/", HOME, False),
        ("http://www.x.gov.cn/a/b.html", "http://sso.gov.cn/login?service=x", HOME, False),
    ],
)
def test_redirected_to_homepage(link: str, final: str, home: str | None, expected: bool) -> None:
    assert redirected_to_homepage(link, final, home) is expected


@pytest.mark.parametrize("phrase", SOFT_404_PHRASES)
@pytest.mark.parametrize("gap", ["", " ", "&nbsp;", "\u3000", "\n  "])
def test_the_unparsed_pre_check_lets_every_phrase_through_however_spaced(phrase: str, gap: str) -> None:
    """Pages without a hint word are ruled out unparsed: a spaced-out phrase on a full template page
    (far above the always-parse size) must still reach the parser and be found."""
    spaced = (
        gap.join(phrase.split() if phrase.isascii() else phrase) if gap else phrase
    )  # English: between words
    script = "<script>" + "var stat = 1;" * 300 + "</script>"  # a real template's size
    html = page("提示信息", f"<div class='err'><p>{spaced}</p><a href='/'>返回首页</a></div>", head=script)
    assert len(html) > 4096
    assert error_page_evidence(html) is not None
