"""Gates, refusal pages and redirects as real sites answer (issue #15): one literal page per pattern.

Every page below is written after the structure real answers have (rewritten, never copied); the verdict
expected is next to it. Precision first: whatever is not proof that a resource is missing is unverified.
"""

from __future__ import annotations

from typing import Any

import pytest

from pipelines.rules.kinds import LinkState
from pipelines.rules.links import Observation, classify, detect_anti_bot_gate
from pipelines.rules.links.denied import denied_page_evidence

SITE = "http://www.x.gov.cn"
LINK = SITE + "/zwgk/tzgg/202405/t20240530_1.html"
HTML = {"content-type": "text/html; charset=utf-8"}
OK, BROKEN, UNVERIFIED = LinkState.OK, LinkState.BROKEN, LinkState.UNVERIFIED

# 加速乐's first answer: the cookie name built one character at a time, so "__jsl" never appears as written.
JSL_PIECES = (
    "<script>document.cookie=('_')+('_')+('j')+('s')+('l')+('_')+('c')+('l')+('e')+('a')+('r')+('a')+('n')"
    "+('c')+('e')+('_')+('s')+('=')+(+!+[]+'')+(2+[])+'|-1|'+[[]+[]][0]+';max-age=3600;path=/';"
    "location.href=location.pathname+location.search</script>"
)
JSL_DOUBLE_QUOTED = (
    '<html><body><script>document.cookie=("_"+"_"+"j"+"s"+"l"+"_"+"c"+"l"+"e"+"a"+"r"+"a"+"n"+"c"+"e"'
    '+"="+"171"+"|0|"+"abc");location.replace(location.href)</script></body></html>'
)
# The second stage hides the name in an obfuscated function: only the structure is left.
COOKIE_AND_RELOAD = (
    "<html><head><meta charset='utf-8'></head><body><script>var _0x1a=['\\x63\\x6f'];function go(){"
    "document['cookie']=_0x2b(_0x1a[0])+'=1;path=/';setTimeout(function(){location.href=location.pathname},"
    "1500)}go();</script></body></html>"
)
NAV = "".join(f"<li><a href='/c{i}/'>栏目{i}</a></li>" for i in range(12))
TEXT = "<p>" + "为进一步做好政府信息公开工作，根据有关规定，现将有关事项通知如下。" * 6 + "</p>"
# A real page: analytics set a cookie, but the page has its text and links.
PAGE_SETTING_A_COOKIE = (
    f"<html><head><title>通知</title><script>document.cookie='visited=1';</script></head><body><ul>{NAV}</ul>"
    f"{TEXT}<script>if(!document.cookie)location.href='/';</script></body></html>"
)
RUISHU_HEAD = (
    '<meta http-equiv="Content-Type" content="text/html; charset=utf-8"><meta id="aQ1xR" content="3xX.gY" r="m">'
    '<script type="text/javascript" r="m">$_ts=window[\'$_ts\'];if(!$_ts)$_ts={};$_ts.nsd=8842;'
    '$_ts.cd="qGxcrAlkDq";</script><script src="/aB1cD/ef.js" r="m" charset="iso-8859-1"></script>'
)
RUISHU_FULL_PAGE = (
    f"<html><head>{RUISHU_HEAD}<title>通知公告</title></head><body><ul>{NAV}</ul>{TEXT}</body></html>"
)
RUISHU_CHALLENGE = f"<html><head>{RUISHU_HEAD}</head><body></body></html>"
NGINX_403 = (
    "<html><head><title>403 Forbidden</title></head><body><center><h1>403 Forbidden</h1></center><hr>"
    "<center>nginx</center></body></html>"
)
IIS_403 = (
    "<html><head><title>403 - 禁止访问: 访问被拒绝。</title></head><body><div id='header'><h1>服务器错误</h1></div>"
    "<div id='content'><h2>403 - 禁止访问: 访问被拒绝。</h2><h3>您无权使用所提供的凭据查看此目录或页面。</h3></div></body></html>"
)
WAF_DENIED = (
    "<html><head><meta charset='utf-8'><title>访问被拒绝</title></head><body><div class='box'><h2>访问被拒绝</h2>"
    "<p>您的访问请求已被拒绝，如有疑问请联系网站管理员。</p><p>事件ID：8a1f0c2e</p></div></body></html>"
)
NOT_FOUND = (
    "<html><head><title>页面不存在</title></head><body><div class='err'>抱歉，您访问的页面不存在或已被删除！"
    "</div><a href='/'>返回首页</a></body></html>"
)
ARTICLE_ON_ACCESS = (
    f"<html><head><title>关于加强机房管理的通知</title></head><body><ul>{NAV}</ul><h1>关于加强机房管理的通知</h1>"
    f"<p>机房禁止访问外部网络，访问被拒绝的情况应及时报告。</p>{TEXT}</body></html>"
)


def obs(status: int | None = 200, **kw: Any) -> Observation:
    kw.setdefault("url", LINK)
    kw.setdefault("method", "GET")
    kw.setdefault("headers", HTML)
    kw.setdefault("homepage_url", SITE + "/")
    return Observation(status=status, error=None, **kw)


