"""Link extraction, normalisation, typing, address checks, Retry-After and the verdict on one check."""

from __future__ import annotations

import ast
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import pytest

from pipelines.rules.kinds import LinkState, ResourceType
from pipelines.rules.links import (
    ATTACHMENT_EXTENSIONS,
    ExtractedLink,
    Observation,
    classify,
    detect_anti_bot_gate,
    extract_links,
    is_attachment_url,
    is_private_address,
    needs_get,
    normalize_url,
    resource_type_for_url,
    resource_type_from_content_type,
    retry_after_seconds,
)

PAGE = ResourceType.PAGE
IMAGE = ResourceType.IMAGE
ATTACHMENT = ResourceType.ATTACHMENT
SCRIPT = ResourceType.SCRIPT
STYLESHEET = ResourceType.STYLESHEET
FRAME = ResourceType.FRAME
OTHER = ResourceType.OTHER
OK, BROKEN, UNVERIFIED = LinkState.OK, LinkState.BROKEN, LinkState.UNVERIFIED

SITE = "http://www.x.gov.cn"
PAGE_URL = SITE + "/xwzx/gzdt/index.html"
XINWEN = "%E6%96%B0%E9%97%BB"  # 新闻 as UTF-8


# --- normalize_url -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("HTTP://WWW.X.GOV.CN", "http://www.x.gov.cn/"),
        ("http://www.x.gov.cn:80/a.html", "http://www.x.gov.cn/a.html"),
        ("https://www.x.gov.cn:443/a.html", "https://www.x.gov.cn/a.html"),
        ("http://www.x.gov.cn:443/a.html", "http://www.x.gov.cn:443/a.html"),
        ("http://www.x.gov.cn:8080/a.html", "http://www.x.gov.cn:8080/a.html"),
        ("http://www.x.gov.cn/a.html#top", "http://www.x.gov.cn/a.html"),
        ("http://www.x.gov.cn/新闻/a b.html", f"http://www.x.gov.cn/{XINWEN}/a%20b.html"),
        (f"http://www.x.gov.cn/{XINWEN}/a%20b.html", f"http://www.x.gov.cn/{XINWEN}/a%20b.html"),
        (f"http://www.x.gov.cn/{XINWEN.lower()}/", f"http://www.x.gov.cn/{XINWEN}/"),
        ("http://www.x.gov.cn/a%2Fb", "http://www.x.gov.cn/a%2Fb"),
        ("http://www.x.gov.cn/s?q=新闻&p=1", f"http://www.x.gov.cn/s?q={XINWEN}&p=1"),
        ("http://www.x.gov.cn/s?b=2&a=1&a=", "http://www.x.gov.cn/s?b=2&a=1&a="),
        ("http://www.x.gov.cn/a?", "http://www.x.gov.cn/a"),
        ("http://www.x.gov.cn/a/./b/../c.html", "http://www.x.gov.cn/a/c.html"),
        ("http://www.x.gov.cn/../../c.html", "http://www.x.gov.cn/c.html"),
        ("http://www.x.gov.cn/a/b/..", "http://www.x.gov.cn/a/"),
        ("http://user:secret@www.x.gov.cn/a.html", "http://www.x.gov.cn/a.html"),
        ("  http://www.x.gov.cn/a\n.html\t ", "http://www.x.gov.cn/a.html"),
        ("http://www.x.gov.cn\\a\\b.html", "http://www.x.gov.cn/a/b.html"),
        ("http://政府.中国/首页", "http://xn--mxtq1m.xn--fiqs8s/%E9%A6%96%E9%A1%B5"),
        ("http://[::1]:80/", "http://[::1]/"),
        ("http://127.0.0.1:8000/x", "http://127.0.0.1:8000/x"),
    ],
)
def test_normalize_url(url: str, expected: str) -> None:
    assert normalize_url(url) == expected
    assert normalize_url(expected) == expected  # idempotent


@pytest.mark.parametrize(
    "url",
    [
        "http://www.x.gov.cn/新闻/a b.html?q=政务 公开#f",
        "HTTPS://WWW.X.GOV.CN:443/%e6%96%b0/./x/../y?z=%E6%94%BF",
        "http://www.x.gov.cn/a%zz/100%/b",
        "http://www.x.gov.cn/a%25E6/",
        "https://a.gov.cn/~user/!$&'()*+,;=:@/x?a=b=c&d",
    ],
)
def test_normalize_url_is_idempotent(url: str) -> None:
    once = normalize_url(url)
    assert normalize_url(once) == once


def test_normalize_url_encodes_the_query_in_the_page_charset() -> None:
    # Browsers encode a raw query in the page's charset; the path is always UTF-8.
    assert normalize_url("http://a.gov.cn/政务?k=公开", encoding="gb18030") == (
        "http://a.gov.cn/%E6%94%BF%E5%8A%A1?k=%B9%AB%BF%AA"
    )


@pytest.mark.parametrize(
    "url", ["http://a b.gov.cn/", "http://a.gov.cn:99999/", "http://[::1/", "http://a.gov.cn:x/"]
)
def test_normalize_url_rejects_invalid_hosts_and_ports(url: str) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - the stdlib's messages vary
        normalize_url(url)


# --- extract_links -------------------------------------------------------------------------------


def urls(html: str | bytes, page_url: str = PAGE_URL, encoding: str = "utf-8") -> list[str]:
    return [link.url for link in extract_links(html, page_url, encoding)]


