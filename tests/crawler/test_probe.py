"""`scrapy probe`: one timed GET per enabled homepage, stored for the 7-day availability ratio and its veto."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from threading import Thread
from typing import Any

import pytest
from scrapy.settings import Settings
from sqlalchemy import select, update

from crawler.config import as_of_date
from crawler.demo.server import SiteServer
from crawler.spiders.probe import ProbeConfig
from models.probe import Probe
from models.session import make_sessionmaker, open_database
from models.site import Site
from pipelines.rules.scoring import ProbeStats
from pipelines.scorecards import probe_stats
from tests.conftest import register_site
from tests.crawler.test_commands import scrapy

OK, ERR, SLOW, OFF = "4510000001", "4510000002", "4510000003", "4510000004"
SUMMARY = re.compile(r"^probed (\d+) homepages: (\d+) ok, (\d+) failed \(p50 (\d+) ms, max (\d+) ms\)$")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SiteServer]:
    root = tmp_path_factory.mktemp("probe-site")
    (root / "index.html").write_text(
        "<html><head><meta charset='utf-8'><title>首页</title></head></html>", "utf-8"
    )
    with SiteServer(root) as site:
        yield site


def probes(db_url: str) -> dict[str, Probe]:
    """The stored probes by site code (one pass: one probe per site)."""
    engine = open_database(db_url)
    try:
        with make_sessionmaker(engine)() as session:
            return dict(session.execute(select(Site.code, Probe).join(Probe, Probe.site_id == Site.id)).all())
    finally:
        engine.dispose()


def disable(db_url: str, code: str) -> None:
    engine = open_database(db_url)
    try:
        with make_sessionmaker(engine).begin() as session:
            session.execute(update(Site).where(Site.code == code).values(enabled=False))
    finally:
        engine.dispose()


def register(db_url: str, server: SiteServer, **paths: str) -> None:
    for code, path in paths.items():
        register_site(
            db_url, code, server.url(path) if path.startswith("/") else path, name=f"{code[-1]}号县人民政府"
        )


def test_pass_stores_one_probe_per_enabled_site(any_db_url: str, server: SiteServer) -> None:
    register(
        any_db_url, server, **{OK: "/index.html", ERR: "/status/500", SLOW: "/slow/3", OFF: "/index.html"}
    )
    disable(any_db_url, OFF)
    before = datetime.now(UTC)
    done = scrapy("probe", "-s", "GOVHEALTH_PROBE_TIMEOUT=1", db_url=any_db_url)
    assert done.returncode == 0, done.stderr  # failing sites are data, not an error
    stored = probes(any_db_url)
    assert set(stored) == {OK, ERR, SLOW}  # the disabled site is not probed
    assert [(stored[c].ok, stored[c].status, stored[c].error) for c in (OK, ERR, SLOW)] == [
        (True, 200, None),
        (False, 500, "http_error"),
        (False, None, "timeout"),
    ]
    assert all(before <= p.at <= datetime.now(UTC) for p in stored.values())
    assert max(stored[OK].elapsed_ms, stored[ERR].elapsed_ms) < 1000
    assert 950 <= stored[SLOW].elapsed_ms < 2000  # stopped at the 1 s budget, not at the server's 3 s
    lines = done.stdout.splitlines()
    summary = SUMMARY.match(lines[0])
    assert summary
    assert summary.groups()[:3] == ("3", "1", "2")
    assert int(summary[5]) == max(p.elapsed_ms for p in stored.values())
    assert lines[1:] == [f"  {ERR} 2号县人民政府: http_error (HTTP 500)", f"  {SLOW} 3号县人民政府: timeout"]
    assert "Traceback" not in done.stderr


def test_outcomes(db_url: str, server: SiteServer) -> None:
    """Redirects are followed; a gate's answer is ok but noted; transport failures get their error code."""
    register(
        db_url,
        server,
        **{
            "4510000011": "/redirect-chain/0",
            "4510000012": "/gate/ruishu",
            "4510000013": "/gate/jsl",
            "4510000014": "/status/404",
            "4510000015": "/reset",
            "4510000016": "/loop",
            "4510000017": "http://127.0.0.1:1/",
            "4510000018": "http://no-such-host.gov.cn.example/",
        },
    )
    server.reset()
    done = scrapy("probe", "-s", "DNS_RESOLVER=tests.resolver.LoopbackOnlyResolver", db_url=db_url)
    assert done.returncode == 0, done.stderr
    got = {code: (p.ok, p.status, p.error) for code, p in probes(db_url).items()}
    assert got == {
        "4510000011": (True, 200, None),
        "4510000012": (True, 412, "anti_bot_gate"),
        "4510000013": (True, 521, "anti_bot_gate"),
        "4510000014": (False, 404, "http_error"),
        "4510000015": (False, None, "connection_reset"),
        "4510000016": (False, None, "redirect_loop"),
        "4510000017": (False, None, "connection_refused"),
        "4510000018": (False, None, "dns"),
    }
    summary = SUMMARY.match(done.stdout.splitlines()[0])
    assert summary
    assert summary.groups()[1:3] == ("3", "5")
    assert server.hits[("GET", "/status/404")] == 1  # no retries
    assert server.hits[("GET", "/redirect-chain/2")] == 1


