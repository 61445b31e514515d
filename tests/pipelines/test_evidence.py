"""The evidence archive's parts without a crawl: spool, WARC writer, proof planning, retention, the pipeline."""

from __future__ import annotations

import gzip
import hashlib
import os
import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from scrapy import Request, Spider
from scrapy.exceptions import NotConfigured
from scrapy.http import HtmlResponse
from scrapy.settings import Settings
from scrapy.utils.test import get_crawler
from twisted.internet.error import DNSLookupError
from twisted.python.failure import Failure

from crawler.evidence import EvidenceRecorder
from pipelines.evidence import (
    ArchiveWriter,
    EvidenceConfig,
    Exchange,
    Spool,
    SpoolFull,
    plan_proofs,
    prune_archives,
    read_records,
)
from pipelines.evidence.pipeline import EvidencePipeline
from pipelines.evidence.show import describe_record, printable
from pipelines.items import ColumnItem, CrawlEndItem, HomepageItem, LinkItem
from pipelines.rules.kinds import LinkState, ResourceType
from pipelines.rules.links import Verdict
from pipelines.settings import SettingsError

WHEN = datetime(2026, 12, 1, 2, 3, 4, tzinfo=UTC)
PAGE = "http://www.example.gov.cn/index.html"
GONE = "http://www.example.gov.cn/gone.html"


def answer(url: str = GONE, status: int = 404, body: bytes = b"<h1>404</h1>", **extra: Any) -> Exchange:
    return Exchange(
        url=url,
        method="GET",
        started=WHEN,
        request_headers=(("User-Agent", "govhealth/test"),),
        elapsed=0.25,
        final_url=extra.pop("final_url", url),
        status=status,
        response_headers=(("Content-Type", "text/html; charset=utf-8"), ("Content-Encoding", "gzip")),
        body=body,
        **extra,
    )


def dns_failure(url: str = "http://nx.example/") -> Exchange:
    return Exchange(url=url, method="HEAD", started=WHEN, elapsed=0.01, error="dns", message="no such host")


# -- spool -----------------------------------------------------------------------------------------------


def test_spool_gives_back_what_it_kept_and_refuses_past_its_cap() -> None:
    spool = Spool(max_bytes=4096)
    first, second = spool.add(answer()), spool.add(dns_failure())
    assert (first, second) == (0, 1)
    assert spool.get(1) == dns_failure()
    assert spool.get(0).body == b"<h1>404</h1>"
    with pytest.raises(SpoolFull):
        spool.add(answer(body=b"x" * 5000))
    assert spool.get(0) == answer()  # a refused exchange does not disturb the kept ones
    spool.close()


# -- the WARC writer --------------------------------------------------------------------------------------


def test_a_response_becomes_a_response_and_a_request_record_with_sha256_digests(tmp_path: Path) -> None:
    path = tmp_path / "4510000031" / "7.warc.gz"
    with ArchiveWriter(path) as archive:
        info = archive.warcinfo({"software": "govhealth/test"})
        written = archive.exchange(answer(body=b"A" * 100, truncated=True))
    assert not path.with_name("7.warc.gz.part").exists()
    records = list(read_records(path))
    assert [r.record_type for r in records] == ["warcinfo", "response", "request"]
    assert records[0].record_id == info.record_id
    response, request = records[1], records[2]
    assert response.record_id == written.record_id
    assert written.digest == "sha256:" + hashlib.sha256(b"A" * 100).hexdigest()
    assert dict(response.headers)["WARC-Payload-Digest"] == written.digest
    assert response.truncated == "length"
    assert response.payload == b"A" * 100
    assert response.http_status_line == "HTTP/1.1 404 Not Found"
    # the stored body is decoded: the original encoding is named, not applied again by readers
    assert ("X-Archive-Orig-Content-Encoding", "gzip") in response.http_headers
    assert ("Content-Length", "100") in response.http_headers
    assert request.concurrent_to == response.record_id
    assert request.http_status_line == "GET /gone.html HTTP/1.1"
    assert ("Host", "www.example.gov.cn") in request.http_headers
    with gzip.open(path, "rb") as whole:  # gzip per record: the file is a valid multi-member gzip stream
        assert whole.read().startswith(b"WARC/1.1\r\n")


