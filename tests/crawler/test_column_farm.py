"""The column test farm (tests/farm/, see its EXPECTED.md) crawled end-to-end by the portal spider.

Three small government sites in three CMS flavours (Hanweb jcms, TRS WCM, a generic GBK site) plus one
unreachable site, all judged as of 2018-01-05. Every planted blank / stale / homepage-stale / unreachable
case must be reported with its evidence, and no decoy may be: the findings of each site are compared
with the planted set exactly.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import date
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
import pytest_twisted
from scrapy.utils.test import get_crawler
from sqlalchemy import select

from crawler.demo.server import SiteHandler, SiteServer
from crawler.report.data import verdict_of
from crawler.spiders.portal import PortalSpider
from models.column import Column
from models.finding import Finding
from models.link import LinkCheck
from models.run import CrawlRun
from models.session import make_sessionmaker, open_database
from models.site import Site
from tests.conftest import evidence_dir, register_site, test_settings
from tests.crawler.test_commands import scrapy
from tests.evidence import assert_every_finding_proven, proving_record

FARM = Path(__file__).resolve().parent.parent / "farm"
AS_OF = "2018-01-05"
HANWEB, TRS, GENERIC, DOWN = "4510990101", "4510990102", "4510990103", "4510990104"
UNREACHABLE_URL = "http://127.0.0.1:9/index.html"  # the discard port: nothing listens there


# --- the farm server ---------------------------------------------------------------------------------------


class FarmHandler(SiteHandler):
    """SiteHandler plus a jcms ``dataproxy.jsp`` that answers GET and POST like the real one.

    The answer is the static file ``module/web/jpage/dataproxy-<columnid>.xml``, the columnid read from the
    query or the POST form (jcms' jpage script POSTs the unit's parameters; SiteHandler has no POST at all).
    Every POST is recorded in ``server.posts`` as (path, query, form).
    """

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        form = dict(parse_qsl(self.rfile.read(length).decode("utf-8"))) if length else {}
        parts = urlsplit(self.path)
        self.server.posts.append((parts.path, dict(parse_qsl(parts.query)), form))  # type: ignore[attr-defined]
        self.server.hits[("POST", parts.path)] += 1
        if parts.path.endswith("/dataproxy.jsp"):
            self.dataproxy(form)
        else:
            self.send_body(501, self.page("POST not supported"))

    def route(self, method: str) -> None:
        parts = urlsplit(self.path)
        if parts.path.endswith("/dataproxy.jsp"):
            self.server.hits[(method, parts.path)] += 1
            self.dataproxy({})
        else:
            super().route(method)

    def dataproxy(self, form: dict[str, str]) -> None:
        params = {**dict(parse_qsl(urlsplit(self.path).query)), **form}
        answer = Path(self.directory) / "module/web/jpage" / f"dataproxy-{params.get('columnid', 'none')}.xml"
        if answer.is_file():
            self.send_body(200, answer.read_bytes(), "text/xml; charset=UTF-8")
        else:
            self.send_body(404, self.page("no such column"))


def farm_server(root: Path) -> SiteServer:
    server = SiteServer(root)
    server.RequestHandlerClass = partial(FarmHandler, directory=str(root))  # type: ignore[assignment]
    server.posts = []  # type: ignore[attr-defined]
    return server


def write_gbk_site(target: Path) -> None:
    """tests/farm/generic/ is kept as UTF-8 text for review; the site is served as real GBK bytes."""
    for source in (FARM / "generic").rglob("*.html"):
        page = target / source.relative_to(FARM / "generic")
        page.parent.mkdir(parents=True, exist_ok=True)
        page.write_bytes(source.read_text(encoding="utf-8").encode("gbk"))


# --- one crawl of every farm site per module ----------------------------------------------------------------


def load(db_url: str, bases: dict[str, str]) -> dict[str, dict[str, Any]]:
    engine = open_database(db_url)
    try:
        with make_sessionmaker(engine)() as session:
            out: dict[str, dict[str, Any]] = {}
            for site in session.scalars(select(Site)):
                runs = list(session.scalars(select(CrawlRun).where(CrawlRun.site_id == site.id)))
                run_ids = [r.id for r in runs]
                base = bases[site.code]
                out[site.code] = {
                    "base": base,
                    "runs": runs,
                    "columns": list(session.scalars(select(Column).where(Column.run_id.in_(run_ids)))),
                    "findings": list(session.scalars(select(Finding).where(Finding.site_id == site.id))),
                    "checks": list(session.scalars(select(LinkCheck).where(LinkCheck.run_id.in_(run_ids)))),
                }
            return out
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def farm(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """Register the four farm sites in one database and crawl each once, as of 2018-01-05."""
    gbk_root = tmp_path_factory.mktemp("generic-gbk")
    write_gbk_site(gbk_root)
    db_url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'farm.sqlite3'}"
    open_database(db_url).dispose()
    with ExitStack() as stack:
        servers = {
            HANWEB: stack.enter_context(farm_server(FARM / "hanweb")),
            TRS: stack.enter_context(farm_server(FARM / "trs")),
            GENERIC: stack.enter_context(farm_server(gbk_root)),
        }
        names = {HANWEB: "甲县人民政府", TRS: "乙市人民政府", GENERIC: "丙县人民政府", DOWN: "丁县人民政府"}
        bases = {code: server.base for code, server in servers.items()} | {DOWN: "http://127.0.0.1:9"}
        for code, name in names.items():
            url = servers[code].url("/index.html") if code in servers else UNREACHABLE_URL
            register_site(db_url, code, url, name=name)
        stats = {}
        for code in names:
            crawler = get_crawler(PortalSpider, test_settings(db_url, GOVHEALTH_AS_OF=AS_OF))
            pytest_twisted.blockon(crawler.crawl(code=code))
            stats[code] = crawler.stats.get_stats()
        data = load(db_url, bases)
        for code, site in data.items():
            site["stats"] = stats[code]
            site["server"] = servers.get(code)
        yield {"db_url": db_url, "gbk_root": gbk_root, "sites": data}


def site_of(farm: dict[str, Any], code: str) -> dict[str, Any]:
    return farm["sites"][code]


def path_of(site: dict[str, Any], url: str) -> str:
    return url.removeprefix(site["base"])


def same_column(path: str) -> str:
    """/a/b/ and /a/b/index.html are one column page."""
    return path.removesuffix("index.html")


def columns_at(site: dict[str, Any], path: str) -> list[Column]:
    return [c for c in site["columns"] if same_column(path_of(site, c.url)) == same_column(path)]


def findings_of(site: dict[str, Any]) -> set[tuple[str, str]]:
    return {(f.kind, same_column(path_of(site, f.url))) for f in site["findings"]}


# --- the column inventory ---------------------------------------------------------------------------------

D = date.fromisoformat
# (site, list page, name, category, status, items, newest date, how found, top level)
INVENTORY = [
    # Hanweb jcms: lists only inside <script type="text/xml"><datastore> or behind dataproxy.jsp
    (
        HANWEB,
        "/col/col101/index.html",
        "工作动态",
        "news",
        "ok",
        3,
        D("2018-01-03"),
        "nav",
        True,
    ),  # pinned 2015 record first
    (HANWEB, "/col/col104/index.html", "部门动态", "news", "stale", 2, D("2017-12-01"), "sidebar", False),
    (
        HANWEB,
        "/col/col102/index.html",
        "通知公告",
        "notice_policy",
        "ok",
        2,
        D("2017-11-20"),
        "nav",
        True,
    ),  # POST dataproxy
    (
        HANWEB,
        "/col/col103/index.html",
        "政策文件",
        "notice_policy",
        "ok",
        2,
        D("2017-09-01"),
        "nav",
        True,
    ),  # GET dataproxy
    (
        HANWEB,
        "/col/col105/index.html",
        "规划计划",
        "personnel_plan",
        "blank",
        0,
        None,
        "nav",
        True,
    ),  # totalrecord 0
    (HANWEB, "/col/col106/index.html", "机构职能", "other", "single", None, None, "nav", True),
    # TRS WCM
    (
        TRS,
        "/xwzx/gzdt/index.html",
        "工作动态",
        "news",
        "ok",
        3,
        D("2018-01-04"),
        "nav",
        True,
    ),  # createPageHTML(3, 0, ...)
    (
        TRS,
        "/xwzx/zwyw/index.html",
        "政务要闻",
        "news",
        "ok",
        3,
        D("2018-01-02"),
        "nav",
        True,
    ),  # [置顶] 2016 first
    (
        TRS,
        "/zwgk/tzgg/",
        "通知公告",
        "notice_policy",
        "stale",
        2,
        D("2017-06-30"),
        "nav",
        True,
    ),  # 截止日期 2017-12-31 decoy
    (
        TRS,
        "/zwgk/zcwj/index.html",
        "政策文件",
        "notice_policy",
        "ok",
        2,
        D("2017-12-28"),
        "nav",
        True,
    ),  # dates in URLs only
    (
        TRS,
        "/zwgk/gfxwj/index.html",
        "规范性文件",
        "notice_policy",
        "ok",
        2,
        D("2017-12-20"),
        "nav",
        True,
    ),  # PubDate meta only
    (
        TRS,
        "/zwgk/zfwj/index.html",
        "政府文件",
        "notice_policy",
        "stale",
        2,
        None,
        "nav",
        True,
    ),  # lookalikes only
    # linked only from an article's text; its own articles carry the same ColumnName plus ArticleTitle/PubDate
    (TRS, "/zwgk/bmwj/index.html", "部门文件", "notice_policy", "stale", 2, D("2017-05-10"), "meta", False),
    # generic GBK site
    (
        GENERIC,
        "/gzdt/index.html",
        "工作动态",
        "news",
        "ok",
        3,
        D("2017-12-28"),
        "nav",
        True,
    ),  # 2017年12月28日
    (
        GENERIC,
        "/tzgg/index.html",
        "通知公告",
        "notice_policy",
        "ok",
        3,
        D("2017-12-20"),
        "nav",
        True,
    ),  # side box 暂无信息
    (GENERIC, "/spzdt/index.html", "昇平镇动态", "news", "unverified", 0, None, "nav", True),  # $.ajax list
    (GENERIC, "/ghjh/index.html", "规划计划", "personnel_plan", "blank", 0, None, "nav", True),  # 暂无信息
    (GENERIC, "/zxft/index.html", "在线访谈", "other", "blank", 0, None, "nav", True),  # 正在建设中
    (
        GENERIC,
        "/lxwm/index.html",
        "联系我们",
        "other",
        "single",
        None,
        None,
        "nav",
        True,
    ),  # phones, 8:00-12:00
    # linked only from the footer, no meta, no breadcrumb: list detection, named by <title>
    (GENERIC, "/bmdt/index.html", "部门动态", "news", "stale", 3, D("2017-11-20"), "list", False),
]


@pytest.mark.parametrize(
    ("code", "path", "name", "category", "status", "items", "latest", "how", "top_level"),
    INVENTORY,
    ids=[f"{row[0]}-{row[2]}" for row in INVENTORY],
)
def test_column_inventory(
    farm: dict[str, Any],
    code: str,
    path: str,
    name: str,
    category: str,
    status: str,
    items: int | None,
    latest: date | None,
    how: str,
    top_level: bool,
) -> None:
    site = site_of(farm, code)
    rows = columns_at(site, path)
    assert rows, f"column {name} ({path}) was not discovered"
    for row in rows:
        assert (row.name, row.category, row.status) == (name, category, status), row.reason
        assert (row.item_count, row.latest_date) == (items, latest), row.reason
    assert (rows[0].how, rows[0].top_level) == (how, top_level)


@pytest.mark.parametrize("code", [HANWEB, TRS, GENERIC])
def test_every_column_is_planted(farm: dict[str, Any], code: str) -> None:
    """No column beyond the planted ones (articles, hubs, the homepage are not columns)."""
    site = site_of(farm, code)
    planted = {same_column(row[1]) for row in INVENTORY if row[0] == code}
    assert {same_column(path_of(site, c.url)) for c in site["columns"]} == planted


def test_a_column_linked_in_two_url_forms_is_one_column(farm: dict[str, Any]) -> None:
    """TRS nav links ./zwgk/tzgg/, its homepage block ./zwgk/tzgg/index.html: the same page, one column.

    Two rows would mean two stale_column findings for one stale column: double deductions, and a false push
    towards the veto lines (>=5 notice/policy columns over their period).
    """
    site = site_of(farm, TRS)
    rows = columns_at(site, "/zwgk/tzgg/")
    assert [path_of(site, c.url) for c in rows] in (["/zwgk/tzgg/"], ["/zwgk/tzgg/index.html"])
    stale = Counter(f.column_name for f in site["findings"] if f.kind == "stale_column")
    assert stale["通知公告"] == 1


# --- the findings: every planted case, no decoy ----------------------------------------------------------

PLANTED = {
    HANWEB: {("stale_column", "/col/col104/"), ("blank_column", "/col/col105/")},
    TRS: {("stale_column", "/zwgk/tzgg/"), ("stale_column", "/zwgk/zfwj/"), ("stale_column", "/zwgk/bmwj/")},
    GENERIC: {
        ("homepage_stale", "/"),
        ("blank_column", "/ghjh/"),
        ("blank_column", "/zxft/"),
        ("unverified_column", "/spzdt/"),
        ("stale_column", "/bmdt/"),
    },
    DOWN: {("site_unreachable", "/")},
}


@pytest.mark.parametrize("code", list(PLANTED))
def test_findings_are_exactly_the_planted_ones(farm: dict[str, Any], code: str) -> None:
    assert findings_of(site_of(farm, code)) == PLANTED[code]


# (site, kind, list page, column name, category, newest date, items, reason contains)
EVIDENCE = [
    (
        HANWEB,
        "stale_column",
        "/col/col104/",
        "部门动态",
        "news",
        D("2017-12-01"),
        2,
        "35 days old, over the 14-day period",
    ),
    (HANWEB, "blank_column", "/col/col105/", "规划计划", "personnel_plan", None, 0, "blank column"),
    (
        TRS,
        "stale_column",
        "/zwgk/tzgg/",
        "通知公告",
        "notice_policy",
        D("2017-06-30"),
        2,
        "189 days old, over the 183-day",
    ),
    (
        TRS,
        "stale_column",
        "/zwgk/zfwj/",
        "政府文件",
        "notice_policy",
        None,
        2,
        "none of its 2 items carries a publication date",
    ),
    (GENERIC, "blank_column", "/ghjh/", "规划计划", "personnel_plan", None, 0, "暂无信息"),
    (GENERIC, "blank_column", "/zxft/", "在线访谈", "other", None, 0, "正在建设中"),
    (GENERIC, "unverified_column", "/spzdt/", "昇平镇动态", "news", None, 0, "$.ajax"),
]


@pytest.mark.parametrize(
    ("code", "kind", "path", "name", "category", "latest", "items", "reason"),
    EVIDENCE,
    ids=[f"{row[0]}-{row[1]}-{row[3]}" for row in EVIDENCE],
)
def test_column_findings_carry_their_evidence(
    farm: dict[str, Any],
    code: str,
    kind: str,
    path: str,
    name: str,
    category: str,
    latest: date | None,
    items: int,
    reason: str,
) -> None:
    site = site_of(farm, code)
    found = [f for f in site["findings"] if f.kind == kind and same_column(path_of(site, f.url)) == path]
    assert found, f"{kind} {path} not reported"
    for finding in found:
        assert (finding.column_name, finding.column_category) == (name, category)
        assert (finding.latest_date, finding.item_count) == (latest, items)
        assert reason in (finding.reason or ""), finding.reason
        assert finding.fingerprint


def test_unverified_column_says_why(farm: dict[str, Any]) -> None:
    site = site_of(farm, GENERIC)
    (finding,) = [f for f in site["findings"] if f.kind == "unverified_column"]
    assert finding.error == "unreadable_list"


# --- the homepage -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "latest"),
    [(HANWEB, "2018-01-03"), (TRS, "2018-01-03"), (GENERIC, "2017-12-20")],
)
def test_homepage_month_day_dates_cross_the_year(farm: dict[str, Any], code: str, latest: str) -> None:
    """01-03 is 2018-01-03, 12-30 is 2017-12-30 and 01-10 is 2017-01-10 (not a day to come) on 2018-01-05."""
    (run,) = site_of(farm, code)["runs"]
    assert run.stats["govhealth/homepage/latest_date"] == latest


def test_generic_homepage_is_stale(farm: dict[str, Any]) -> None:
    site = site_of(farm, GENERIC)
    (finding,) = [f for f in site["findings"] if f.kind == "homepage_stale"]
    assert finding.url == site["base"] + "/index.html"
    assert finding.latest_date == D("2017-12-20")
    assert finding.on_homepage
    assert "16 days old" in (finding.reason or "")


def test_unreachable_site_gives_site_unreachable_only(farm: dict[str, Any]) -> None:
    site = site_of(farm, DOWN)
    assert [(f.kind, f.url, f.error) for f in site["findings"]] == [
        ("site_unreachable", UNREACHABLE_URL, "connection_refused")
    ]
    assert site["columns"] == []
    (run,) = site["runs"]
    assert run.finished_at is not None


# --- how the lists were read ------------------------------------------------------------------------------


def test_hanweb_dataproxy_is_asked_like_jpage_does(farm: dict[str, Any]) -> None:
    """col102: jpage POSTs the unit's parameters; col103: a plain dataproxy.jsp?... URL is fetched with GET."""
    server = site_of(farm, HANWEB)["server"]
    posted = {
        form.get("columnid"): (query, form)
        for path, query, form in server.posts
        if path.endswith("dataproxy.jsp")
    }
    query, form = posted["102"]
    assert (query["startrecord"], query["endrecord"]) == ("1", "15")
    assert (form["unitid"], form["webid"]) == ("5102", "1")
    assert server.hits[("GET", "/module/web/jpage/dataproxy.jsp")] >= 1  # col103's GET shape
    assert "103" not in posted


