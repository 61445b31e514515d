"""The portal spider end-to-end on 127.0.0.1: each broken kind found, each decoy left alone."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
import pytest_twisted
from scrapy.utils.test import get_crawler
from sqlalchemy import select

from crawler.demo.server import SiteServer
from crawler.spiders.portal import PortalSpider
from models.finding import Finding
from models.link import LinkCheck
from models.run import CrawlRun
from models.session import make_sessionmaker, open_database
from pipelines.evidence import ArchiveWriter, read_records
from tests.conftest import evidence_dir, register_site, test_settings
from tests.crawler.test_commands import scrapy
from tests.evidence import assert_every_finding_proven, is_about, proving_record, records_of

CODE = "4510990001"


def crawl(db_url: str, code: str = CODE, **overrides: Any) -> Any:
    crawler = get_crawler(PortalSpider, test_settings(db_url, **overrides))
    pytest_twisted.blockon(crawler.crawl(code=code))
    return crawler


def load(db_url: str) -> dict[str, Any]:
    engine = open_database(db_url)
    try:
        with make_sessionmaker(engine)() as session:
            return {
                "checks": {c.url: c for c in session.scalars(select(LinkCheck))},
                "findings": list(session.scalars(select(Finding))),
                "runs": list(session.scalars(select(CrawlRun))),
            }
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def result(tmp_path_factory: pytest.TempPathFactory, site: SiteServer) -> Iterator[dict[str, Any]]:
    """One crawl of the test site, shared by the tests of this module."""
    site.reset()
    db_url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'portal.sqlite3'}"
    open_database(db_url).dispose()
    register_site(db_url, CODE, site.url("/index.html"))
    crawler = crawl(db_url)
    data = load(db_url)
    data["stats"] = crawler.stats.get_stats()
    data["site"] = site
    data["db_url"] = db_url
    return data


def check(result: dict[str, Any], path: str) -> LinkCheck:
    url = path if path.startswith("http") else result["site"].url(path)
    return result["checks"][url]


@pytest.mark.parametrize(
    ("path", "error"),
    [
        ("/missing.html", "http_error"),
        ("/status/500", "http_error"),
        ("/soft404.html", "soft_404"),
        ("/to-error", "soft_404"),
        ("/to-home/2017/10/art_123.html", "soft_404"),
        ("/loop", "redirect_loop"),
        ("/reset", "connection_reset"),
        ("/attachment-error/plan.doc", "attachment_error_page"),
        ("/images/missing.png", "http_error"),
        ("/missing.js", "http_error"),
        ("/gbk-missing.html", "http_error"),
        ("/other/missing-under-base.html", "http_error"),
        ("http://dns-failure.invalid/page.html", "dns"),
    ],
)
def test_broken_kinds_are_found(result: dict[str, Any], path: str, error: str) -> None:
    found = check(result, path)
    assert (found.state, found.error) == ("broken", error)
    assert found.attempts >= 2, "a broken target is confirmed by a re-check"


@pytest.mark.parametrize(
    ("path", "error"),
    [("/gate/ruishu", "anti_bot_gate"), ("/gate/jsl", "anti_bot_gate"), ("/gate/waf", "anti_bot_gate")],
)
def test_anti_bot_gates_are_unverified_not_broken(result: dict[str, Any], path: str, error: str) -> None:
    found = check(result, path)
    assert (found.state, found.error) == ("unverified", error)


@pytest.mark.parametrize(
    "path",
    [
        "/ratelimit/home/1",  # 429 with Retry-After, then 200
        "/flaky/quick/2",  # 503 twice, then 200 within the backoff retries
        "/flaky/slowheal/3",  # 503 until the confirmation re-check
        "/head405/report.pdf",  # HEAD refused, GET fine
        "/redirect-chain/0",  # 301 -> 302 -> 200
        "/slow/2",  # slow but within DOWNLOAD_TIMEOUT
        "/files/notice.pdf",
        "/images/logo.gif",
        "/style.css",
        "/about.html",
        "/other/x.html",  # resolved against <base href>
    ],
)
def test_decoys_are_ok(result: dict[str, Any], path: str) -> None:
    assert check(result, path).state == "ok"


def test_no_decoy_becomes_a_broken_link_finding(result: dict[str, Any]) -> None:
    broken = {f.url.removeprefix(result["site"].base) for f in result["findings"] if f.kind == "broken_link"}
    decoys = {"/ratelimit/home/1", "/flaky/quick/2", "/flaky/slowheal/3", "/head405/report.pdf", "/slow/2"}
    assert not broken & decoys
    assert "/missing.html" in broken


def test_ignored_schemes_are_not_targets(result: dict[str, Any]) -> None:
    assert not [u for u in result["checks"] if u.split(":", 1)[0] not in ("http", "https")]
    assert not [u for u in result["checks"] if u.endswith("#")]


def test_chinese_paths_raw_and_encoded_are_one_target(result: dict[str, Any]) -> None:
    chinese = [u for u in result["checks"] if "%E4%B8%AD%E6%96%87" in u]
    assert len(chinese) == 1
    assert result["checks"][chinese[0]].state == "ok"


def test_gbk_page_is_decoded(result: dict[str, Any]) -> None:
    assert check(result, "/gbk-missing.html").link_text == "GBK页面上的失效链接"


def test_target_checked_once_with_every_source_kept(result: dict[str, Any]) -> None:
    site = result["site"]
    missing = check(result, "/missing.html")
    assert missing.source_count == 2
    assert set(missing.sources) == {site.url("/index.html"), site.url("/about.html")}
    # one first check (a GET, as it was crawled as a page) and one confirmation re-check
    assert site.hits[("GET", "/missing.html")] == 2


def test_homepage_links_are_marked(result: dict[str, Any]) -> None:
    assert check(result, "/missing.html").on_homepage
    assert not check(result, "/gbk-missing.html").on_homepage


@pytest_twisted.inlineCallbacks
def test_private_targets_are_not_fetched_when_disallowed(
    db_url: str, external_site: SiteServer, tmp_path: Path
) -> Any:
    private = external_site.url("/ok.html")  # another host:port on loopback: not the site's own
    (tmp_path / "index.html").write_text(
        f'<a href="{private}">内网</a><a href="/own.html">本站</a>', encoding="utf-8"
    )
    (tmp_path / "own.html").write_text("<p>本站页面</p>", encoding="utf-8")
    external_site.reset()
    with SiteServer(tmp_path) as home:
        register_site(db_url, CODE, home.url("/index.html"))
        crawler = get_crawler(PortalSpider, test_settings(db_url, GOVHEALTH_ALLOW_PRIVATE_TARGETS=False))
        yield crawler.crawl(code=CODE)
        checks = load(db_url)["checks"]
        assert checks[home.url("/own.html")].state == "ok", "the registered site's own host is always fetched"
    found = checks[private]
    assert (found.state, found.error, found.attempts) == ("unverified", "private_address", 1)
    assert not external_site.hits


def test_external_links_are_checked_not_crawled(result: dict[str, Any]) -> None:
    external = {u: c for u, c in result["checks"].items() if c.external}
    states = {u.rsplit("/", 1)[-1]: c.state for u, c in external.items() if "127.0.0.1" in u}
    assert states == {"x.html": "ok", "gone.html": "broken"}


def test_findings_carry_evidence(result: dict[str, Any]) -> None:
    finding = next(f for f in result["findings"] if f.url.endswith("/missing.html"))
    assert finding.kind == "broken_link"
    assert finding.status == 404
    assert finding.link_text == "一个不存在的页面"
    assert finding.source_url == result["site"].url("/index.html")
    assert finding.resource_type == "page"
    assert finding.fingerprint


def test_unverified_links_are_separate_findings(result: dict[str, Any]) -> None:
    kinds = {f.url.rsplit("/", 1)[-1]: f.kind for f in result["findings"] if "/gate/" in f.url}
    assert kinds == {"ruishu": "unverified_link", "jsl": "unverified_link", "waf": "unverified_link"}


def test_run_is_recorded_complete_with_stats(result: dict[str, Any]) -> None:
    (run,) = result["runs"]
    assert run.status == "complete"
    assert run.budget_hit is None
    assert run.broken == sum(1 for c in result["checks"].values() if c.state == "broken")
    assert run.pages >= 6
    assert run.finished_at is not None


@pytest_twisted.inlineCallbacks
def test_page_budget_cuts_the_run_short(db_url: str, site: SiteServer) -> Any:
    register_site(db_url, CODE, site.url("/index.html"))
    crawler = get_crawler(PortalSpider, test_settings(db_url))
    yield crawler.crawl(code=CODE, max_pages="2")
    (run,) = load(db_url)["runs"]
    assert (run.status, run.budget_hit) == ("incomplete", "max_pages")
    assert 1 <= run.pages <= 2


@pytest_twisted.inlineCallbacks
def test_timeout_is_broken(db_url: str, site: SiteServer, tmp_path: Path) -> Any:
    (tmp_path / "index.html").write_text(f'<a href="{site.url("/slow/3")}">慢</a>', encoding="utf-8")
    with SiteServer(tmp_path) as home:
        register_site(db_url, CODE, home.url("/index.html"))
        crawler = get_crawler(PortalSpider, test_settings(db_url, DOWNLOAD_TIMEOUT=1, RETRY_TIMES=0))
        yield crawler.crawl(code=CODE)
    found = load(db_url)["checks"][site.url("/slow/3")]
    assert (found.state, found.error) == ("broken", "timeout")


@pytest_twisted.inlineCallbacks
def test_unreachable_homepage_still_records_the_run(db_url: str) -> Any:
    register_site(db_url, CODE, "http://127.0.0.1:9/index.html")
    crawler = get_crawler(PortalSpider, test_settings(db_url))
    yield crawler.crawl(code=CODE)
    data = load(db_url)
    (run,) = data["runs"]
    assert run.finished_at is not None
    assert [(f.kind, f.error) for f in data["findings"]] == [("site_unreachable", "connection_refused")]


@pytest_twisted.inlineCallbacks
def test_endless_page_is_cut_not_hung(db_url: str, site: SiteServer) -> Any:
    register_site(db_url, CODE, site.url("/endless"))
    crawler = get_crawler(PortalSpider, test_settings(db_url, GOVHEALTH_MAX_PAGE_BYTES=200_000))
    yield crawler.crawl(code=CODE)
    assert crawler.stats.get_value("govhealth/pages_truncated") == 1
    (run,) = load(db_url)["runs"]
    assert run.pages == 1


@pytest_twisted.inlineCallbacks
@pytest.mark.parametrize("obey", [False, True])
def test_robots_crawl_delay_always_disallow_only_when_asked(db_url: str, tmp_path: Path, obey: bool) -> Any:
    (tmp_path / "robots.txt").write_text(
        "User-agent: *\nCrawl-delay: 0.2\nDisallow: /private/\n", encoding="utf-8"
    )
    (tmp_path / "index.html").write_text('<a href="/private/p.html">内部</a>', encoding="utf-8")
    (tmp_path / "private").mkdir()
    (tmp_path / "private" / "p.html").write_text("<p>内部页面</p>", encoding="utf-8")
    with SiteServer(tmp_path) as home:
        register_site(db_url, CODE, home.url("/index.html"))
        crawler = get_crawler(
            PortalSpider,
            test_settings(
                db_url, GOVHEALTH_OBEY_ROBOTS=obey, GOVHEALTH_CONTACT_URL="https://inspect.example/contact"
            ),
        )
        yield crawler.crawl(code=CODE)
        check = load(db_url)["checks"][home.url("/private/p.html")]
        fetched = home.hits[("GET", "/private/p.html")]
        agents = set(home.user_agents)
    assert crawler.stats.get_value("govhealth/robots/crawl_delay") == 0.2
    assert agents == {
        "govhealth/0.1 (+https://inspect.example/contact; government website health inspection)"
    }
    if obey:
        assert (check.state, check.error, fetched) == ("unverified", "robots_disallowed", 0)
    else:
        assert (check.state, fetched) == ("ok", 1)


@pytest_twisted.inlineCallbacks
def test_depth_budget_checks_but_does_not_crawl_deeper_pages(db_url: str, tmp_path: Path) -> Any:
    (tmp_path / "index.html").write_text('<a href="/d1.html">一</a>', encoding="utf-8")
    (tmp_path / "d1.html").write_text('<a href="/d2.html">二</a>', encoding="utf-8")
    (tmp_path / "d2.html").write_text('<a href="/d3-missing.html">三</a>', encoding="utf-8")
    with SiteServer(tmp_path) as home:
        register_site(db_url, CODE, home.url("/index.html"))
        crawler = get_crawler(PortalSpider, test_settings(db_url, GOVHEALTH_MAX_DEPTH=1))
        yield crawler.crawl(code=CODE)
        data = load(db_url)
        assert data["checks"][home.url("/d2.html")].state == "ok", (
            "a page beyond the depth budget is still checked"
        )
        assert home.url("/d3-missing.html") not in data["checks"], "but not crawled"
    (run,) = data["runs"]
    assert (run.status, run.budget_hit) == ("incomplete", "max_depth")


@pytest_twisted.inlineCallbacks
def test_time_budget_stops_the_run_and_keeps_what_was_checked(
    db_url: str, site: SiteServer, tmp_path: Path
) -> Any:
    links = "".join(f'<a href="{site.url(f"/slow/{4 + n}")}">慢{n}</a>' for n in range(3))
    (tmp_path / "index.html").write_text(f'<a href="/gone.html">失效</a>{links}', encoding="utf-8")
    with SiteServer(tmp_path) as home:
        register_site(db_url, CODE, home.url("/index.html"))
        crawler = get_crawler(
            PortalSpider, test_settings(db_url, GOVHEALTH_MAX_SECONDS=2, DOWNLOAD_TIMEOUT=10)
        )
        yield crawler.crawl(code=CODE)
        data = load(db_url)
    (run,) = data["runs"]
    assert (run.status, run.budget_hit, run.close_reason) == (
        "incomplete",
        "max_seconds",
        "govhealth_max_seconds",
    )
    gone = data["checks"][home.url("/gone.html")]
    # its confirmation re-check could not run before the budget ended: unverified, never broken
    assert (gone.state, gone.error) == ("unverified", "unconfirmed")
    assert not [f for f in data["findings"] if f.kind == "broken_link"]


def test_every_finding_is_proven_by_its_archived_exchange(result: dict[str, Any]) -> None:
    """broken (HTTP errors, soft-404s, DNS, refused, timeouts) and unverified (gates): each has its record."""
    kinds = assert_every_finding_proven(result["findings"], evidence_dir(result["db_url"]))
    assert kinds >= {"broken_link", "unverified_link"}
    dns = next(f for f in result["findings"] if f.error == "dns")
    record, _ = proving_record(dns, evidence_dir(result["db_url"]))
    assert record.record_type == "metadata"
    assert b"error: dns" in record.payload


def test_a_broken_link_archives_its_check_and_its_recheck(result: dict[str, Any]) -> None:
    finding = next(f for f in result["findings"] if f.url.endswith("/missing.html"))
    record, records = proving_record(finding, evidence_dir(result["db_url"]))
    answers = [r for r in records.values() if r.record_type == "response" and r.target_uri == finding.url]
    assert len(answers) == 2  # the failing check and its confirmation re-check
    assert record is max(answers, key=lambda r: r.date)  # the re-check proves the verdict
    assert record.http_status_line == "HTTP/1.1 404 Not Found"
    requests = [
        r for r in records.values() if r.record_type == "request" and r.concurrent_to == record.record_id
    ]
    assert len(requests) == 1 and requests[0].http_status_line.startswith("GET /missing.html")


def test_pages_that_prove_nothing_are_not_archived(result: dict[str, Any]) -> None:
    """Every archived answer is a finding's (its target, or where its redirect led) or a broken link's source."""
    (run,) = result["runs"]
    records = records_of(evidence_dir(result["db_url"]) / CODE / f"{run.id}.warc.gz")
    findings = result["findings"]
    wanted = {f.url for f in findings} | {f.source_url for f in findings if f.source_url}
    responses = [r for r in records.values() if r.record_type == "response"]
    unexplained = [r.target_uri for r in responses if not any(is_about(r, url) for url in wanted)]
    assert unexplained == []
    fine = {url for url, check in result["checks"].items() if check.state == "ok" and url not in wanted}
    assert fine, "the test site has good pages"
    direct = {r.target_uri for r in responses if "Govhealth-Requested-URI" not in dict(r.headers)}
    assert not fine & direct  # ("/" is archived only as where a soft-404 redirect landed)
    assert result["stats"]["govhealth/evidence/records"] == len(records)


@pytest.mark.parametrize(
    ("path", "shows"),
    [
        ("/missing.html", ["response record", "> GET /missing.html HTTP/1.1", "< HTTP/1.1 404 Not Found"]),
        ("http://dns-failure.invalid/page.html", ["metadata record", "error: dns"]),
    ],
)
def test_scrapy_evidence_prints_the_proving_exchange(
    result: dict[str, Any], path: str, shows: list[str]
) -> None:
    url = path if path.startswith("http") else result["site"].url(path)
    done = scrapy("evidence", "--code", CODE, "--url", url, db_url=result["db_url"])
    assert done.returncode == 0, done.stderr
    for text in [*shows, "(verified)", "sha256:"]:
        assert text in done.stdout
    assert "the page carrying the link" in done.stdout


def test_scrapy_evidence_writes_the_payload(result: dict[str, Any], tmp_path: Path) -> None:
    out = tmp_path / "proof.html"
    url = result["site"].url("/missing.html")
    done = scrapy("evidence", "--code", CODE, "--url", url, "-o", str(out), db_url=result["db_url"])
    assert done.returncode == 0, done.stderr
    finding = next(f for f in result["findings"] if f.url == url)
    assert "sha256:" + hashlib.sha256(out.read_bytes()).hexdigest() == finding.evidence_digest


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (["--url", "http://nowhere.example/"], "no finding with URL http://nowhere.example/"),
        (["--url", "http://nowhere.example/", "--run", "99"], "in run 99"),
    ],
)
def test_scrapy_evidence_without_a_finding_is_one_error_line(
    result: dict[str, Any], args: list[str], error: str
) -> None:
    done = scrapy("evidence", "--code", CODE, *args, db_url=result["db_url"])
    assert done.returncode == 1
    assert done.stderr.strip().count("\n") == 0 and error in done.stderr


def test_scrapy_evidence_notices_an_altered_archive(result: dict[str, Any], tmp_path: Path) -> None:
    """The stored digest is checked against the archive: an edited proof is refused, not shown."""
    (run,) = result["runs"]
    original = evidence_dir(result["db_url"]) / CODE / f"{run.id}.warc.gz"
    copy = tmp_path / "evidence" / CODE / original.name
    copy.parent.mkdir(parents=True)
    records = list(read_records(original))
    url = result["site"].url("/missing.html")
    finding = next(f for f in result["findings"] if f.url == url)
    with ArchiveWriter(copy) as archive:  # the same record IDs, one payload changed
        for record in records:
            if record.record_id == finding.evidence_record:
                forged = b"HTTP/1.1 200 OK\r\nContent-Length: 8\r\n\r\nall fine"
                archive.writer.write_record(
                    archive.writer.create_warc_record(
                        record.target_uri,
                        "response",
                        payload=BytesIO(forged),
                        length=len(forged),
                        warc_headers_dict={"WARC-Record-ID": record.record_id},
                    )
                )
    env = {"GOVHEALTH_EVIDENCE_DIR": str(tmp_path / "evidence")}
    done = scrapy("evidence", "--code", CODE, "--url", url, db_url=result["db_url"], env_extra=env)
    assert done.returncode == 1
    assert "the archive was altered" in done.stderr