@pytest.mark.parametrize(
    ("href", "expected"),
    [
        ("t20240404_1.html", SITE + "/xwzx/gzdt/t20240404_1.html"),
        ("./t1.html", SITE + "/xwzx/gzdt/t1.html"),
        ("../tzgg/", SITE + "/xwzx/tzgg/"),
        ("../../zwgk/index.html", SITE + "/zwgk/index.html"),
        ("../../../../x.html", SITE + "/x.html"),
        ("/zwgk/", SITE + "/zwgk/"),
        ("?page=2", SITE + "/xwzx/gzdt/index.html?page=2"),
        ("index_1.html#list", SITE + "/xwzx/gzdt/index_1.html"),
        ("//www.gov.cn/xinwen/", "http://www.gov.cn/xinwen/"),
        ("https://WWW.GOV.CN:443/a.html", "https://www.gov.cn/a.html"),
        ("\n   /zwgk/a.html  ", SITE + "/zwgk/a.html"),
        ("..\\tzgg\\t1.html", SITE + "/xwzx/tzgg/t1.html"),
        ("/新闻/a b.html", f"{SITE}/{XINWEN}/a%20b.html"),
        (f"/{XINWEN}/a%20b.html", f"{SITE}/{XINWEN}/a%20b.html"),
        (f"/{XINWEN.lower()}/a%20b.html", f"{SITE}/{XINWEN}/a%20b.html"),
    ],
)
def test_relative_references_resolve_like_a_browser(href: str, expected: str) -> None:
    assert urls(f'<a href="{href}">x</a>') == [expected]


def test_protocol_relative_takes_the_page_scheme() -> None:
    html = '<a href="//cdn.x.gov.cn/a.html">a</a>'
    assert urls(html, "https://www.x.gov.cn/") == ["https://cdn.x.gov.cn/a.html"]
    assert urls(html, "http://www.x.gov.cn/") == ["http://cdn.x.gov.cn/a.html"]


def test_raw_and_percent_encoded_chinese_give_one_link() -> None:
    html = (
        '<a href="/新闻/通知.html">通知</a><a href="/%E6%96%B0%E9%97%BB/%E9%80%9A%E7%9F%A5.html">又一个</a>'
    )
    assert extract_links(html, PAGE_URL) == [
        ExtractedLink(f"{SITE}/{XINWEN}/%E9%80%9A%E7%9F%A5.html", "通知", PAGE)
    ]


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        (
            '<head><base href="http://static.x.gov.cn/s/"></head><a href="a.html">a</a>',
            ["http://static.x.gov.cn/s/a.html"],
        ),
        ('<head><base href="/zwgk/"></head><a href="a.html">a</a>', [SITE + "/zwgk/a.html"]),
        ('<head><base href="../"></head><img src="i.png">', [SITE + "/xwzx/i.png"]),
        ('<base href="//m.x.gov.cn/"><a href="a.html">a</a>', ["http://m.x.gov.cn/a.html"]),
        ('<base target="_blank"><base href="/one/"><base href="/two/"><a href="a">a</a>', [SITE + "/one/a"]),
        ('<base href="javascript:void(0)"><a href="a.html">a</a>', [SITE + "/xwzx/gzdt/a.html"]),
        ('<base href=""><a href="a.html">a</a>', [SITE + "/xwzx/gzdt/a.html"]),
    ],
)
def test_base_href(html: str, expected: list[str]) -> None:
    assert urls(html) == expected


@pytest.mark.parametrize(
    "href",
    [
        "",
        "   ",
        "#",
        "#top",
        "javascript:void(0)",
        "JavaScript:;",
        " javascript:window.open('/a.html')",
        "mailto:zwgk@x.gov.cn",
        "tel:0776-1234567",
        "sms:10086",
        "data:image/png;base64,iVBORw0KGgo=",
        "about:blank",
        "ftp://ftp.x.gov.cn/a.zip",
        "file:///C:/a.doc",
        "weixin://dl/chat",
        "http://",
        "https:///a.html",
        "http:",
        "http://[::1",
        "http://www.x.gov.cn:99999/",
    ],
)
def test_ignored_references(href: str) -> None:
    html = f'<a href="{href}">x</a><img src="{href}"><iframe src="{href}"></iframe><a>no href</a>'
    assert extract_links(html, PAGE_URL) == []


def test_scheme_relative_references() -> None:
    """ "http:a.html" on an http page is relative (as in browsers); another scheme without a host is not a link."""
    html = '<a href="http:a.html">甲</a><a href="https:b.html">乙</a><a href="HTTP://WWW.Other.gov.cn/./c">丙</a>'
    assert [link.url for link in extract_links(html, PAGE_URL)] == [
        urljoin(PAGE_URL, "a.html"),
        "http://www.other.gov.cn/c",
    ]


def test_resource_types_by_tag() -> None:
    html = """<html><head>
      <link rel="stylesheet" href="/css/main.css"><link rel="alternate stylesheet" href="/css/old.css">
      <link rel="shortcut icon" href="/favicon.ico"><link rel="canonical" href="/canonical.html">
      <link rel="dns-prefetch" href="//cdn.x.gov.cn"><script src="/js/jquery.js"></script><script>var a=1;</script>
    </head><body>
      <a href="/a.html">页面</a><area href="/map/1.html" alt="地图区域"><img src="/logo.png" alt="标志">
      <input type="image" src="/btn.gif" alt="搜索"><input type="text" src="/not.gif">
      <iframe src="/frame.html" title="内嵌"></iframe><frameset><frame src="/left.html"></frameset>
      <embed src="/flash/a.swf"><embed src="/doc/a.pdf"><object data="/media/b.swf"></object>
      <video src="/v/a.mp4" poster="/v/a.jpg"><source src="/v/a.webm"><track src="/v/a.vtt"></video>
      <audio src="/v/a.mp3"></audio>
    </body></html>"""
    assert [(link.url.removeprefix(SITE), link.resource_type) for link in extract_links(html, PAGE_URL)] == [
        ("/css/main.css", STYLESHEET),
        ("/css/old.css", STYLESHEET),
        ("/favicon.ico", OTHER),
        ("/js/jquery.js", SCRIPT),
        ("/a.html", PAGE),
        ("/map/1.html", PAGE),
        ("/logo.png", IMAGE),
        ("/btn.gif", IMAGE),
        ("/frame.html", FRAME),
        ("/left.html", FRAME),
        ("/flash/a.swf", OTHER),
        ("/doc/a.pdf", ATTACHMENT),
        ("/media/b.swf", OTHER),
        ("/v/a.mp4", OTHER),
        ("/v/a.jpg", IMAGE),
        ("/v/a.webm", OTHER),
        ("/v/a.vtt", OTHER),
        ("/v/a.mp3", OTHER),
    ]


