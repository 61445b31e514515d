"""Hostile targets in a crawl: bombs, endless and huge bodies, broken HTTP, redirects into the private network.

Four sites on one hostile server, crawled at the same time as subprocesses (``scrapy crawl portal``):
``bodies`` (what a page can do to the parser and memory), ``protocol`` (broken HTTP, redirects, SSRF, Hanweb
dataproxy scripts, spreadsheet formulas in link texts), ``volume`` (10,000 unresolvable hosts) and ``links``
(200,000 links on one page). Each test names one target; every test also checks that the canary was never
contacted.
"""

from __future__ import annotations

import csv
import re
import subprocess
from collections.abc import Iterator
from html import escape
from pathlib import Path
from typing import Any

import pytest

from pipelines.evidence import read_records
from tests.conftest import ROOT, evidence_dir
from tests.evidence import assert_every_finding_proven
from tests.hostile.conftest import (
    SCRAPY,
    CrawlResult,
    Launcher,
    assert_bounded,
    assert_canary_untouched,
    error_lines,
    serve,
)
from tests.hostile.server import BOMB_SIZES, Canary, HostileServer, MiB, head_html, page

pytestmark = pytest.mark.hostile

BOMBS = list(BOMB_SIZES)
TRANSPORT = ["cl-long", "reset", "garbage", "bigheader", "hang"]
# Well-formed HTTP however odd: a Content-Length shorter than what follows (the answer is its first bytes, as
# HTTP defines it; the bytes after it are not an answer to anything), 5,000 Set-Cookie headers (cookies are off).
WELL_FORMED = ["cl-short", "cookies"]
CANARY_REDIRECTS = ["canary-ip-302", "canary-ip-307", "canary-name-302", "canary-name-307"]
SCHEMES = ["file", "ftp", "data", "javascript"]
FORMULAS = {  # link text -> missing page it links to (each a broken_link finding with that text)
    '=HYPERLINK("http://x")': "/missing/formula-1.html",
    "+cmd|' /C calc'!A0": "/missing/formula-2.html",
    "-2+3+cmd|' /C calc'!A0": "/missing/formula-3.html",
    "@SUM(1+1)*cmd|' /C calc'!A0": "/missing/formula-4.html",
    "\x1b[31m红色\x1b[0m 终端转义": "/missing/formula-5.html",
}
NX_PAGES, NX_PER_PAGE = 4, 2500
MANY_LINKS = 200_000
CRAWLS = ["bodies", "protocol", "volume", "links"]
EVIDENCE_PAGE_BYTES = 256 * 1024  # the bodies crawl archives less of a page than it reads (1 MiB)
MAX_LINKS_PER_PAGE = 2_000  # set low (default 10,000): each capped link is still a target to check


def anchor(url: str, text: str = "链接") -> str:
    return f'<a href="{escape(url)}">{escape(text)}</a>\n'


def script(url: str) -> str:
    return f'<script src="{escape(url)}"></script>\n'


def image(url: str) -> str:
    return f'<img src="{escape(url)}" alt="图片">\n'


def homepage(title: str, links: str, nav: str = "") -> bytes:
    return (
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{title}</title></head><body>"
        f"<div class='nav'>{nav}</div><div class='main'><ul><li>{links}</li></ul>"
        "<p><a href='/ok/news1.html'>通知</a><span>2026-11-20</span></p></div></body></html>"
    ).encode()


# -- the sites -------------------------------------------------------------------------------------------