@pytest.mark.parametrize(
    ("name", "observation", "state", "error"),
    [
        # 加速乐 recognised by its structure, at any status
        ("jsl pieces 521", obs(521, body=JSL_PIECES), UNVERIFIED, "anti_bot_gate"),
        ("jsl pieces 200", obs(200, body=JSL_PIECES), UNVERIFIED, "anti_bot_gate"),
        ("jsl double-quoted pieces 200", obs(200, body=JSL_DOUBLE_QUOTED), UNVERIFIED, "anti_bot_gate"),
        ("cookie and reload 404", obs(404, body=COOKIE_AND_RELOAD), UNVERIFIED, "anti_bot_gate"),
        ("a page setting a cookie", obs(200, body=PAGE_SETTING_A_COOKIE), OK, None),
        # 瑞数: a complete page with $_ts in its head is a page; the bare challenge is a gate
        ("瑞数 script on a full page", obs(200, body=RUISHU_FULL_PAGE), OK, None),
        ("瑞数 challenge 200", obs(200, body=RUISHU_CHALLENGE), UNVERIFIED, "anti_bot_gate"),
        ("瑞数 challenge 412", obs(412, body=RUISHU_CHALLENGE), UNVERIFIED, "anti_bot_gate"),
        ("瑞数 full page at 412", obs(412, body=RUISHU_FULL_PAGE), UNVERIFIED, "anti_bot_gate"),
        # refusal pages: unverified unless status and page agree the resource is missing
        ("nginx 403", obs(403, body=NGINX_403), UNVERIFIED, "access_denied"),
        ("IIS 403", obs(403, body=IIS_403), UNVERIFIED, "access_denied"),
        ("WAF 访问被拒绝 403", obs(403, body=WAF_DENIED), UNVERIFIED, "access_denied"),
        ("WAF 访问被拒绝 200", obs(200, body=WAF_DENIED), UNVERIFIED, "access_denied"),
        ("WAF 访问被拒绝 404", obs(404, body=WAF_DENIED), UNVERIFIED, "access_denied"),
        ("nginx 403 page with a 404", obs(404, body=NGINX_403), UNVERIFIED, "access_denied"),
        ("403 saying the page is gone", obs(403, body=NOT_FOUND), BROKEN, "http_error"),
        ("404 saying the page is gone", obs(404, body=NOT_FOUND), BROKEN, "http_error"),
        ("article about access", obs(200, body=ARTICLE_ON_ACCESS), OK, None),
        # an external deep link sent to the root of its own site is a soft-404
        (
            "external deep link to its root",
            obs(url="http://www.other.gov.cn/xxgk/2023/a_1.html", final_url="http://other.gov.cn/",
                redirect_chain=("http://www.other.gov.cn/xxgk/2023/a_1.html",), internal=False, body=TEXT),
            BROKEN, "soft_404",
        ),
        (
            "external deep link to its index page",
            obs(url="http://www.other.gov.cn/xxgk/a_1.html", final_url="https://www.other.gov.cn/index.html",
                redirect_chain=("http://www.other.gov.cn/xxgk/a_1.html",), internal=False, body=TEXT),
            BROKEN, "soft_404",
        ),
        (
            "external deep link to another site's root",
            obs(url="http://old.other.gov.cn/xxgk/a_1.html", final_url="http://www.other.gov.cn/",
                redirect_chain=("http://old.other.gov.cn/xxgk/a_1.html",), internal=False, body=TEXT),
            OK, None,
        ),
        (
            "external root link",
            obs(url="http://www.other.gov.cn/", final_url="http://www.other.gov.cn/index.html",
                redirect_chain=("http://www.other.gov.cn/",), internal=False, body=TEXT),
            OK, None,
        ),
    ],
)  # fmt: skip
def test_wild_answers(name: str, observation: Observation, state: LinkState, error: str | None) -> None:
    verdict = classify(observation)
    assert (verdict.state, verdict.error) == (state, error), verdict.reason


@pytest.mark.parametrize(
    ("body", "gate"),
    [(JSL_PIECES, "加速乐"), (COOKIE_AND_RELOAD, "加速乐"), (PAGE_SETTING_A_COOKIE, None), (RUISHU_FULL_PAGE, None),
     (RUISHU_CHALLENGE, "瑞数")],
)  # fmt: skip
def test_gate_names(body: str, gate: str | None) -> None:
    assert detect_anti_bot_gate(200, body) == gate


@pytest.mark.parametrize(
    ("body", "evidence"),
    [(NGINX_403, "title says '403 Forbidden'"), (WAF_DENIED, "title says '访问被拒绝'"), (NOT_FOUND, None),
     (ARTICLE_ON_ACCESS, None), (TEXT, None)],
)  # fmt: skip
def test_denied_page_evidence(body: str, evidence: str | None) -> None:
    assert denied_page_evidence(body) == evidence


@pytest.mark.parametrize(
    ("body", "evidence"),
    [("<html><head><title>错误403</title></head><body><h1>错误403</h1></body></html>", "title says '错误403'"),
     ("<html><head><title>Error403</title></head><body></body></html>", "title says 'Error 403'"),
     ("<html><head><title>提示</title></head><body><div>HTTP Status 403</div></body></html>",
      "short block says 'HTTP Status 403'")],
)  # fmt: skip
def test_denied_403_standing_alone_is_read(body: str, evidence: str) -> None:
    assert denied_page_evidence(body) == evidence


@pytest.mark.parametrize(
    "where", ['<a href="/p/1403.html">通知</a>', '<img src="/img/403.png">', '<a href="http://a.gov.cn:40307/">链接</a>',
              '<div style="color:#a4031f">正文</div>', '<a href="list.jsp?id=403">栏目</a>'],
)  # fmt: skip
def test_a_403_inside_a_url_or_colour_leaves_the_page_unparsed(
    where: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A portal page is full of such 403s; each used to cost a second parse of the page (province benchmark)."""
    from pipelines.rules.links import denied

    def parsed(html: str) -> None:
        raise AssertionError("parsed a page with no denial hint")

    monkeypatch.setattr(denied, "message_places", parsed)
    assert denied_page_evidence(f"<html><body><p>政务公开</p>{where}</body></html>") is None