@pytest.mark.parametrize(
    ("href", "expected"),
    [
        ("/u/附件1.pdf", ATTACHMENT),
        ("/u/a.PDF", ATTACHMENT),
        ("/u/a.doc", ATTACHMENT),
        ("/u/a.docx", ATTACHMENT),
        ("/u/a.xls", ATTACHMENT),
        ("/u/a.xlsx", ATTACHMENT),
        ("/u/a.pptx", ATTACHMENT),
        ("/u/a.wps", ATTACHMENT),
        ("/u/a.et", ATTACHMENT),
        ("/u/a.dps", ATTACHMENT),
        ("/u/a.ofd", ATTACHMENT),
        ("/u/a.zip", ATTACHMENT),
        ("/u/a.rar", ATTACHMENT),
        ("/u/a.7z", ATTACHMENT),
        ("/u/a.txt", ATTACHMENT),
        ("/u/a.csv", ATTACHMENT),
        ("/u/a.pdf?v=2", ATTACHMENT),
        ("/u/a.pdf;jsessionid=ABC", ATTACHMENT),
        ("/u/a.jpg", IMAGE),
        ("/u/a.mp4", OTHER),
        ("/u/a.html", PAGE),
        ("/u/a.shtml", PAGE),
        ("/u/", PAGE),
        ("/download.jsp?file=a.pdf", PAGE),  # may answer with an HTML page on purpose
        ("/u/pdf", PAGE),
    ],
)
def test_attachments_by_extension(href: str, expected: ResourceType) -> None:
    (link,) = extract_links(f'<a href="{href}">附件</a>', PAGE_URL)
    assert link.resource_type is expected


@pytest.mark.parametrize(
    ("html", "text"),
    [
        ("<a href='/a.html'>  关于  开展\n\t政务公开\n工作的通知 </a>", "关于 开展 政务公开 工作的通知"),
        ("<a href='/a.html'><span>市政府</span><b>常务会议</b></a>", "市政府常务会议"),
        ("<a href='/a.html' title='完整标题'>  </a>", "完整标题"),
        ("<a href='/a.html'><img src='/i.png' alt='图片新闻'></a>", "图片新闻"),
        ("<a href='/a.html'><img src='/i.png'></a>", None),
        ("<a href='/a.html'>" + "长" * 300 + "</a>", "长" * 200),
        ("<area href='/a.html' alt='区域'>", "区域"),
    ],
)
def test_anchor_text(html: str, text: str | None) -> None:
    assert extract_links(html, PAGE_URL)[0].text == text


@pytest.mark.parametrize(
    ("html", "text"),
    [
        ("<img src='/i.png' alt=' 市  政府 \n大楼 '>", "市 政府 大楼"),
        ("<img src='/i.png' title='标题'>", "标题"),
        ("<img src='/i.png' alt='' title='标题'>", "标题"),
        ("<img src='/i.png'>", None),
    ],
)
def test_image_text(html: str, text: str | None) -> None:
    assert extract_links(html, PAGE_URL) == [ExtractedLink(SITE + "/i.png", text, IMAGE)]


def test_duplicates_keep_the_first_position_and_the_first_non_empty_text() -> None:
    html = """<a href="/b.html">B</a><a href="/a.html"></a><a href="/a.html#x">  </a>
      <a href="/a.html">第二</a><a href="/a.html">第三</a><img src="/a.html" alt="图"><a href="/b.html">B2</a>"""
    assert extract_links(html, PAGE_URL) == [
        ExtractedLink(SITE + "/b.html", "B", PAGE),
        ExtractedLink(SITE + "/a.html", "第二", PAGE),
        ExtractedLink(SITE + "/a.html", "图", IMAGE),
    ]


GBK_PAGE = (
    '<html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312"><title>政务公开</title>'
    '</head><body><a href="/政务公开/通知.html">关于政务公开的通知</a><img src="图片/标志.png" alt="标志">'
    '<a href="/search.jsp?q=公开">搜索</a></body></html>'
)
GBK_EXPECTED = [
    ExtractedLink(
        f"{SITE}/%E6%94%BF%E5%8A%A1%E5%85%AC%E5%BC%80/%E9%80%9A%E7%9F%A5.html", "关于政务公开的通知", PAGE
    ),
    ExtractedLink(f"{SITE}/xwzx/gzdt/%E5%9B%BE%E7%89%87/%E6%A0%87%E5%BF%97.png", "标志", IMAGE),
    ExtractedLink(f"{SITE}/search.jsp?q=%B9%AB%BF%AA", "搜索", PAGE),
]


@pytest.mark.parametrize("encoding", ["gb18030", "gbk", "GB2312"])
def test_gbk_bytes(encoding: str) -> None:
    assert extract_links(GBK_PAGE.encode("gbk"), PAGE_URL, encoding=encoding) == GBK_EXPECTED


def test_decoded_text_is_not_re_decoded_by_its_meta_charset() -> None:
    (first, *_) = extract_links(GBK_PAGE, PAGE_URL, encoding="gb18030")
    assert first.text == "关于政务公开的通知"
    xml_declared = '<?xml version="1.0" encoding="gbk"?><html><body><a href="/a.html">通知</a></body></html>'
    assert extract_links(xml_declared, PAGE_URL) == [ExtractedLink(SITE + "/a.html", "通知", PAGE)]


def test_utf8_bytes_and_unknown_encoding() -> None:
    html = '<a href="/a.html">通知</a>'.encode()
    assert extract_links(html, PAGE_URL) == [ExtractedLink(SITE + "/a.html", "通知", PAGE)]
    assert extract_links(html, PAGE_URL, encoding="no-such-charset") == [
        ExtractedLink(SITE + "/a.html", "通知", PAGE)
    ]