def bodies_pages() -> dict[str, tuple[str, bytes]]:
    links = ""
    for enc in BOMBS:
        links += anchor(f"/bomb/{enc}/page.html", f"炸弹 {enc}") + script(f"/bomb/{enc}/b.js")
    links += anchor("/huge/60mb.html", "60 MB") + script("/huge/60mb.js")
    links += anchor("/endless/page.html", "无尽") + script("/endless/e.js")
    links += anchor("/t/drip/page.html", "滴")
    links += (
        anchor("/nested/page.html", "嵌套")
        + anchor("/nul/page.html", "空字节")
        + anchor("/longlink/page.html")
    )
    nested = head_html("nested", "/missing/nested-before.html") + b"<div>" * 100_000
    nested += b'<a href="/missing/nested.html">after 100,000 nested elements</a>' + b"</div>" * 100_000
    nul = (
        b"<!DOCTYPE html><html><head><meta charset='utf-8'><title>nul</title></head><body>"
        + b"\x00" * 100
        + b"<p>\xff\xfe\xc3\x28 \x80\x81 \xed\xa0\x80</p>"
        + b'<a href="/missing/nul-1.html">\xe4\xb8\x80</a>'
        + b"\x00\x00\xf8\x88\x80\x80\x80"
        + b'<a href="/missing/nul-2.html">\xff\x00</a></body></html>'
    )
    longlink = page(
        "长链接", anchor("/missing/" + "L" * 200_000, "200 KB") + anchor("/missing/longlink-after.html")
    )
    html = "text/html; charset=utf-8"
    return {
        "/a/index.html": (html, homepage("敌意页面", links)),
        "/nested/page.html": (html, nested),
        "/nul/page.html": (html, nul),
        "/longlink/page.html": (html, longlink),
    }


def dataproxy_column(n: int, canary: Canary) -> bytes:
    """A Hanweb jcms column page whose list request would go to the canary (n picks the markup)."""
    ip = f"http://127.0.0.2:{canary.port}"
    name = f"http://canary.hostile.test:{canary.port}"
    ajax = f"{{col: 1, webid: 1, path: '/', columnid: {2000 + n}, unitid: {3000 + n}, webname: '敌意', permissiontype: 0}}"
    store = ""
    if n == 1:  # jpage with proxyUrl on the canary's address
        call = f"$('#{3000 + n}').jpage({{perPage: 15, totalRecord: 30, proxyUrl: '{ip}/module/web/jpage/dataproxy.jsp', ajaxParam: {ajax}}});"
    elif n == 2:  # the same with the canary's host name
        call = f"$('#{3000 + n}').jpage({{perPage: 15, totalRecord: 30, proxyUrl: '{name}/module/web/jpage/dataproxy.jsp', ajaxParam: {ajax}}});"
    elif n == 3:  # an empty datastore whose <nextgroup> names the canary
        store = (
            '<script type="text/xml"><datastore><nextgroup><![CDATA[<a href="'
            f'{name}/module/web/jpage/dataproxy.jsp?page=1&webid=1&columnid={2000 + n}&unitid={3000 + n}">'
            "</a>]]></nextgroup><recordset></recordset></datastore></script>"
        )
        call = f"$('#{3000 + n}').jpage({{perPage: 15, ajaxParam: {ajax}}});"
    else:  # a plain dataproxy URL in a script
        call = f"var listUrl = '{ip}/module/web/jpage/dataproxy.jsp?startrecord=1&endrecord=45&perpage=15&columnid={2000 + n}&unitid={3000 + n}';"
    return (
        "<!DOCTYPE html><html><head><meta charset='utf-8'>"
        f"<meta name='ColumnName' content='通知公告{n}'><title>通知公告{n}</title></head><body>"
        "<div class='crumb'>当前位置：<a href='/b/index.html'>首页</a> &gt; 通知公告</div>"
        f"<div class='list' id='{3000 + n}'>{store}</div>"
        f"<script>{call}</script></body></html>"
    ).encode()


