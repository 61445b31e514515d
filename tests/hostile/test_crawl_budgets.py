"""Hostile whole sites: spider traps, hostile robots.txt, a homepage that redirects to the canary or hangs.

Each site is crawled as a subprocess (``scrapy crawl portal``), all of them started together; a budget a
site exhausts must be named in its run row.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest

from tests.hostile.conftest import (
    Launcher,
    assert_bounded,
    assert_canary_untouched,
    error_lines,
    serve,
)
from tests.hostile.server import Canary, HostileServer, page

pytestmark = pytest.mark.hostile

MAX_ROBOTS_BYTES = 100_000
CRAWL_DELAY_CAP = 2
HTML = "text/html; charset=utf-8"
SMALL_SITE = {
    "/index.html": (HTML, page("首页", '<a href="/a.html">甲</a> <a href="/b.html">乙</a>')),
    "/a.html": (HTML, page("甲", "<p>甲页</p>")),
    "/b.html": (HTML, page("乙", "<p>乙页</p>")),
}
TRAPS = {  # name -> (homepage path, settings, the budget that must stop it)
    "calendar": (
        "/trap/cal/?date=2026-01-15",
        {"GOVHEALTH_MAX_PAGES": "40", "GOVHEALTH_MAX_DEPTH": "100", "GOVHEALTH_MAX_TARGETS": "100000"},
        "max_pages",
    ),
    "deep": (
        "/trap/deep/",
        {"GOVHEALTH_MAX_PAGES": "100000", "GOVHEALTH_MAX_DEPTH": "6", "GOVHEALTH_MAX_TARGETS": "100000"},
        "max_depth",
    ),
    "session": (
        "/trap/sid/index.html",
        {"GOVHEALTH_MAX_PAGES": "100000", "GOVHEALTH_MAX_DEPTH": "100", "GOVHEALTH_MAX_TARGETS": "300"},
        "max_targets",
    ),
}
HOME_REDIRECTS = {  # name -> homepage path on the redirecting server (302 to the canary's IP, 307 to its name)
    "home-to-canary-ip": "/r/canary-ip-302/home.html",
    "home-to-canary-name": "/r/canary-name-307/home.html",
}
ALL = [*TRAPS, "robots-10mb", "robots-crawl-delay", *HOME_REDIRECTS, "hanging-homepage", "named-site"]


@pytest.fixture(scope="module")
def traps(canary: Canary) -> Iterator[HostileServer]:
    yield from serve(HostileServer("127.0.0.1", canary=canary))


@pytest.fixture(scope="module")
def robots_big(canary: Canary) -> Iterator[HostileServer]:
    yield from serve(HostileServer("127.0.0.1", pages=dict(SMALL_SITE), robots="big", canary=canary))


@pytest.fixture(scope="module")
def robots_delay(canary: Canary) -> Iterator[HostileServer]:
    yield from serve(HostileServer("127.0.0.1", pages=dict(SMALL_SITE), robots="delay", canary=canary))


@pytest.fixture(scope="module")
def redirecting(canary: Canary) -> Iterator[HostileServer]:
    """Homepages that redirect to the canary; its robots.txt redirects there too (by name)."""
    robots = f"http://canary.hostile.test:{canary.port}/robots.txt"
    yield from serve(HostileServer("127.0.0.1", robots=robots, canary=canary))


@pytest.fixture(scope="module")
def redirecting_ip(canary: Canary) -> Iterator[HostileServer]:
    """The same with robots.txt redirecting to the canary's address."""
    robots = f"http://127.0.0.2:{canary.port}/robots.txt"
    yield from serve(HostileServer("127.0.0.1", robots=robots, canary=canary))


@pytest.fixture(scope="module")
def named(canary: Canary) -> Iterator[HostileServer]:
    """A site registered by host name (site.hostile.test, 127.0.0.1) linking to itself by address too."""
    server = HostileServer("127.0.0.1", pages=dict(SMALL_SITE), canary=canary)
    extra = (
        f'<a href="http://127.0.0.1:{server.port}/a.html">同一服务器的地址</a>'
        f'<a href="http://canary.hostile.test:{canary.port}/named/x.html">金丝雀</a>'
    )
    server.pages["/index.html"] = (
        HTML,
        page("首页", '<a href="/a.html">甲</a> <a href="/b.html">乙</a>' + extra),
    )
    yield from serve(server)