@pytest.mark.parametrize(
    "html",
    [
        "",
        "   ",
        b"",
        "<",
        "<a href=",
        "<a href='/a.html'",
        "<!-- <a href='/hidden.html'>x</a> -->",
        "plain text, no markup",
        b"\xff\xfe\x00\x00\x81\x30",
        "\x00\x01<a href='/a.html'>\x00</a>",
        "<table><tr><td><a href='/a.html'>a<td></table></div></span></body><a href='/b.html'>b",
        "<html><body>" + "<div>" * 3000 + "<a href='/deep.html'>d</a>",
    ],
)
def test_broken_html_never_raises(html: str | bytes) -> None:
    links = extract_links(html, PAGE_URL)
    assert all(link.url.startswith("http://www.x.gov.cn/") for link in links)


def test_commented_out_links_are_not_links() -> None:
    assert urls("<!-- <a href='/old.html'>x</a> --><a href='/new.html'>y</a>") == [SITE + "/new.html"]


# --- resource types ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "tag", "expected"),
    [
        ("http://a.gov.cn/x.pdf", "a", ATTACHMENT),
        ("http://a.gov.cn/x.DOCX", "a", ATTACHMENT),
        ("http://a.gov.cn/%E9%80%9A%E7%9F%A5.WPS", "a", ATTACHMENT),
        ("http://a.gov.cn/x.tar.gz", "a", ATTACHMENT),
        ("http://a.gov.cn/x.html", "a", PAGE),
        ("http://a.gov.cn/", "a", PAGE),
        ("http://a.gov.cn/x.do?method=view", "a", PAGE),
        ("http://a.gov.cn/x.png", "a", IMAGE),
        ("http://a.gov.cn/x.flv", "area", OTHER),
        ("http://a.gov.cn/captcha.jsp", "img", IMAGE),
        ("http://a.gov.cn/x.png", "IMG", IMAGE),
        ("http://a.gov.cn/x.html", "iframe", FRAME),
        ("http://a.gov.cn/x.html", "frame", FRAME),
        ("http://a.gov.cn/x.jsp", "script", SCRIPT),
        ("http://a.gov.cn/x.css", "stylesheet", STYLESHEET),
        ("http://a.gov.cn/x.png", "icon", OTHER),
        ("http://a.gov.cn/x.swf", "embed", OTHER),
        ("http://a.gov.cn/x.pdf", "embed", ATTACHMENT),
        ("http://a.gov.cn/x.pdf", "object", ATTACHMENT),
        ("http://a.gov.cn/x.mp4", "video", OTHER),
        ("http://a.gov.cn/x.html", "unknown", OTHER),
    ],
)
def test_resource_type_for_url(url: str, tag: str, expected: ResourceType) -> None:
    assert resource_type_for_url(url, tag) is expected


def test_resource_type_for_url_defaults_to_an_anchor() -> None:
    assert resource_type_for_url("http://a.gov.cn/a.xlsx") is ATTACHMENT


@pytest.mark.parametrize(
    ("content_type", "expected"),
    [
        ("text/html", PAGE),
        ("TEXT/HTML; charset=GBK", PAGE),
        ("application/xhtml+xml", PAGE),
        ("image/jpeg", IMAGE),
        ("image/svg+xml", IMAGE),
        ("text/css; charset=utf-8", STYLESHEET),
        ("application/javascript", SCRIPT),
        ("text/javascript", SCRIPT),
        ("application/x-javascript", SCRIPT),
        ("application/pdf", ATTACHMENT),
        ("application/msword", ATTACHMENT),
        ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", ATTACHMENT),
        ("application/vnd.ms-excel", ATTACHMENT),
        ("application/zip", ATTACHMENT),
        ("application/x-rar-compressed", ATTACHMENT),
        ("application/octet-stream", ATTACHMENT),
        ("application/force-download", ATTACHMENT),
        ("application/ofd", ATTACHMENT),
        ("text/csv", ATTACHMENT),
        ("application/json", OTHER),
        ("video/mp4", OTHER),
        ("audio/mpeg", OTHER),
        ("text/xml", OTHER),
        ("text/plain", None),
        ("", None),
        (None, None),
        ("garbage", None),
        ("/", None),
    ],
)
def test_resource_type_from_content_type(content_type: str | None, expected: ResourceType | None) -> None:
    assert resource_type_from_content_type(content_type) == expected


def test_attachment_extensions_cover_the_office_formats_of_chinese_government_sites() -> None:
    brief = {
        "pdf",
        "doc",
        "docx",
        "xls",
        "xlsx",
        "ppt",
        "pptx",
        "wps",
        "et",
        "dps",
        "ofd",
        "zip",
        "rar",
        "7z",
    }
    assert brief | {"txt", "csv"} <= ATTACHMENT_EXTENSIONS


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://a.gov.cn/u/1.pdf", True),
        ("http://a.gov.cn/u/1.Pdf?x=1#p2", True),
        ("http://a.gov.cn/u/%E9%80%9A%E7%9F%A5.ofd", True),
        ("http://a.gov.cn/u/1.html", False),
        ("http://a.gov.cn/pdf/", False),
        ("http://a.gov.cn/get?f=1.pdf", False),
        ("http://[bad", False),
    ],
)
def test_is_attachment_url(url: str, expected: bool) -> None:
    assert is_attachment_url(url) is expected


# --- private addresses ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "host",
    [
        "127.0.0.1",
        "127.8.9.10",
        "10.1.2.3",
        "172.16.0.1",
        "172.31.255.255",
        "192.168.1.1",
        "169.254.169.254",
        "0.0.0.0",
        "100.64.0.1",
        "224.0.0.1",
        "240.0.0.1",
        "255.255.255.255",
        "::1",
        "[::1]",
        "[::1]:8080",
        "::",
        "fe80::1",
        "fc00::1",
        "fd12:3456::1",
        "::ffff:127.0.0.1",
        "::ffff:192.168.0.1",
        "2002:c0a8:0101::1",
        "localhost",
        "LOCALHOST",
        "localhost.",
        "intranet.localhost",
        "127.0.0.1:8080",
        "127.1",
        "2130706433",
        "0x7f.0.0.1",
        "0177.0.0.1",
        "0",
    ],
)
def test_private_addresses(host: str) -> None:
    assert is_private_address(host)