def protocol_pages(canary: Canary) -> dict[str, tuple[str, bytes]]:
    links = ""
    for behaviour in TRANSPORT + WELL_FORMED:
        links += anchor(f"/t/{behaviour}/page.html", behaviour) + script(f"/t/{behaviour}/s.js")
    links += script("/t/drip/s.js")
    links += anchor("/r/chain/40/page.html", "40 跳")
    for scheme in SCHEMES:
        links += anchor(f"/r/{scheme}/page.html", scheme)
    for kind in CANARY_REDIRECTS:
        links += anchor(f"/r/{kind}/page.html", kind) + image(f"/r/{kind}/i.png")
    links += anchor("/r/longloc/page.html", "100 KB Location")
    for name, template in {**PRIVATE_LINKS, **IPV6_LINKS}.items():
        url = private_url(template, canary)
        links += image(url) if name.endswith(".png") else anchor(url, "内网")
    for text, target in FORMULAS.items():
        links += anchor(target, text)
    for n in range(1, 6):
        links += script(f"/ok/{n}.js") + anchor(f"/ok/p{n}.html", f"正常{n}")
    nav = "".join(anchor(f"/col/col{2000 + n}/index.html", f"通知公告{n}") for n in range(1, 5))
    html = "text/html; charset=utf-8"
    pages = {"/b/index.html": (html, homepage("敌意协议", links, nav))}
    for n in range(1, 5):
        pages[f"/col/col{2000 + n}/index.html"] = (html, dataproxy_column(n, canary))
    return pages


PRIVATE_LINKS = {  # name -> URL (CP: the canary's IPv4 port, CP6: its IPv6 port); the name ends the path
    "direct-ip": "http://127.0.0.2:CP/b/direct-ip",
    "direct-name": "http://canary.hostile.test:CP/b/direct-name",
    "intranet": "http://intranet.hostile.test:CP/b/intranet",
    "intranet.png": "http://intranet.hostile.test:CP/b/intranet.png",
    "decimal": "http://2130706434:CP/b/decimal",
    "hex": "http://0x7f.0.0.2:CP/b/hex",
    "localhost": "http://localhost:CP/b/localhost",
}
IPV6_LINKS = {
    "v6-literal": "http://[::1]:CP6/b/v6-literal",
    "v6-name": "http://v6only.hostile.test:CP6/b/v6-name",
    "ula": "http://[fd00::1]/b/ula",
}


def private_url(template: str, canary: Canary) -> str:
    return template.replace("CP6", str(canary.port6)).replace("CP", str(canary.port))


def check_ending(result: CrawlResult, name: str) -> Any:
    return next((c for c in result.checks.values() if c.url.endswith("/b/" + name)), None)


def volume_pages() -> dict[str, tuple[str, bytes]]:
    links = "".join(anchor(f"/c/nx/{k}.html", f"不可解析 {k}") for k in range(1, NX_PAGES + 1))
    html = "text/html; charset=utf-8"
    many = "".join(f'<a href="http://l{i}.invalid/">{i}</a>\n' for i in range(MANY_LINKS))
    pages = {
        "/c/index.html": (html, homepage("数量", links)),
        "/d/index.html": (html, homepage("二十万", anchor("/d/links-200k.html", "二十万"))),
        "/d/links-200k.html": (html, page("二十万链接", many)),
    }
    for k in range(1, NX_PAGES + 1):
        first = (k - 1) * NX_PER_PAGE
        body = "".join(
            f'<a href="http://nx{i}.invalid/">{i}</a>\n' for i in range(first, first + NX_PER_PAGE)
        )
        pages[f"/c/nx/{k}.html"] = (html, page(f"不可解析 {k}", body))
    return pages


# -- fixtures ----------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def hostile(canary: Canary) -> Iterator[HostileServer]:
    server = HostileServer("127.0.0.1", canary=canary)
    server.pages.update(bodies_pages())
    server.pages.update(protocol_pages(canary))
    server.pages.update(volume_pages())
    yield from serve(server)