def test_a_transport_failure_is_a_metadata_record(tmp_path: Path) -> None:
    path = tmp_path / "1.warc.gz"
    with ArchiveWriter(path) as archive:
        written = archive.exchange(dns_failure())
    (record,) = read_records(path)
    assert (record.record_type, record.target_uri, written.record_type) == (
        "metadata",
        "http://nx.example/",
        "metadata",
    )
    assert b"error: dns\r\n" in record.payload and b"message: no such host\r\n" in record.payload
    assert written.digest == "sha256:" + hashlib.sha256(record.payload).hexdigest()


def test_a_redirected_answer_names_the_requested_url(tmp_path: Path) -> None:
    path = tmp_path / "1.warc.gz"
    exchange = answer(url=GONE, status=200, final_url=PAGE, redirects=(GONE,))
    with ArchiveWriter(path) as archive:
        written = archive.exchange(exchange)
    response, _request, chain = read_records(path)
    assert response.target_uri == PAGE and dict(response.headers)["Govhealth-Requested-URI"] == GONE
    assert (chain.record_type, chain.target_uri) == ("metadata", GONE)
    assert dict(chain.headers)["WARC-Refers-To"] == written.record_id


def test_a_writer_that_fails_leaves_no_file(tmp_path: Path) -> None:
    path = tmp_path / "1.warc.gz"

    def write_then_fail() -> None:
        with ArchiveWriter(path) as archive:
            archive.exchange(answer())
            raise RuntimeError("disk gone")

    with pytest.raises(RuntimeError):
        write_then_fail()
    assert list(tmp_path.iterdir()) == []


def test_hostile_bytes_are_escaped_for_the_terminal(tmp_path: Path) -> None:
    path = tmp_path / "1.warc.gz"
    with ArchiveWriter(path) as archive:
        archive.exchange(answer(body="\x1b[2J\x1b]0;pwned\x07<p>页面不存在</p>".encode()))
    response, request = read_records(path)
    text = describe_record(response, request)
    assert "\x1b" not in text and "\x07" not in text
    assert "\\x1b[2J" in text and "页面不存在" in text
    assert printable("a\tb\nc\rd") == "a\tb\nc\\x0dd"


# -- which exchanges prove which finding ----------------------------------------------------------------


def link_item(url: str, evidence: tuple[int, ...], found_in: int | None) -> LinkItem:
    return LinkItem(
        url=url,
        resource_type=ResourceType.PAGE,
        internal=True,
        verdict=Verdict(LinkState.BROKEN, "http_error", "HTTP 404"),
        status=404,
        attempts=len(evidence),
        sources=(PAGE,),
        evidence=evidence,
        found_in=found_in,
    )


def column(url: str, evidence: list[int], *, top_level: bool = True) -> ColumnItem:
    return ColumnItem(url=url, name="通知公告", how="nav", top_level=top_level, evidence=evidence)


@pytest.mark.parametrize(
    ("finding", "refs", "proving"),
    [
        ({"kind": "broken_link", "url": GONE}, [3, 7, 0], 7),  # check, re-check, the page carrying it
        ({"kind": "site_unreachable", "url": PAGE}, [1, 2], 2),
        ({"kind": "blank_column", "url": "http://www.example.gov.cn/ghjh/"}, [4, 5], 4),
        ({"kind": "stale_column", "url": "http://www.example.gov.cn/tzgg/"}, [6], 6),
        ({"kind": "homepage_stale", "url": PAGE}, [0, 4, 6], 0),  # the homepage and its columns' lists
        ({"kind": "unverified_column", "url": PAGE}, [0, 4, 6], 0),  # a homepage without any date
    ],
)
def test_each_finding_kind_is_proven_by_its_own_exchanges(
    finding: dict[str, Any], refs: list[int], proving: int
) -> None:
    links = {GONE: link_item(GONE, (3, 7), 0), PAGE: link_item(PAGE, (1, 2), None)}
    columns = {
        "http://www.example.gov.cn/ghjh/": column("http://www.example.gov.cn/ghjh/", [4, 5]),
        "http://www.example.gov.cn/tzgg/": column("http://www.example.gov.cn/tzgg/", [6]),
        "http://www.example.gov.cn/sub/": column("http://www.example.gov.cn/sub/", [8], top_level=False),
    }
    (proof,) = plan_proofs([finding], links, columns, (0,))
    assert (proof.refs, proof.proving, proof.note) == (refs, proving, None)