@pytest.mark.parametrize(
    "host",
    [
        "www.gov.cn",
        "www.x.gov.cn",
        "8.8.8.8",
        "202.103.224.68",
        "2400:3200::1",
        "localhost.gov.cn",
        "mylocalhost",
        "10.gov.cn",
        "1.2.3.4.5",
        "0x7g.0.0.1",
        "",
    ],
)
def test_public_addresses_and_host_names(host: str) -> None:
    assert not is_private_address(host)


# --- Retry-After ---------------------------------------------------------------------------------

NOW = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("120", 120.0),
        (" 0 ", 0.0),
        ("-5", 0.0),
        ("1.5", 1.5),
        ("Wed, 01 May 2024 12:02:00 GMT", 120.0),
        ("Wednesday, 01-May-24 12:01:00 GMT", 60.0),
        ("Wed May  1 12:00:30 2024", 30.0),
        ("Wed, 01 May 2024 20:02:00 +0800", 120.0),
        ("Tue, 30 Apr 2024 12:00:00 GMT", 0.0),
        (None, None),
        ("", None),
        ("soon", None),
        ("1e3", None),
        ("12 seconds", None),
        ("Wed, 99 May 2024 12:02:00 GMT", None),
    ],
)
def test_retry_after_seconds(value: str | None, expected: float | None) -> None:
    assert retry_after_seconds(value, NOW) == expected


def test_retry_after_with_a_naive_now_is_taken_as_utc() -> None:
    naive = datetime(2024, 5, 1, 12, 0, 0)  # noqa: DTZ001 - the case under test
    assert retry_after_seconds("Wed, 01 May 2024 12:00:10 GMT", naive) == 10.0


# --- classify ------------------------------------------------------------------------------------

LINK = SITE + "/xwzx/gzdt/202404/t20240404_123.html"
HOME = SITE + "/"
HTML = {"content-type": "text/html; charset=utf-8"}


def template(title: str, main: str) -> str:
    nav = "".join(f"<li><a href='/c{i}/'>栏目{i}</a></li>" for i in range(30))
    footer = "<p>主办单位：某某市人民政府办公室 网站标识码：4510000031 桂ICP备12345678号</p>"
    return f"<html><head><title>{title}</title></head><body><ul>{nav}</ul><div>{main}</div>{footer}</body></html>"


ARTICLE_TEXT = (
    "<p>为进一步提升政府网站建设管理水平，按照国务院办公厅关于政府网站普查工作的统一部署，市政府办公室"
    "组织开展了全市政府网站季度检查，对各县（市、区）和市直部门网站的内容更新、互动回应等情况进行了检查。</p>"
)
ARTICLE = template("2024年第一季度全市政府网站检查情况通报_某某市人民政府", ARTICLE_TEXT * 3)
ARTICLE_QUOTING = template(
    "2024年第一季度全市政府网站检查情况通报_某某市人民政府",
    ARTICLE_TEXT * 3
    + "<p>检查发现，部分网站存在链接点击后提示“页面不存在”等问题，已督促整改。</p>"
    + ARTICLE_TEXT * 3,
)
LONG_TITLE = template(
    "关于网站部分页面不存在问题整改情况的说明及下一步工作安排_某某市人民政府门户网站", ARTICLE_TEXT
)
SOFT_404 = template("某某市人民政府门户网站", "<div class='err'>抱歉，您访问的页面不存在或已被删除！</div>")
FILE_MISSING = "<html><head><title>提示</title></head><body><script>alert('文件不存在');</script>文件不存在！</body></html>"
NGINX_403 = "<html><head><title>403 Forbidden</title></head><body><center><h1>403 Forbidden</h1></center><hr><center>nginx</center></body></html>"
RUISHU = (
    '<html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8"><meta id="9DhefwqGPrzGxEp9hPaoag"'
    ' content="8l5Ljb5...">'
    "<script type=\"text/javascript\">$_ts=window['$_ts'];if(!$_ts)$_ts={};$_ts.nsd=12345;"
    '$_ts.cd="qhxcrAlkDqW";</script><script src="/4QbVtADbnLVIc/c.FxJzG50F.dfe1675.js" r="m"></script></head>'
    "<body></body></html>"
)
JIASULE = (
    "<html><body><script>document.cookie=('_')+('_')+('j')+('s')+('l')+('_')+('c')+('l')+('e')+('a')+('r')"
    "+('a')+('n')+('c')+('e')+('=')+(-~[]+'')+'|-1|'+(8+[]);location.href=location.pathname+location.search"
    "</script></body></html>"
)
WZWS = (
    '<html><head><meta charset="utf-8"></head><body><script type="text/javascript">'
    'var wzwstemplate = "KSQI"; var wzwschallenge = "MTIzNDU2"; var encoderchallenge = "x";'
    'var wzwsmethod = "post"; var wzwsparams = "wzwstemplate=";</script></body></html>'
)
SAFEDOG = (
    "<html><head><title>网站防火墙</title></head><body><div>您的请求带有不合法参数，已被网站管理员设置拦截！</div>"
    "<div>可能原因：您提交的内容包含危险的攻击请求</div><div>如何解决：检查提交内容；如网站托管，请联系空间提供商</div>"
    "<div>网站防火墙 安全狗</div></body></html>"
)
YUNSUO = (
    "<html><head><title>访问被拦截</title></head><body>云锁 您的访问请求可能对网站造成安全威胁</body></html>"
)
CHUANGYU = (
    "<html><head><title>创宇盾</title></head><body>当前访问疑似黑客攻击，已被创宇盾拦截。</body></html>"
)
CAPTCHA = "<html><head><title>安全验证</title></head><body><img src='/captcha.jpg'>请输入验证码</body></html>"
CLOUDFLARE = (
    "<!DOCTYPE html><html><head><title>Just a moment...</title></head><body><script>window._cf_chl_opt={cvId:'3'};"
    "</script></body></html>"
)
CF_521 = (
    "<html><head><title>x.gov.cn | 521: Web server is down</title></head><body><h1>Web server is down</h1>"
    "<span>Error code 521</span><p>Cloudflare</p></body></html>"
)
NOT_FOUND_WITH_BADGE = template("404-页面不存在", "<p>404</p><p>本站由创宇盾提供安全防护 知道创宇</p>")