@pytest.fixture(scope="module")
def crawls(launcher: Launcher, hostile: HostileServer) -> Launcher:
    """The four crawls, started together; each test waits for the one it reads.

    protocol gets 90 s: a hanging link target costs 3 tries x DOWNLOAD_TIMEOUT for HEAD, for GET and for
    the confirmation re-check (45 s) before the crawl can end by itself.
    """
    page_cap = {"GOVHEALTH_MAX_PAGE_BYTES": str(MiB)}
    launcher.start(
        "bodies",
        "4500000001",
        hostile.url("/a/index.html"),
        {
            "GOVHEALTH_MAX_SECONDS": "60",
            "GOVHEALTH_EVIDENCE_PAGE_BYTES": str(EVIDENCE_PAGE_BYTES),
            **page_cap,
        },
    )
    launcher.start(
        "protocol", "4500000002", hostile.url("/b/index.html"), {"GOVHEALTH_MAX_SECONDS": "90", **page_cap}
    )
    launcher.start("volume", "4500000003", hostile.url("/c/index.html"), {"GOVHEALTH_MAX_SECONDS": "45"})
    launcher.start(
        "links",
        "4500000004",
        hostile.url("/d/index.html"),
        {
            "GOVHEALTH_MAX_SECONDS": "45",
            "GOVHEALTH_MAX_PAGE_BYTES": str(16 * MiB),  # the whole 7 MB page: only the links cap cuts it
            "GOVHEALTH_MAX_LINKS_PER_PAGE": str(MAX_LINKS_PER_PAGE),
        },
    )
    return launcher


@pytest.fixture(scope="module")
def bodies(crawls: Launcher) -> CrawlResult:
    return crawls.result("bodies")


@pytest.fixture(scope="module")
def protocol(crawls: Launcher) -> CrawlResult:
    return crawls.result("protocol")


@pytest.fixture(scope="module")
def volume(crawls: Launcher) -> CrawlResult:
    return crawls.result("volume")


@pytest.fixture(scope="module")
def many_links(crawls: Launcher) -> CrawlResult:
    return crawls.result("links")


def assert_state(result: CrawlResult, url: str, state: str, error: str | None = None) -> None:
    found = result.check(url)
    assert found is not None, result.describe(url)
    assert found.state == state, result.describe(url)
    if error is not None:
        assert found.error == error, result.describe(url)


def state_of(result: CrawlResult, url: str) -> tuple[str, str | None] | None:
    found = result.check(url)
    return None if found is None else (found.state, found.error)


def assert_not_ok(result: CrawlResult, url: str) -> None:
    found = result.check(url)
    assert found is not None, result.describe(url)
    assert found.state in ("broken", "unverified"), result.describe(url)
    assert found.error, result.describe(url)


# -- every crawl -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", CRAWLS)
def test_crawl_ends_by_itself_within_time_and_memory(crawls: Launcher, canary: Canary, name: str) -> None:
    result = crawls.result(name)
    print(result.summary())  # noqa: T201 - with -rP: the measured time and memory of each crawl
    assert_bounded(result)
    assert_canary_untouched(canary)


@pytest.mark.parametrize("name", CRAWLS)
def test_crawl_logs_no_error_or_traceback(crawls: Launcher, canary: Canary, name: str) -> None:
    result = crawls.result(name)
    assert not error_lines(result), f"{result.summary()}\n" + "\n".join(error_lines(result)[:30])
    assert_canary_untouched(canary)


@pytest.mark.parametrize("name", CRAWLS)
def test_stored_urls_fit_their_columns(crawls: Launcher, canary: Canary, name: str) -> None:
    """URL columns are String(2048): PostgreSQL refuses longer values and the whole run would be lost."""
    result = crawls.result(name)
    too_long = [c.url[:80] for c in result.checks.values() if len(c.url) > 2048]
    too_long += [s[:80] for c in result.checks.values() for s in c.sources if len(s) > 2048]
    too_long += [f.url[:80] for f in result.findings if len(f.url) > 2048 or len(f.source_url or "") > 2048]
    assert not too_long, f"{len(too_long)} stored URLs longer than 2048 characters: {too_long[:3]}"
    assert_canary_untouched(canary)