def test_article_pages_are_read_only_when_the_list_has_no_date(farm: dict[str, Any]) -> None:
    """规范性文件 and 政府文件 show no dates: their articles are fetched for a PubDate; dated lists are not."""
    hits = site_of(farm, TRS)["server"].hits
    assert hits[("GET", "/zwgk/gfxwj/post_2301.html")] >= 2  # crawled as a page, and read for its date
    assert hits[("GET", "/zwgk/zfwj/post_2410.html")] >= 2
    assert hits[("GET", "/zwgk/tzgg/201706/t20170630_300.html")] == 1  # crawled only


def test_generic_site_is_really_gbk(farm: dict[str, Any]) -> None:
    raw = (farm["gbk_root"] / "spzdt/index.html").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    with pytest.raises(UnicodeDecodeError):  # 昇 is GBK, not GB2312: the declared charset understates it
        raw.decode("gb2312")


def test_hanweb_datastore_links_are_checked(farm: dict[str, Any]) -> None:
    """A browser shows jcms datastore records as ordinary links, and on a jcms site they are every list link.

    The spider already reads them for the column lists; a broken article link among them must be found
    like any other, so each record link on the homepage, 工作动态 and 部门动态 must have been checked.
    """
    site = site_of(farm, HANWEB)
    checked = {path_of(site, c.url): c.state for c in site["checks"]}
    in_datastores = [
        "/art/2015/3/2/art_101_1.html",
        "/art/2017/12/30/art_101_11.html",
        "/art/2018/1/3/art_101_12.html",
        "/art/2017/11/20/art_104_6.html",
        "/art/2017/12/1/art_104_7.html",
    ]
    assert {path: checked.get(path) for path in in_datastores} == dict.fromkeys(in_datastores, "ok")