class TwoSlowHops(BaseHTTPRequestHandler):
    """/ waits 0.6 s and redirects to /next, which waits 0.6 s and answers: each hop fits 1 s, both do not."""

    def do_GET(self) -> None:
        time.sleep(0.6)
        self.send_response(302 if self.path == "/" else 200)
        self.send_header("Location", "/next")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


def test_budget_covers_the_whole_redirect_chain(db_url: str) -> None:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), TwoSlowHops)
    Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        register_site(db_url, "4510000021", f"http://127.0.0.1:{httpd.server_address[1]}/")
        done = scrapy("probe", "-s", "GOVHEALTH_PROBE_TIMEOUT=1", db_url=db_url)
    finally:
        httpd.shutdown()
        httpd.server_close()
    assert done.returncode == 0, done.stderr
    probe = probes(db_url)["4510000021"]
    assert (probe.ok, probe.error) == (False, "timeout")
    assert 950 <= probe.elapsed_ms < 1500


def test_codes_and_level_filters(db_url: str, server: SiteServer) -> None:
    register(db_url, server, **{OK: "/index.html", ERR: "/status/500"})
    done = scrapy("probe", "--codes", OK, "--level", "county", db_url=db_url)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("probed 1 homepages: 1 ok, 0 failed")
    assert set(probes(db_url)) == {OK}


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("--codes", f"{OK},4599999999"), "error: unknown or disabled site codes: 4599999999"),
        (("--level", "city"), "error: no enabled sites to probe"),
    ],
)
def test_nothing_to_probe_is_one_clear_error(
    db_url: str, server: SiteServer, args: tuple[str, ...], expected: str
) -> None:
    register(db_url, server, **{OK: "/index.html"})
    done = scrapy("probe", *args, db_url=db_url)
    assert done.returncode == 1
    assert done.stderr.strip().splitlines()[0].startswith(expected)
    assert probes(db_url) == {}