# -- bodies: bombs, huge, endless, dripping, nested, NUL ------------------------------------------------


@pytest.mark.parametrize("enc", BOMBS)
def test_bomb_page_is_cut_and_its_early_link_still_checked(
    bodies: CrawlResult, hostile: HostileServer, canary: Canary, enc: str
) -> None:
    assert_state(bodies, hostile.url(f"/missing/bomb-{enc}.html"), "broken", "http_error")
    assert bodies.check(hostile.url(f"/bomb/{enc}/page.html")) is not None, "the bomb page itself is recorded"
    assert_canary_untouched(canary)


@pytest.mark.parametrize("enc", BOMBS)
def test_bomb_as_link_target_is_recorded(
    bodies: CrawlResult, hostile: HostileServer, canary: Canary, enc: str
) -> None:
    assert bodies.check(hostile.url(f"/bomb/{enc}/b.js")) is not None, bodies.describe(
        hostile.url(f"/bomb/{enc}/b.js")
    )
    assert_canary_untouched(canary)


def test_evidence_archive_stays_within_its_caps(bodies: CrawlResult, canary: Canary) -> None:
    """Bombs, huge and endless pages carry broken links, so they are archived as their sources: cut at the cap,
    marked ``WARC-Truncated: length``; failed checks at 64 KiB. Every finding still points at its proof."""
    path = evidence_dir(bodies.db_url) / bodies.code / f"{bodies.run.id}.warc.gz"
    records = list(read_records(path))
    responses = [r for r in records if r.record_type == "response"]
    assert max(len(r.payload) for r in responses) <= EVIDENCE_PAGE_BYTES
    cut = [r for r in responses if r.truncated]
    assert len(cut) >= len(BOMBS), [r.target_uri for r in cut]
    assert {r.truncated for r in cut} == {"length"}
    assert all(len(r.payload) == EVIDENCE_PAGE_BYTES for r in cut if "/bomb/" in r.target_uri)
    assert path.stat().st_size < 2 * len(responses) * EVIDENCE_PAGE_BYTES
    assert_every_finding_proven(bodies.findings, evidence_dir(bodies.db_url))
    assert_canary_untouched(canary)


def test_page_byte_cut_is_counted_and_named_in_the_run(bodies: CrawlResult, canary: Canary) -> None:
    assert (bodies.stats.get("govhealth/limits/max_page_bytes") or 0) > 0, {
        k: v for k, v in bodies.stats.items() if "limit" in k or "truncat" in k
    }
    assert bodies.run.status == "incomplete", bodies.summary()
    assert "max_page_bytes" in bodies.limits, bodies.summary()
    assert_canary_untouched(canary)


@pytest.mark.parametrize(
    "planted",
    [
        "/missing/huge-60mb.html",
        "/missing/endless.html",
        "/missing/nested.html",
        "/missing/nested-before.html",
    ],
)
def test_link_early_in_a_huge_endless_or_deep_page_is_found_broken(
    bodies: CrawlResult, hostile: HostileServer, canary: Canary, planted: str
) -> None:
    assert_state(bodies, hostile.url(planted), "broken", "http_error")
    assert_canary_untouched(canary)


@pytest.mark.parametrize("target", ["/huge/60mb.js", "/endless/e.js"])
def test_huge_and_endless_link_targets_are_recorded(
    bodies: CrawlResult, hostile: HostileServer, canary: Canary, target: str
) -> None:
    assert bodies.check(hostile.url(target)) is not None, bodies.describe(hostile.url(target))
    assert_canary_untouched(canary)


def test_dripping_page_is_cut_and_the_run_stored(
    bodies: CrawlResult, hostile: HostileServer, canary: Canary
) -> None:
    assert_bounded(bodies)
    assert_not_ok(bodies, hostile.url("/t/drip/page.html"))
    assert_canary_untouched(canary)