def obs(status: int | None = 200, method: str = "GET", **kw: Any) -> Observation:
    kw.setdefault("url", LINK)
    kw.setdefault("error", None)
    kw.setdefault("homepage_url", HOME)
    return Observation(method=method, status=status, **kw)


CLASSIFY_CASES: list[tuple[str, Observation, LinkState, str | None]] = [
    # ok, including the decoys
    ("200 page", obs(headers=HTML, body=ARTICLE), OK, None),
    ("200 HEAD page", obs(method="HEAD", headers=HTML), OK, None),
    (
        "200 image HEAD",
        obs(method="HEAD", headers={"content-type": "image/png"}, expected_type=IMAGE),
        OK,
        None,
    ),
    ("article quoting 页面不存在", obs(headers=HTML, body=ARTICLE_QUOTING), OK, None),
    ("long real title", obs(headers=HTML, body=LONG_TITLE), OK, None),
    (
        "301 302 200 to a real page",
        obs(
            url=SITE + "/old/a.html",
            final_url=SITE + "/xwzx/2024/t2.html",
            redirect_chain=(SITE + "/old/a.html", "https://www.x.gov.cn/old/a.html"),
            headers=HTML,
            body=ARTICLE,
        ),
        OK,
        None,
    ),
    (
        "http to https",
        obs(final_url=LINK.replace("http:", "https:"), redirect_chain=(LINK,), body=ARTICLE),
        OK,
        None,
    ),
    (
        "attachment as octet-stream",
        obs(
            url=SITE + "/u/a.docx",
            headers={"content-type": "application/octet-stream", "content-length": "23552"},
            body="PK\x03\x04\x14\x00\x06\x00\x08\x00!\x00",
            expected_type=ATTACHMENT,
        ),
        OK,
        None,
    ),
    (
        "attachment pdf HEAD",
        obs(method="HEAD", headers={"content-type": "application/pdf"}, expected_type=ATTACHMENT),
        OK,
        None,
    ),
    (
        "attachment HEAD length 0",
        obs(method="HEAD", headers={"content-length": "0"}, expected_type=ATTACHMENT),
        OK,
        None,
    ),
    (
        "image labelled html",
        obs(headers=HTML, body="\ufffdPNG\r\n\x1a\n\x00\x00", expected_type=IMAGE),
        OK,
        None,
    ),
    (
        "external deep link to its own root",
        obs(
            url="http://www.other.gov.cn/a/b.html",
            final_url="http://www.other.gov.cn/",
            internal=False,
            body=ARTICLE,
        ),
        BROKEN,
        "soft_404",
    ),
    ("column redirected home", obs(url=SITE + "/xwzx/", final_url=HOME, body=ARTICLE), OK, None),
    (
        "article naming a WAF vendor",
        obs(headers=HTML, body=template("我市政府网站接入创宇盾安全防护_某某市人民政府", ARTICLE_TEXT)),
        OK,
        None,
    ),
    # broken: HTTP errors
    ("404", obs(404, headers=HTML, body=NOT_FOUND_WITH_BADGE), BROKEN, "http_error"),
    ("404 HEAD", obs(404, method="HEAD"), BROKEN, "http_error"),
    ("410", obs(410), BROKEN, "http_error"),
    ("400", obs(400), BROKEN, "http_error"),
    ("405 on GET", obs(405), BROKEN, "http_error"),
    ("500", obs(500, body="<h1>Internal Server Error</h1>"), BROKEN, "http_error"),
    ("502", obs(502), BROKEN, "http_error"),
    ("504", obs(504), BROKEN, "http_error"),
    ("521 cloudflare origin down", obs(521, body=CF_521), BROKEN, "http_error"),
    (
        "redirect to a 404",
        obs(404, final_url=SITE + "/404.html", redirect_chain=(LINK,)),
        BROKEN,
        "http_error",
    ),
    ("403 internal plain body", obs(403, headers=HTML, body=NGINX_403), UNVERIFIED, "access_denied"),
    ("403 internal saying it is gone", obs(403, headers=HTML, body=SOFT_404), BROKEN, "http_error"),
    # broken: transport errors
    *[
        (code, obs(None, error=code), BROKEN, code)
        for code in (
            "dns",
            "connection_refused",
            "connection_reset",
            "timeout",
            "ssl",
            "too_many_redirects",
            "redirect_loop",
        )
    ],
    (
        "loop with its last 302",
        obs(302, error="redirect_loop", redirect_chain=(LINK, LINK)),
        BROKEN,
        "redirect_loop",
    ),
    # broken: soft 404s and attachments
    ("200 error page", obs(headers=HTML, body=SOFT_404), BROKEN, "soft_404"),
    ("200 error page without content-type", obs(body=SOFT_404), BROKEN, "soft_404"),
    (
        "302 to /404.html",
        obs(final_url=SITE + "/404.html", redirect_chain=(LINK,), body=""),
        BROKEN,
        "soft_404",
    ),
    (
        "302 to error.jsp HEAD",
        obs(method="HEAD", final_url=SITE + "/error.jsp", redirect_chain=(LINK,)),
        BROKEN,
        "soft_404",
    ),
    (
        "external 302 to notfound",
        obs(final_url="http://o.gov.cn/notfound", redirect_chain=(LINK,), internal=False),
        BROKEN,
        "soft_404",
    ),
    (
        "deep link to homepage",
        obs(final_url=HOME, redirect_chain=(LINK,), headers=HTML, body=ARTICLE),
        BROKEN,
        "soft_404",
    ),
    (
        "deep link to index.html",
        obs(final_url=SITE + "/index.html", redirect_chain=(LINK,)),
        BROKEN,
        "soft_404",
    ),
    (
        "deep link to https root",
        obs(final_url="https://x.gov.cn/", redirect_chain=(LINK,)),
        BROKEN,
        "soft_404",
    ),
    (
        "attachment answered by an error page",
        obs(url=SITE + "/u/a.pdf", headers=HTML, body=FILE_MISSING, expected_type=ATTACHMENT),
        BROKEN,
        "attachment_error_page",
    ),
    (
        "attachment error page as octet-stream",
        obs(headers={"content-type": "application/octet-stream"}, body=SOFT_404, expected_type=ATTACHMENT),
        BROKEN,
        "attachment_error_page",
    ),
    (
        "zero-byte attachment",
        obs(headers={"content-type": "application/pdf", "content-length": "0"}, expected_type=ATTACHMENT),
        BROKEN,
        "empty_attachment",
    ),
    (
        "image answered by an HTML page",
        obs(headers=HTML, body=ARTICLE, expected_type=IMAGE),
        BROKEN,
        "soft_404",
    ),
    # unverified: rate limits
    ("429", obs(429), UNVERIFIED, "rate_limited"),
    ("429 Retry-After", obs(429, headers={"retry-after": "120"}), UNVERIFIED, "rate_limited"),
    ("503 Retry-After", obs(503, headers={"retry-after": "30"}), UNVERIFIED, "rate_limited"),
    (
        "503 plain",
        obs(503, body="<title>503 Service Temporarily Unavailable</title>"),
        UNVERIFIED,
        "rate_limited",
    ),
    # unverified: anti-bot gates
    ("瑞数 412", obs(412, body=RUISHU), UNVERIFIED, "anti_bot_gate"),
    ("瑞数 412 HEAD", obs(412, method="HEAD"), UNVERIFIED, "anti_bot_gate"),
    ("瑞数 202", obs(202, body=RUISHU), UNVERIFIED, "anti_bot_gate"),
    ("瑞数 200", obs(200, headers=HTML, body=RUISHU), UNVERIFIED, "anti_bot_gate"),
    ("加速乐 521", obs(521, body=JIASULE), UNVERIFIED, "anti_bot_gate"),
    (
        "加速乐 521 cookie",
        obs(521, headers={"set-cookie": "__jsluid_s=abc; path=/"}),
        UNVERIFIED,
        "anti_bot_gate",
    ),
    ("加速乐 521 HEAD", obs(521, method="HEAD"), UNVERIFIED, "anti_bot_gate"),
    ("WZWS body", obs(200, body=WZWS), UNVERIFIED, "anti_bot_gate"),
    (
        "WZWS cookie",
        obs(200, method="HEAD", headers={"set-cookie": "wzws_cid=1a2b; path=/"}),
        UNVERIFIED,
        "anti_bot_gate",
    ),
    (
        "WZWS redirect",
        obs(200, final_url=LINK + "?wzwschallenge=V1pXU19DT05GSVJN", redirect_chain=(LINK,)),
        UNVERIFIED,
        "anti_bot_gate",
    ),
    ("安全狗 403", obs(403, body=SAFEDOG), UNVERIFIED, "anti_bot_gate"),
    ("安全狗 200", obs(200, body=SAFEDOG), UNVERIFIED, "anti_bot_gate"),
    ("云锁 403", obs(403, body=YUNSUO), UNVERIFIED, "anti_bot_gate"),
    ("创宇盾 405", obs(405, body=CHUANGYU), UNVERIFIED, "anti_bot_gate"),
    ("captcha 200", obs(200, headers=HTML, body=CAPTCHA), UNVERIFIED, "anti_bot_gate"),
    (
        "captcha redirect",
        obs(200, final_url=SITE + "/waf_captcha/?u=x", redirect_chain=(LINK,)),
        UNVERIFIED,
        "anti_bot_gate",
    ),
    ("cloudflare 403", obs(403, body=CLOUDFLARE), UNVERIFIED, "anti_bot_gate"),
    ("cloudflare header", obs(403, headers={"cf-mitigated": "challenge"}), UNVERIFIED, "anti_bot_gate"),
    (
        "阿里云 acw_sc__v2",
        obs(200, body="<script>var arg1='3A6B';acw_sc__v2=1</script>"),
        UNVERIFIED,
        "anti_bot_gate",
    ),
    # unverified: access denied and the undecidable
    ("403 external", obs(403, body=NGINX_403, internal=False), UNVERIFIED, "access_denied"),
    ("403 internal HEAD", obs(403, method="HEAD"), UNVERIFIED, "access_denied"),
    ("403 internal empty body", obs(403, body=" "), UNVERIFIED, "access_denied"),
    ("401", obs(401), UNVERIFIED, "access_denied"),
    ("407", obs(407), UNVERIFIED, "access_denied"),
    ("451", obs(451), UNVERIFIED, "access_denied"),
    ("unknown transport error", obs(None, error="other"), UNVERIFIED, "other"),
    ("spider refused a private target", obs(None, error="private_target"), UNVERIFIED, "private_target"),
    ("no status, no error", obs(None), UNVERIFIED, "other"),
    ("unfollowed 302", obs(302), UNVERIFIED, "other"),
    ("304", obs(304), UNVERIFIED, "other"),
]