@pytest.mark.parametrize("code", [HANWEB, TRS, GENERIC])
def test_farm_links_are_all_fine(farm: dict[str, Any], code: str) -> None:
    """The farm plants no broken link: every checked target is ok, and every crawl run is complete."""
    site = site_of(farm, code)
    assert [(path_of(site, c.url), c.state, c.error) for c in site["checks"] if c.state != "ok"] == []
    (run,) = site["runs"]
    assert (run.status, run.budget_hit) == ("complete", None)


# --- scrapy columns list ----------------------------------------------------------------------------------


@pytest.mark.parametrize("code", [HANWEB, TRS, GENERIC])
def test_columns_list_json_is_the_inventory(farm: dict[str, Any], code: str) -> None:
    site = site_of(farm, code)
    done = scrapy("columns", "list", "--code", code, "--format", "json", db_url=farm["db_url"])
    assert done.returncode == 0, done.stderr
    listed = {
        (c["url"], c["name"], c["category"], c["status"], c["item_count"], c["latest_date"])
        for c in json.loads(done.stdout)
    }
    stored = {
        (c.url, c.name, c.category, c.status, c.item_count, c.latest_date and c.latest_date.isoformat())
        for c in site["columns"]
    }
    assert listed == stored


@pytest.mark.parametrize(
    ("code", "summary"),
    [
        (HANWEB, "6 columns · 3 ok, 1 blank, 1 stale, 1 single"),
        (GENERIC, "7 columns · 2 ok, 2 blank, 1 stale, 1 unverified, 1 single"),
    ],
)
def test_columns_list_table(farm: dict[str, Any], code: str, summary: str) -> None:
    done = scrapy("columns", "list", "--code", code, db_url=farm["db_url"])
    assert done.returncode == 0, done.stderr
    (run,) = site_of(farm, code)["runs"]
    assert f"{code} run {run.id}: {summary}" in done.stdout
    for row in INVENTORY:
        if row[0] == code:
            assert row[2] in done.stdout