@pytest.mark.parametrize("planted", ["/missing/nul-1.html", "/missing/nul-2.html"])
def test_links_after_nul_and_invalid_bytes_are_found(
    bodies: CrawlResult, hostile: HostileServer, canary: Canary, planted: str
) -> None:
    assert_state(bodies, hostile.url(planted), "broken", "http_error")
    assert_canary_untouched(canary)


def test_link_after_a_200_kb_href_is_found(
    bodies: CrawlResult, hostile: HostileServer, canary: Canary
) -> None:
    assert_bounded(bodies)
    assert_state(bodies, hostile.url("/missing/longlink-after.html"), "broken", "http_error")
    assert_canary_untouched(canary)


# -- protocol: broken HTTP ---------------------------------------------------------------------------------


@pytest.mark.parametrize("form", ["page.html", "s.js"])
@pytest.mark.parametrize("behaviour", TRANSPORT)
def test_broken_http_answer_is_never_ok(
    protocol: CrawlResult, hostile: HostileServer, canary: Canary, behaviour: str, form: str
) -> None:
    assert_not_ok(protocol, hostile.url(f"/t/{behaviour}/{form}"))
    assert_canary_untouched(canary)


@pytest.mark.parametrize("form", ["page.html", "s.js"])
@pytest.mark.parametrize("behaviour", WELL_FORMED)
def test_odd_but_well_formed_http_is_judged_by_its_answer(
    protocol: CrawlResult, hostile: HostileServer, canary: Canary, behaviour: str, form: str
) -> None:
    assert_state(protocol, hostile.url(f"/t/{behaviour}/{form}"), "ok", None)
    assert_canary_untouched(canary)


@pytest.mark.parametrize(
    ("target", "error"),
    [
        ("/t/hang/page.html", "timeout"),
        ("/t/hang/s.js", "timeout"),
        ("/t/reset/page.html", "connection_reset"),
        ("/t/reset/s.js", "connection_reset"),
        ("/t/cl-long/page.html", "connection_reset"),
        ("/t/drip/s.js", "timeout"),
    ],
)
def test_broken_http_answer_has_its_error(
    protocol: CrawlResult, hostile: HostileServer, canary: Canary, target: str, error: str
) -> None:
    assert_state(protocol, hostile.url(target), "broken", error)
    assert_canary_untouched(canary)


@pytest.mark.parametrize("n", range(1, 6))
def test_innocent_targets_beside_broken_answers_stay_ok(
    protocol: CrawlResult, hostile: HostileServer, canary: Canary, n: int
) -> None:
    """A smuggled answer after a short Content-Length must not be read as another target's answer."""
    assert_state(protocol, hostile.url(f"/ok/{n}.js"), "ok")
    assert_state(protocol, hostile.url(f"/ok/p{n}.html"), "ok")
    assert_canary_untouched(canary)


# -- protocol: redirects -----------------------------------------------------------------------------------


def test_forty_hop_redirect_chain_is_too_many_redirects(
    protocol: CrawlResult, hostile: HostileServer, canary: Canary
) -> None:
    assert_state(protocol, hostile.url("/r/chain/40/page.html"), "broken", "too_many_redirects")
    assert_canary_untouched(canary)


@pytest.mark.parametrize("scheme", SCHEMES)
def test_redirect_to_a_non_http_scheme_is_not_followed(
    protocol: CrawlResult, hostile: HostileServer, canary: Canary, scheme: str
) -> None:
    assert_not_ok(protocol, hostile.url(f"/r/{scheme}/page.html"))
    assert not any(url.startswith(f"{scheme}:") for url in protocol.checks), "no check of the non-http URL"
    assert_canary_untouched(canary)