@pytest.mark.parametrize(
    ("observation", "state", "error"),
    [case[1:] for case in CLASSIFY_CASES],
    ids=[case[0] for case in CLASSIFY_CASES],
)
def test_classify(observation: Observation, state: LinkState, error: str | None) -> None:
    verdict = classify(observation)
    assert (verdict.state, verdict.error) == (state, error)
    assert verdict.reason
    assert "\n" not in verdict.reason


@pytest.mark.parametrize(
    ("observation", "words"),
    [
        (obs(404), "HTTP 404 on GET"),
        (obs(None, method="HEAD", error="timeout"), "timeout error on HEAD"),
        (obs(429, headers={"retry-after": "120"}), "Retry-After: 120"),
        (obs(headers=HTML, body=SOFT_404), "您访问的页面不存在或已被删除"),
        (obs(final_url=HOME, redirect_chain=(LINK,)), "homepage"),
        (obs(412, body=RUISHU), "瑞数"),
        (obs(200, final_url=SITE + "/a.html", redirect_chain=(LINK, SITE + "/b.html")), "after 2 redirects"),
    ],
)
def test_classify_gives_evidence(observation: Observation, words: str) -> None:
    assert words in classify(observation).reason


def test_observation_defaults() -> None:
    o = Observation(url=LINK, method="GET", status=200, error=None)
    assert (o.final_url, o.redirect_chain, dict(o.headers), o.body) == (None, (), {}, "")
    assert (o.expected_type, o.homepage_url, o.internal) == (PAGE, None, True)
    assert classify(o).state is OK