# --- scrapy score on the farm ---------------------------------------------------------------------------------


def test_score_cards_of_the_farm(farm: dict[str, Any]) -> None:
    done = scrapy("score", "--format", "json", db_url=farm["db_url"], env_extra={"GOVHEALTH_AS_OF": AS_OF})
    assert done.returncode == 0, done.stderr
    cards = {card["site_code"]: card for card in json.loads(done.stdout)}
    assert set(cards) == {HANWEB, TRS, GENERIC, DOWN}, (
        "every registered site gets a card, the unreachable one too"
    )
    lines = {code: {line["id"]: line for line in card["rules"]} for code, card in cards.items()}
    # the GBK site: two blank columns (below the veto line of 5) and a stale homepage (a veto)
    assert lines[GENERIC]["blank_columns"]["count"] == 2
    assert not lines[GENERIC]["blank_columns"]["veto"]
    assert lines[GENERIC]["homepage_not_updated"]["veto"]
    assert cards[GENERIC]["verdict"] == "fail"
    assert "homepage_not_updated" in cards[GENERIC]["vetoes"]
    # the unreachable site: vetoed by the crawl's site_unreachable finding, its link rules not measured
    assert cards[DOWN]["vetoes"] == ["site_unreachable"]
    assert not lines[DOWN]["other_broken_links"]["measured"]
    assert lines[DOWN]["other_broken_links"]["deduction"] is None
    # TRS: the three stale notice columns count (部门文件 found by its ColumnName meta), each citing its finding
    stale = lines[TRS]["should_update_but_stale"]
    assert stale["count"] == len(stale["findings"]) == 3
    assert cards[HANWEB]["verdict"] == "pass"