@pytest.mark.parametrize("form", ["page.html", "i.png"])
@pytest.mark.parametrize("kind", CANARY_REDIRECTS)
def test_redirect_to_a_private_address_is_unverified_and_not_followed(
    protocol: CrawlResult, hostile: HostileServer, canary: Canary, kind: str, form: str
) -> None:
    assert_state(protocol, hostile.url(f"/r/{kind}/{form}"), "unverified", "private_address")
    assert_canary_untouched(canary)


def test_100_kb_location_header_is_never_ok(
    protocol: CrawlResult, hostile: HostileServer, canary: Canary
) -> None:
    assert_not_ok(protocol, hostile.url("/r/longloc/page.html"))
    assert_canary_untouched(canary)


# -- protocol: private addresses named by a page -------------------------------------------------------


@pytest.mark.parametrize("name", list(PRIVATE_LINKS))
def test_link_to_a_private_address_is_unverified(protocol: CrawlResult, canary: Canary, name: str) -> None:
    found = check_ending(protocol, name)
    assert found is not None, f"{private_url(PRIVATE_LINKS[name], canary)}: no link check stored"
    assert (found.state, found.error) == ("unverified", "private_address"), protocol.describe(found.url)
    assert_canary_untouched(canary)


@pytest.mark.parametrize("name", list(IPV6_LINKS))
def test_ipv6_host_is_unverified_not_dns(protocol: CrawlResult, canary: Canary, name: str) -> None:
    found = check_ending(protocol, name)
    assert found is not None, f"{private_url(IPV6_LINKS[name], canary)}: no link check stored"
    assert found.state == "unverified" and found.error != "dns", protocol.describe(found.url)
    assert_canary_untouched(canary)


@pytest.mark.parametrize("n", range(1, 5))
def test_hanweb_dataproxy_on_another_host_is_not_requested(
    protocol: CrawlResult, canary: Canary, n: int
) -> None:
    column = next((c for c in protocol.columns if f"/col/col{2000 + n}/" in c.url), None)
    assert_canary_untouched(canary)
    assert column is not None, (
        f"column col{2000 + n} not in the inventory: {[c.url for c in protocol.columns]}"
    )
    assert column.status == "unverified", (
        f"{column.url}: {column.status} {column.page_kind} ({column.reason})"
    )


# -- protocol: exports of hostile texts --------------------------------------------------------------------

_NUMBER = re.compile(r"-?\d+(\.\d+)?")


def dangerous(value: Any) -> bool:
    return isinstance(value, str) and value[:1] in ("=", "+", "-", "@") and not _NUMBER.fullmatch(value)