# --- needs_get -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("observation", "expected"),
    [
        (obs(404), False),  # already a GET
        (obs(method="HEAD", headers={"content-type": "image/png"}, expected_type=IMAGE), False),
        (obs(method="HEAD", expected_type=IMAGE), False),
        (obs(method="HEAD", headers={"content-type": "application/pdf"}, expected_type=ATTACHMENT), False),
        (obs(method="HEAD", headers={"content-type": "text/css"}, expected_type=STYLESHEET), False),
        (obs(method="head", headers=HTML), True),  # soft 404s are judged on the body
        (obs(method="HEAD"), True),
        (obs(method="HEAD", headers=HTML, expected_type=ATTACHMENT), True),
        (obs(method="HEAD", headers=HTML, expected_type=IMAGE), True),
        (obs(method="HEAD", headers={"content-length": "0"}, expected_type=ATTACHMENT), True),
        *[(obs(code, method="HEAD"), True) for code in (400, 403, 404, 405, 410, 429, 500, 501, 502, 503)],
        (obs(302, method="HEAD"), True),
        (
            obs(method="HEAD", final_url=HOME, redirect_chain=(LINK,), headers={"content-type": "image/png"}),
            True,
        ),
        (obs(None, method="HEAD", error="dns"), False),
        *[
            (obs(None, method="HEAD", error=code), True)
            for code in ("timeout", "connection_refused", "connection_reset", "ssl", "other")
        ],
        (obs(412, method="HEAD"), False),  # a GET meets the same gate
        (obs(200, method="HEAD", headers={"set-cookie": "wzws_cid=1"}), False),
    ],
)
def test_needs_get(observation: Observation, expected: bool) -> None:
    assert needs_get(observation) is expected


# --- detect_anti_bot_gate ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "body", "headers", "expected"),
    [
        (412, RUISHU, {}, "瑞数"),
        (200, RUISHU, {}, "瑞数"),
        (412, "", {}, "瑞数"),
        (521, JIASULE, {}, "加速乐"),
        (200, WZWS, {}, "WZWS"),
        (200, "", {"set-cookie": "wzws_sessionid=abc"}, "WZWS"),
        (403, SAFEDOG, {}, "安全狗"),
        (403, YUNSUO, {}, "云锁"),
        (200, "", {"set-cookie": "security_session_verify=abc"}, "云锁"),
        (403, CHUANGYU, {}, "创宇盾"),
        (200, CAPTCHA, {}, "captcha"),
        (403, CLOUDFLARE, {}, "cloudflare"),
        (200, ARTICLE, {}, None),
        # footers and articles that name a vendor or a captcha are not gates
        (
            200,
            template("某某市人民政府", ARTICLE_TEXT + "<p>本站由创宇盾提供安全防护 安全狗 云锁</p>"),
            {},
            None,
        ),
        (200, template("用户登录", "<input name='code'>请输入验证码"), {}, None),
        (404, NOT_FOUND_WITH_BADGE, {}, None),
        (403, NGINX_403, {}, None),
        (200, "", {"set-cookie": "JSESSIONID=1; acw_tc=2"}, None),
        (None, "", {}, None),
    ],
)
def test_detect_anti_bot_gate(
    status: int | None, body: str, headers: dict[str, str], expected: str | None
) -> None:
    assert detect_anti_bot_gate(status, body, headers) == expected


@pytest.mark.parametrize("module", ["links", "soft404.py"])  # a package: all its modules
def test_rules_stay_pure(module: str) -> None:
    path = Path(__file__).parents[3] / "pipelines" / "rules" / module
    imported = set()
    for source in sorted(path.glob("*.py")) if path.is_dir() else [path]:
        tree = ast.parse(source.read_text(encoding="utf-8"))
        imported |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        imported |= {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    assert not {m.split(".")[0] for m in imported} & {"scrapy", "twisted", "sqlalchemy"}


TECH_GATE_SAMPLES = {
    "瑞数": ["<script>$_ts=window['$_ts'];</script>", "$_ts.nsd=12345;"],
    "加速乐": ["document.cookie='__jsl_clearance=1567;'", "Set: __jsluid_h=abc"],
    "WZWS": ["wzws_cid=abc", "/?WZWSCHALLENGE=1", "wzwsquestion", "WZWS_SESSIONID"],
    "阿里云WAF": ["acw_sc__v2=5f", "_waf_bd8ce2ce37", "aliyun_waf_aa"],
    "cloudflare": ["cf-chl-bypass", "window._cf_chl_opt", "/cdn-cgi/challenge-platform/h/b", "<title>Just a moment...</title>",
                   "<TITLE> just a moment</TITLE>"],
    "云锁": ["yunsuo_session_verify=1", "security_session_mid_verify=2", "security_session_verify"],
    "安全狗": ['<div class="safedog-flow-item">'],
}  # fmt: skip


@pytest.mark.parametrize(
    ("gate", "sample"), [(gate, sample) for gate, samples in TECH_GATE_SAMPLES.items() for sample in samples]
)
def test_every_technical_gate_passes_the_substring_pre_check(gate: str, sample: str) -> None:
    body = "<html><body>" + "<p>正文内容</p>" * 500 + sample + "</body></html>"  # a normal-size page
    assert detect_anti_bot_gate(200, body) == gate