# --- the evidence archive ---------------------------------------------------------------------------------


@pytest.mark.parametrize("code", list(PLANTED))
def test_every_farm_finding_is_proven_by_its_archive(farm: dict[str, Any], code: str) -> None:
    """Columns by their list pages (or list data), the homepage by itself, an unreachable site by its failures."""
    site = site_of(farm, code)
    kinds = assert_every_finding_proven(site["findings"], evidence_dir(farm["db_url"]))
    assert kinds == {kind for kind, _ in PLANTED[code]}


def test_an_unreachable_site_is_proven_by_metadata_of_each_attempt(farm: dict[str, Any]) -> None:
    (finding,) = site_of(farm, DOWN)["findings"]
    record, records = proving_record(finding, evidence_dir(farm["db_url"]))
    attempts = [r for r in records.values() if r.record_type == "metadata" and r.target_uri == finding.url]
    assert len(attempts) == 2  # the first attempt and its confirmation
    assert record is attempts[-1] or record.record_id == attempts[-1].record_id
    assert b"error: connection_refused" in record.payload


def test_a_hanweb_column_is_proven_by_the_list_page_holding_its_datastore(farm: dict[str, Any]) -> None:
    site = site_of(farm, HANWEB)
    (finding,) = [f for f in site["findings"] if f.kind == "stale_column"]
    record, _ = proving_record(finding, evidence_dir(farm["db_url"]))
    assert path_of(site, record.target_uri) == "/col/col104/index.html"
    assert b"<datastore>" in record.payload and b"2017-12-01" in record.payload