def export(protocol: CrawlResult, tmp_path: Path, fmt: str) -> tuple[subprocess.CompletedProcess[str], Path]:
    out = tmp_path / f"findings.{fmt}"
    done = subprocess.run(
        [
            str(SCRAPY),
            "export",
            "--format",
            fmt,
            "-o",
            str(out),
            "-s",
            f"GOVHEALTH_DATABASE_URL={protocol.db_url}",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    return done, out


def test_formula_link_texts_are_broken_link_findings(
    protocol: CrawlResult, hostile: HostileServer, canary: Canary
) -> None:
    for target in FORMULAS.values():
        assert_state(protocol, hostile.url(target), "broken", "http_error")
    found = {f.url for f in protocol.findings if f.kind == "broken_link"}
    assert all(hostile.url(target) in found for target in FORMULAS.values())
    assert_canary_untouched(canary)


def test_csv_export_has_no_formula_cells(protocol: CrawlResult, tmp_path: Path, canary: Canary) -> None:
    done, out = export(protocol, tmp_path, "csv")
    assert done.returncode == 0, done.stderr[-2000:]
    files = sorted(tmp_path.glob("*.csv"))
    assert out in files
    bad = []
    texts = []
    for path in files:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            for row in csv.reader(handle):
                texts += row
                bad += [f"{path.name}: {cell[:60]!r}" for cell in row if dangerous(cell)]
    assert not bad, "\n".join(bad[:20])
    for text in list(FORMULAS)[:4]:  # the texts are exported, defused, not dropped
        assert any(text in cell for cell in texts), f"link text {text!r} missing from the CSV export"
    assert_canary_untouched(canary)


def test_csv_export_has_no_control_characters(protocol: CrawlResult, tmp_path: Path, canary: Canary) -> None:
    done, _ = export(protocol, tmp_path, "csv")
    assert done.returncode == 0, done.stderr[-2000:]
    for path in sorted(tmp_path.glob("*.csv")):
        data = path.read_text("utf-8-sig")
        controls = sorted({f"U+{ord(c):04X}" for c in data if ord(c) < 32 and c not in "\t\r\n"})
        assert not controls, (
            f"{path.name}: control characters {controls} (a terminal escape survives in the CSV)"
        )
    assert_canary_untouched(canary)


def test_xlsx_export_succeeds_and_has_no_formula_cells(
    protocol: CrawlResult, tmp_path: Path, canary: Canary
) -> None:
    import openpyxl

    done, out = export(protocol, tmp_path, "xlsx")
    assert done.returncode == 0, done.stderr[-2000:]
    book = openpyxl.load_workbook(out)
    bad, texts = [], []
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if cell.data_type == "f":
                    bad.append(f"{sheet.title}!{cell.coordinate}: formula {str(cell.value)[:60]!r}")
                elif dangerous(cell.value):
                    bad.append(f"{sheet.title}!{cell.coordinate}: {str(cell.value)[:60]!r}")
                if isinstance(cell.value, str):
                    texts.append(cell.value)
    assert not bad, "\n".join(bad[:20])
    for text in list(FORMULAS)[:4]:
        assert any(text in value for value in texts), f"link text {text!r} missing from the XLSX export"
    assert_canary_untouched(canary)


# -- volume ------------------------------------------------------------------------------------------------


def test_links_per_page_are_capped(many_links: CrawlResult, canary: Canary) -> None:
    assert_bounded(many_links)
    checked = [u for u in many_links.checks if re.fullmatch(r"http://l\d+\.invalid/", u)]
    assert len(checked) <= MAX_LINKS_PER_PAGE, f"{len(checked)} of the 200,000 links of one page were checked"
    assert (many_links.stats.get("govhealth/limits/max_links_per_page") or 0) > 0, many_links.summary()
    assert many_links.run.status == "incomplete", many_links.summary()
    assert "max_links_per_page" in many_links.limits, many_links.summary()
    assert_canary_untouched(canary)


def test_links_within_the_cap_are_checked_broken_dns(many_links: CrawlResult, canary: Canary) -> None:
    """The first links of the page, up to the cap, are checked like any other (and end broken dns)."""
    first = [f"http://l{i}.invalid/" for i in range(100)]
    wrong = [many_links.describe(u) for u in first if state_of(many_links, u) != ("broken", "dns")]
    assert not wrong, f"{len(wrong)} of the page's first 100 links not broken dns: {wrong[:3]}"
    assert_canary_untouched(canary)


def test_unresolvable_hosts_are_broken_dns_or_bounded(volume: CrawlResult, canary: Canary) -> None:
    assert_bounded(volume)
    expected = [f"http://nx{i}.invalid/" for i in range(NX_PAGES * NX_PER_PAGE)]
    missing = [u for u in expected if u not in volume.checks]
    wrong = [
        volume.describe(u) for u in expected if u in volume.checks and volume.checks[u].state != "broken"
    ]
    wrong += [volume.describe(u) for u in expected if u in volume.checks and volume.checks[u].error != "dns"]
    assert not wrong, f"{len(wrong)} unresolvable hosts not broken dns: {wrong[:3]}"
    assert not missing or "max_targets" in volume.limits, (
        f"{len(missing)} never checked, no max_targets budget named"
    )
    assert_canary_untouched(canary)