@pytest.fixture(scope="module")
def hanging(canary: Canary) -> Iterator[HostileServer]:
    yield from serve(HostileServer("127.0.0.1", canary=canary))


@pytest.fixture(scope="module")
def sites(
    launcher: Launcher,
    traps: HostileServer,
    robots_big: HostileServer,
    robots_delay: HostileServer,
    redirecting: HostileServer,
    redirecting_ip: HostileServer,
    hanging: HostileServer,
    named: HostileServer,
) -> Launcher:
    """Every site of this module, crawled a few at a time from the first test on."""
    codes = iter(range(4500000101, 4500000200))
    for name, (path, settings, _) in TRAPS.items():
        launcher.start(name, str(next(codes)), traps.url(path), {"GOVHEALTH_MAX_SECONDS": "30", **settings})
    launcher.start(
        "robots-10mb",
        str(next(codes)),
        robots_big.url("/index.html"),
        {"GOVHEALTH_MAX_SECONDS": "20", "GOVHEALTH_MAX_ROBOTS_BYTES": str(MAX_ROBOTS_BYTES)},
    )
    launcher.start(
        "robots-crawl-delay",
        str(next(codes)),
        robots_delay.url("/index.html"),
        {"GOVHEALTH_MAX_SECONDS": "40", "GOVHEALTH_MAX_CRAWL_DELAY": str(CRAWL_DELAY_CAP)},
    )
    launcher.start(
        "home-to-canary-ip", str(next(codes)), redirecting_ip.url(HOME_REDIRECTS["home-to-canary-ip"]), {}
    )
    launcher.start(
        "home-to-canary-name", str(next(codes)), redirecting.url(HOME_REDIRECTS["home-to-canary-name"]), {}
    )
    launcher.start(
        "hanging-homepage",
        str(next(codes)),
        hanging.url("/hangall/index.html"),
        {"GOVHEALTH_MAX_SECONDS": "10", "DOWNLOAD_TIMEOUT": "100"},
    )
    launcher.start("named-site", str(next(codes)), f"http://site.hostile.test:{named.port}/index.html", {})
    return launcher


# -- every site --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ALL)
def test_site_crawl_ends_by_itself_within_time_and_memory(sites: Launcher, canary: Canary, name: str) -> None:
    result = sites.result(name)
    print(result.summary())  # noqa: T201 - with -rP: the measured time and memory of each crawl
    assert_bounded(result)
    assert_canary_untouched(canary)


@pytest.mark.parametrize("name", ALL)
def test_site_crawl_logs_no_error_or_traceback(sites: Launcher, canary: Canary, name: str) -> None:
    result = sites.result(name)
    assert not error_lines(result), f"{result.summary()}\n" + "\n".join(error_lines(result)[:30])
    assert_canary_untouched(canary)


# -- spider traps ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(TRAPS))
def test_spider_trap_is_stopped_by_its_budget(sites: Launcher, canary: Canary, name: str) -> None:
    result = sites.result(name)
    _, settings, budget = TRAPS[name]
    assert_bounded(result)
    assert result.run.status == "incomplete", result.summary()
    assert result.run.budget_hit == budget or budget in result.limits, result.summary()
    assert result.run.pages <= int(settings["GOVHEALTH_MAX_PAGES"]), result.summary()
    assert len(result.checks) <= int(settings["GOVHEALTH_MAX_TARGETS"]), result.summary()
    assert_canary_untouched(canary)


def test_deep_trap_crawls_no_page_beyond_the_depth_budget(
    sites: Launcher, traps: HostileServer, canary: Canary
) -> None:
    assert_bounded(sites.result("deep"))
    max_depth = int(TRAPS["deep"][1]["GOVHEALTH_MAX_DEPTH"])
    # the homepage /trap/deep/ is depth 0; each further level adds one path segment
    too_deep = [
        hit.path for hit in traps.hits_under("/trap/deep/") if hit.path.count("/") - 3 > max_depth + 1
    ]
    assert not too_deep, f"{len(too_deep)} requests beyond depth {max_depth}: {too_deep[:3]}"
    assert_canary_untouched(canary)