def test_a_verdict_no_exchange_of_the_run_proves_is_explained() -> None:
    shared = link_item(GONE, (), 5)  # the link cache answered: another crawl checked it
    (proof,) = plan_proofs(
        [{"kind": "broken_link", "url": GONE, "error": "http_error"}], {GONE: shared}, {}, ()
    )
    assert (proof.refs, proof.proving) == ([5], None)
    assert proof.note is not None and "link cache" in proof.note["explanation"]


# -- retention and settings ------------------------------------------------------------------------------


def test_archives_older_than_the_retention_are_deleted(tmp_path: Path) -> None:
    now = time.time()
    old, new, torn = (tmp_path / "4510000031" / name for name in ("1.warc.gz", "2.warc.gz", "3.warc.gz.part"))
    for path, days in ((old, 401), (new, 399), (torn, 2)):
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(b"x")
        os.utime(path, (now - days * 86400, now - days * 86400))
    assert sorted(prune_archives(tmp_path, 400, now)) == sorted([old, torn])
    assert [p.name for p in (tmp_path / "4510000031").iterdir()] == ["2.warc.gz"]
    assert prune_archives(tmp_path / "none", 400) == []


@pytest.mark.parametrize(
    "name", ["GOVHEALTH_EVIDENCE_DAYS", "GOVHEALTH_EVIDENCE_MAX_BYTES", "GOVHEALTH_EVIDENCE_PAGE_BYTES"]
)
def test_a_wrong_evidence_setting_names_itself(name: str) -> None:
    with pytest.raises(SettingsError, match=name):
        EvidenceConfig.from_settings(Settings({name: "0"}))


def test_defaults_follow_the_contract() -> None:
    config = EvidenceConfig.from_settings(Settings())
    assert (config.enabled, config.directory, config.days, config.check_bytes) == (
        True,
        Path("evidence"),
        400,
        64 * 1024,
    )
    assert config.archive_path("4510000031", 12) == Path("evidence/4510000031/12.warc.gz")


# -- the recorder (crawler side) and the pipeline --------------------------------------------------------


def recorder_for(**settings: Any) -> EvidenceRecorder:
    extensions = {"crawler.budgets.CrawlBudget": 10, "crawler.evidence.EvidenceRecorder": 50}
    crawler = get_crawler(
        Spider, {"EXTENSIONS": extensions, "GOVHEALTH_EVIDENCE_PAGE_BYTES": 1000, **settings}
    )
    crawler.stats.open_spider()
    recorder = EvidenceRecorder.of(crawler)
    assert recorder is not None
    return recorder


def test_the_recorder_cuts_bodies_at_their_caps_and_keeps_failures() -> None:
    recorder = recorder_for(GOVHEALTH_EVIDENCE_MAX_BYTES=100)
    request = Request(GONE, meta={"govhealth_target": GONE, "download_latency": 0.5})
    response = HtmlResponse(GONE, status=404, body=b"x" * 5000, request=request)
    page, check = recorder.response(response, page=True), recorder.response(response, page=False)
    assert page is not None and check is not None
    assert (len(recorder.spool.get(page).body), recorder.spool.get(page).truncated) == (1000, True)
    assert len(recorder.spool.get(check).body) == 100
    small = recorder.response(HtmlResponse(GONE, status=404, body=b"small", request=request), page=False)
    assert small is not None and not recorder.spool.get(small).truncated
    failed = recorder.failure(request, Failure(DNSLookupError("nx")), "dns")
    assert failed is not None
    kept = recorder.spool.get(failed)
    assert (kept.url, kept.error, kept.answered) == (GONE, "dns", False)
    recorder.engine_stopped()