def test_scrapy_evidence_prints_a_blank_column_s_list_page(farm: dict[str, Any]) -> None:
    site = site_of(farm, HANWEB)
    (finding,) = [f for f in site["findings"] if f.kind == "blank_column"]
    done = scrapy("evidence", "--code", HANWEB, "--url", finding.url, db_url=farm["db_url"])
    assert done.returncode == 0, done.stderr
    assert f"blank_column {finding.url}" in done.stdout
    assert "< HTTP/1.1 200 OK" in done.stdout and "(verified)" in done.stdout
    assert (
        "<title>规划计划 甲县人民政府门户网站</title>" in done.stdout
    )  # the list page, as the server sent it


# --- scrapy report on the farm --------------------------------------------------------------------------------


def test_report_of_the_farm(farm: dict[str, Any], tmp_path: Path) -> None:
    done = scrapy("report", "-o", str(tmp_path), db_url=farm["db_url"], env_extra={"GOVHEALTH_AS_OF": AS_OF})
    assert done.returncode == 0, done.stderr
    index = (tmp_path / "index.html").read_text(encoding="utf-8")
    rows = {code: verdict for verdict, code in re.findall(r'data-verdict="(\w+)" data-code="(\w+)"', index)}
    # the verdicts are those of `scrapy score`: the GBK site's stale homepage and the unreachable site veto
    cards = scrapy("score", "--format", "json", db_url=farm["db_url"], env_extra={"GOVHEALTH_AS_OF": AS_OF})
    assert rows == {card["site_code"]: verdict_of(card, card["run_id"]) for card in json.loads(cards.stdout)}
    assert rows[HANWEB] == "pass" and rows[GENERIC] == rows[DOWN] == "blacklist"
    for code, site in farm["sites"].items():
        page = (tmp_path / "sites" / f"{code}.html").read_text(encoding="utf-8")
        latest = max(r.id for r in site["runs"])
        for finding in (f for f in site["findings"] if f.run_id == latest):
            assert f'data-url="{finding.url}"' in page, (code, finding.url)
        for column in (c for c in site["columns"] if c.run_id == latest):
            assert column.name in page