@pytest.mark.parametrize(
    ("values", "expected"),
    [({}, 15.0), ({"GOVHEALTH_PROBE_TIMEOUT": "2.5"}, 2.5), ({"GOVHEALTH_PROBE_TIMEOUT": 30}, 30.0)],
)
def test_config(values: dict[str, Any], expected: float, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GOVHEALTH_PROBE_TIMEOUT", raising=False)
    assert ProbeConfig.from_settings(Settings(values)).timeout == expected


def test_config_reads_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOVHEALTH_PROBE_TIMEOUT", "7")
    assert ProbeConfig.from_settings(Settings()).timeout == 7.0


@pytest.mark.parametrize("value", ["0", "-1", "abc", "nan", "inf"])
def test_bad_timeout_is_refused(value: str, db_url: str) -> None:
    with pytest.raises(ValueError, match="GOVHEALTH_PROBE_TIMEOUT"):
        ProbeConfig.from_settings(Settings({"GOVHEALTH_PROBE_TIMEOUT": value}))
    if value == "0":
        done = scrapy("probe", "-s", f"GOVHEALTH_PROBE_TIMEOUT={value}", db_url=db_url)
        assert done.returncode == 2
        assert "GOVHEALTH_PROBE_TIMEOUT must be a number of seconds > 0" in done.stderr
        assert "Traceback" not in done.stderr


def test_unreachable_database_is_one_clear_error() -> None:
    done = scrapy("probe", db_url="postgresql+psycopg://gov:pw@127.0.0.1:1/gov")
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [done.stderr.strip()]
    assert done.stderr.startswith("error: cannot reach database postgresql+psycopg://gov:***@")


def test_probe_stats_of_a_pass(db_url: str, server: SiteServer) -> None:
    register(db_url, server, **{OK: "/index.html", ERR: "/status/503"})
    for _ in range(2):
        assert scrapy("probe", db_url=db_url).returncode == 0
    engine = open_database(db_url)
    try:
        with make_sessionmaker(engine)() as session:
            ids = dict(session.execute(select(Site.code, Site.id)).all())
            today = as_of_date(Settings())
            assert probe_stats(session, ids[OK], today) == ProbeStats(2, 0)
            assert probe_stats(session, ids[ERR], today) == ProbeStats(2, 2)
            assert probe_stats(session, ids[ERR], today - timedelta(days=8)) is None
    finally:
        engine.dispose()


AS_OF = date(2026, 11, 20)


def seed_week(db_url: str, code: str, failed: int, per_day: int = 20) -> None:
    """A week of probes ending on AS_OF, ``per_day`` a day, the first ``failed`` of them failed."""
    engine = open_database(db_url)
    try:
        with make_sessionmaker(engine).begin() as session:
            site_id = session.scalars(select(Site.id).where(Site.code == code)).one()
            start = datetime(AS_OF.year, AS_OF.month, AS_OF.day, tzinfo=UTC) - timedelta(days=6)
            times = [start + timedelta(days=d, minutes=72 * i) for d in range(7) for i in range(per_day)]
            session.add_all(
                Probe(
                    site_id=site_id,
                    at=at,
                    ok=n >= failed,
                    status=200 if n >= failed else None,
                    elapsed_ms=15000 if n < failed else 300,
                    error="timeout" if n < failed else None,
                )
                for n, at in enumerate(times)
            )
    finally:
        engine.dispose()


def test_failure_ratio_vetoes_at_five_percent(db_url: str) -> None:
    codes = {"4510000031": 7, "4510000032": 6, "4510000033": 0}  # 7/140 = 5.0 %, 6/140 = 4.3 %, none
    for code, failed in codes.items():
        register_site(db_url, code, f"http://{code}.gov.cn.example/")
        seed_week(db_url, code, failed)
    done = scrapy("score", "--format", "json", "-s", f"GOVHEALTH_AS_OF={AS_OF}", db_url=db_url)
    assert done.returncode == 0, done.stderr
    cards = {card["site_code"]: card for card in json.loads(done.stdout)}
    lines = {code: {r["id"]: r for r in card["rules"]} for code, card in cards.items()}
    assert "site_unreachable" in cards["4510000031"]["vetoes"]
    assert lines["4510000031"]["site_unreachable"]["value"] == pytest.approx(0.05)
    assert "site_unreachable" not in cards["4510000032"]["vetoes"]
    assert lines["4510000032"]["homepage_availability"]["deduction"] > 0  # below the veto line, above 1 %
    assert not lines["4510000033"]["site_unreachable"]["veto"]
    assert lines["4510000033"]["homepage_availability"]["deduction"] == 0


def test_scrapy_probe_is_listed(db_url: str) -> None:
    done = scrapy("-h", db_url=db_url)
    assert re.search(r"^\s+probe\s+Time one GET", done.stdout, re.MULTILINE)


def test_module_docstring_documents_the_gate_decision() -> None:
    source = Path(__file__).resolve().parents[2] / "crawler" / "commands" / "probe.py"
    assert "anti_bot_gate" in source.read_text("utf-8").split('"""')[1]