# -- robots.txt --------------------------------------------------------------------------------------------


def test_10_mb_robots_txt_is_read_only_up_to_the_cap(sites: Launcher, canary: Canary) -> None:
    result = sites.result("robots-10mb")
    assert_bounded(result)
    homepage = next((c for c in result.checks.values() if c.url.endswith("/index.html")), None)
    assert homepage is not None and homepage.state == "ok", "the crawl goes on after a huge robots.txt"
    assert result.run.pages >= 3, result.summary()
    received = result.stats.get("downloader/response_bytes", 0)
    assert received <= MAX_ROBOTS_BYTES + 100_000, (
        f"{received} bytes received: more of robots.txt than the cap"
    )
    assert "govhealth/robots/crawl_delay" not in result.stats, "the Crawl-delay at the end of 10 MB was read"
    assert_canary_untouched(canary)


def test_crawl_delay_is_honoured_up_to_the_cap(
    sites: Launcher, robots_delay: HostileServer, canary: Canary
) -> None:
    result = sites.result("robots-crawl-delay")
    assert_bounded(result)
    assert result.stats.get("govhealth/robots/crawl_delay") == CRAWL_DELAY_CAP, result.stats.get(
        "govhealth/robots/crawl_delay"
    )
    assert result.run.status == "complete", (
        f"{result.summary()}: the crawl should end by itself, not by a budget"
    )
    assert result.wall < result.max_seconds, result.summary()
    times = sorted(hit.at for hit in robots_delay.hits if hit.path != "/robots.txt")
    gaps = [round(b - a, 2) for a, b in itertools.pairwise(times)]
    assert len(times) >= 3 and min(gaps) >= 0.5 * CRAWL_DELAY_CAP * 0.9, f"gaps between requests: {gaps}"
    assert_canary_untouched(canary)


@pytest.mark.parametrize("name", list(HOME_REDIRECTS))
def test_robots_txt_redirect_to_the_canary_is_not_followed(
    sites: Launcher, canary: Canary, name: str
) -> None:
    result = sites.result(name)
    assert_bounded(result)
    assert_canary_untouched(canary)


# -- the homepage itself -----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(HOME_REDIRECTS))
def test_homepage_redirect_to_the_canary_is_unverified_not_unreachable(
    sites: Launcher, canary: Canary, name: str
) -> None:
    result = sites.result(name)
    assert_bounded(result)
    homepage = next((c for c in result.checks.values() if c.url.endswith(HOME_REDIRECTS[name])), None)
    assert homepage is not None, f"no check of the homepage: {list(result.checks)[:5]}"
    assert (homepage.state, homepage.error) == ("unverified", "private_address"), result.describe(
        homepage.url
    )
    kinds = {f.kind for f in result.findings}
    assert "site_unreachable" not in kinds, f"findings: {sorted(kinds)}"
    assert_canary_untouched(canary)


def test_hanging_homepage_is_closed_at_the_time_budget(sites: Launcher, canary: Canary) -> None:
    result = sites.result("hanging-homepage")
    assert_bounded(result)
    assert result.run.status == "incomplete", result.summary()
    assert result.run.budget_hit == "max_seconds" or "max_seconds" in result.limits, result.summary()
    assert result.wall < float(result.settings["DOWNLOAD_TIMEOUT"]), (
        "the crawl waited for the download timeout"
    )
    assert_canary_untouched(canary)


def test_site_registered_by_host_name_is_crawled(
    sites: Launcher, named: HostileServer, canary: Canary
) -> None:
    """The registered host may resolve to a private address (it is the site's own); nothing else may."""
    result = sites.result("named-site")
    assert_bounded(result)
    own = [f"http://site.hostile.test:{named.port}/{path}" for path in ("index.html", "a.html", "b.html")]
    wrong = [
        result.describe(url) for url in own if (result.check(url) is None or result.check(url).state != "ok")
    ]
    assert not wrong, "\n".join(wrong)
    by_address = result.check(f"http://127.0.0.1:{named.port}/a.html")
    assert by_address is not None and by_address.state == "unverified", (
        "another host name of a private address"
    )
    assert_canary_untouched(canary)