def test_a_full_spool_keeps_nothing_more_and_names_the_limit() -> None:
    recorder = recorder_for(GOVHEALTH_EVIDENCE_SPOOL_BYTES=3000)
    request = Request(GONE)
    response = HtmlResponse(GONE, status=404, body=b"x" * 900, request=request)
    refs = [recorder.response(response, page=True) for _ in range(5)]
    assert refs[:2] == [0, 1] and refs[-1] is None
    assert recorder.crawler.stats.get_value("govhealth/limits/evidence_spool") == 1
    recorder.engine_stopped()


def test_evidence_off_means_no_recorder_and_no_pipeline() -> None:
    crawler = get_crawler(Spider, {"GOVHEALTH_EVIDENCE": "False"})
    with pytest.raises(NotConfigured):
        EvidencePipeline.from_crawler(crawler)
    with pytest.raises(NotConfigured):
        EvidenceRecorder.from_crawler(crawler)


def test_the_pipeline_archives_the_proof_and_points_each_finding_at_it(tmp_path: Path) -> None:
    crawler = get_crawler(Spider, {"GOVHEALTH_EVIDENCE_DIR": str(tmp_path), "GOVHEALTH_AS_OF": "2026-12-01"})
    crawler.stats.open_spider()
    crawler.stats.set_value("govhealth/run_id", 9)
    spool = Spool(10**6)
    home, check, recheck = (
        spool.add(answer(PAGE, 200, b"<a href='gone.html'>gone</a>")),
        spool.add(answer()),
        spool.add(answer()),
    )
    links = [link_item(GONE, (check, recheck), home)]
    findings: list[dict[str, Any]] = [
        {"kind": "broken_link", "url": GONE, "error": "http_error"},
        {"kind": "stale_column", "url": "http://www.example.gov.cn/unread/"},  # nothing read: no proof
    ]
    end = CrawlEndItem(1, "4510000031", "finished", findings=findings, links=links, spool=spool)
    end.homepage = HomepageItem(PAGE, True, date(2026, 11, 30), 3, (home,))
    EvidencePipeline.from_crawler(crawler).process_item(end)
    broken, stale = end.findings
    assert broken["evidence_file"] == "4510000031/9.warc.gz"
    records = {r.record_id: r for r in read_records(tmp_path / "4510000031" / "9.warc.gz")}
    proving = records[broken["evidence_record"]]
    assert proving.record_type == "response" and proving.date.startswith("2026-12-01T02:03:04")
    assert broken["evidence_digest"] == "sha256:" + hashlib.sha256(proving.payload).hexdigest()
    assert (stale["evidence_file"], stale["evidence_record"], stale["evidence_digest"]) == (None, None, None)
    kinds = sorted(r.record_type for r in records.values())
    assert kinds == ["request", "request", "request", "response", "response", "response", "warcinfo"]
    (info,) = [r for r in records.values() if r.record_type == "warcinfo"]
    assert b"govhealth-as-of: 2026-12-01" in info.payload and b"software: govhealth/" in info.payload
    spool.close()


def test_an_archive_that_cannot_be_written_loses_no_finding(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    crawler = get_crawler(Spider, {"GOVHEALTH_EVIDENCE_DIR": str(blocker)})
    crawler.stats.open_spider()
    crawler.stats.set_value("govhealth/run_id", 1)
    spool = Spool(10**6)
    ref = spool.add(answer())
    end = CrawlEndItem(
        1,
        "4510000031",
        "finished",
        findings=[{"kind": "broken_link", "url": GONE}],
        links=[link_item(GONE, (ref,), None)],
        spool=spool,
    )
    assert EvidencePipeline.from_crawler(crawler).process_item(end) is end
    assert end.findings == [
        {
            "kind": "broken_link",
            "url": GONE,
            "evidence_file": None,
            "evidence_record": None,
            "evidence_digest": None,
        }
    ]
    assert crawler.stats.get_value("govhealth/evidence/failed") == 1
    spool.close()
