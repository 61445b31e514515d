"""No request into private networks: redirects, derived URLs, robots.txt and names resolving to private addresses.

The site is on 127.0.0.1 (its own host, allowed); a canary on 127.0.0.2 records every request it gets and must
get none, whatever the site's pages, redirects and scripts point at.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import pytest_twisted
from scrapy import Request
from scrapy.utils.test import get_crawler
from sqlalchemy import select
from twisted.internet import defer
from twisted.internet.address import IPv4Address, IPv6Address
from twisted.internet.error import ConnectionRefusedError, DNSLookupError, NoRouteError, TCPTimedOutError
from twisted.internet.interfaces import IResolverSimple
from twisted.python.failure import Failure
from zope.interface import implementer

from crawler.netguard import POLICY, AddressPolicy, GuardedResolver
from crawler.spiders.portal import PortalSpider, transport_error
from models.finding import Finding
from models.link import LinkCheck
from models.session import make_sessionmaker, open_database
from pipelines.rules.links import Observation, classify
from tests.conftest import register_site, test_settings
from tests.hostile.routes import RouteServer

pytestmark = pytest.mark.hostile

CODE = "4510990051"


@pytest.fixture
def canary() -> Iterator[RouteServer]:
    with RouteServer("127.0.0.2", {"/": (200, {}, "<html>canary</html>")}) as server:
        yield server


@implementer(IResolverSimple)
class MapResolver:
    """A simple resolver for names used here: intranet.hostile.test -> the canary's address; else DNS failure."""

    def getHostByName(self, name: str, timeout: Any = None) -> defer.Deferred[str]:
        from twisted.internet.error import DNSLookupError

        table = {"intranet.hostile.test": "127.0.0.2", "localhost": "127.0.0.1"}
        if name in table or name.replace(".", "").isdigit():
            return defer.succeed(table.get(name, name))
        return defer.fail(DNSLookupError(name))


@pytest.fixture
def mapped_names() -> Iterator[None]:
    from twisted.internet import reactor

    old_simple, old_names = reactor.resolver, reactor.nameResolver  # type: ignore[attr-defined]
    reactor.installResolver(MapResolver())  # type: ignore[attr-defined]
    try:
        yield
    finally:
        reactor.installResolver(old_simple)  # type: ignore[attr-defined]
        reactor.installNameResolver(old_names)  # type: ignore[attr-defined]


def crawler_for(db_url: str) -> Any:
    settings = test_settings(db_url, GOVHEALTH_ALLOW_PRIVATE_TARGETS=False)
    del settings["DNS_RESOLVER"]  # the reactor's resolver is the one under test (mapped_names)
    return get_crawler(PortalSpider, settings)


def results(db_url: str) -> tuple[dict[str, LinkCheck], list[Finding]]:
    engine = open_database(db_url)
    try:
        with make_sessionmaker(engine)() as session:
            return {c.url: c for c in session.scalars(select(LinkCheck))}, list(
                session.scalars(select(Finding))
            )
    finally:
        engine.dispose()


@pytest_twisted.inlineCallbacks
def test_no_hop_of_any_kind_reaches_a_private_address(
    db_url: str, canary: RouteServer, mapped_names: None
) -> Any:
    c = canary.base
    c_port = canary.server_address[1]
    proxy = f"{c}/module/web/jpage/dataproxy.jsp?startrecord=1&endrecord=15&columnid=7&webid=1"
    routes = {
        "/robots.txt": (302, {"Location": f"{c}/robots.txt"}, ""),
        "/index.html": (
            200,
            {},
            f"""<html><head><title>测试县</title></head><body>
            <div class="nav"><a href="/index.html">首页</a> <a href="/col/">通知公告</a></div>
            <a href="/go302">跳转</a> <a href="/go307">临时跳转</a> <a href="/hop1">两跳</a>
            <a href="{c}/direct">内网地址</a> <a href="http://intranet.hostile.test:{c_port}/named">内网域名</a>
            <a href="http://localhost:{c_port}/local">本机</a> <a href="http://[::1]:{c_port}/v6">本机v6</a>
            <a href="/missing.html">断链</a></body></html>""",
        ),
        "/go302": (302, {"Location": f"{c}/via302"}, ""),
        "/go307": (307, {"Location": f"http://intranet.hostile.test:{c_port}/via307"}, ""),
        "/hop1": (301, {"Location": "/hop2"}, ""),
        "/hop2": (302, {"Location": f"{c}/via-hops"}, ""),
        "/col/": (
            200,
            {},
            f"""<html><head><title>通知公告</title><meta name="ColumnName" content="通知公告"></head>
            <body><div id="5107"><script>var u = '{proxy}';</script></div></body></html>""",
        ),
    }
    with RouteServer("127.0.0.1", routes) as site:
        register_site(db_url, CODE, f"{site.base}/index.html")
        crawler = crawler_for(db_url)
        yield crawler.crawl(code=CODE)
        checks, findings = results(db_url)
        own = site.base
    assert canary.hits == []
    for path in ("/go302", "/go307", "/hop1"):
        assert (checks[own + path].state, checks[own + path].error) == ("unverified", "private_address"), path
    for url in (
        f"{c}/direct",
        f"http://intranet.hostile.test:{c_port}/named",
        f"http://localhost:{c_port}/local",
        f"http://[::1]:{c_port}/v6",
    ):
        assert (checks[url].state, checks[url].error) == ("unverified", "private_address"), url
    assert checks[own + "/missing.html"].state == "broken"  # the site itself is crawled and judged
    column = [f for f in findings if f.url == own + "/col/"]
    assert [f.kind for f in column] == ["unverified_column"]  # its list could not be read: never blank
    assert not [f for f in findings if f.kind == "broken_link" and "private" in (f.reason or "")]
    assert crawler.stats.get_value("govhealth/pages") >= 2


@pytest_twisted.inlineCallbacks
def test_a_homepage_redirecting_to_a_private_address_is_not_followed(
    db_url: str, canary: RouteServer, mapped_names: None
) -> Any:
    routes = {"/index.html": (302, {"Location": f"{canary.base}/admin"}, "")}
    with RouteServer("127.0.0.1", routes) as site:
        register_site(db_url, CODE, f"{site.base}/index.html")
        yield crawler_for(db_url).crawl(code=CODE)
        checks, findings = results(db_url)
        home = f"{site.base}/index.html"
    assert canary.hits == []
    assert (checks[home].state, checks[home].error) == ("unverified", "private_address")
    assert "site_unreachable" not in {f.kind for f in findings}


class Receiver:
    def __init__(self) -> None:
        self.addresses: list[Any] = []
        self.done = False

    def resolutionBegan(self, resolution: Any) -> None:
        pass

    def addressResolved(self, address: Any) -> None:
        self.addresses.append(address)

    def resolutionComplete(self) -> None:
        self.done = True


class FixedResolver:
    """An inner resolver answering each name from a table (changeable, to play DNS rebinding)."""

    def __init__(self, table: dict[str, list[str]]) -> None:
        self.table = table

    def resolveHostName(self, receiver: Any, name: str, port: int = 0, *args: Any) -> Any:
        receiver.resolutionBegan(None)
        for ip in self.table.get(name, []):
            receiver.addressResolved((IPv6Address if ":" in ip else IPv4Address)("TCP", ip, port))
        receiver.resolutionComplete()


def resolve(resolver: GuardedResolver, name: str) -> list[str]:
    receiver = Receiver()
    resolver.resolveHostName(receiver, name, 80)
    assert receiver.done
    return [a.host for a in receiver.addresses]


def test_the_rule_is_applied_to_resolved_addresses_and_pinned_for_own_hosts() -> None:
    table = {
        "www.site.gov.cn": ["10.0.0.5"],
        "evil.example": ["10.0.0.9", "93.184.216.34"],
        "rebind.example": ["169.254.169.254"],
        "v6.example": ["fd00::7"],
        "public.example": ["93.184.216.34"],
    }
    policy = AddressPolicy()
    guard = GuardedResolver(FixedResolver(table), policy)  # type: ignore[arg-type]
    assert resolve(guard, "evil.example") == [
        "10.0.0.9",
        "93.184.216.34",
    ]  # no crawl running: not our business
    policy.register(1, allow_private=False, hosts=["www.site.gov.cn"])
    assert resolve(guard, "www.site.gov.cn") == ["10.0.0.5"]  # the registered site's own host
    assert resolve(guard, "evil.example") == ["93.184.216.34"]  # its private address is dropped
    assert resolve(guard, "rebind.example") == [] and policy.refused("rebind.example") == "169.254.169.254"
    assert resolve(guard, "v6.example") == [] and policy.refused("v6.example") == "fd00::7"
    assert resolve(guard, "public.example") == ["93.184.216.34"] and policy.refused("public.example") is None
    table["www.site.gov.cn"] = ["10.0.0.6"]  # DNS rebinding: the own host now answers another private address
    assert resolve(guard, "www.site.gov.cn") == []
    assert resolve(guard, "127.0.0.1") == []  # literals go through the same rule
    assert (
        resolve(guard, "::1") == [] and policy.refused("::1") == "::1"
    )  # IPv6 literal, resolved by the guard
    policy.register(2, allow_private=True, hosts=[])  # a crawl that may fetch private targets (tests)
    assert resolve(guard, "rebind.example") == ["169.254.169.254"]
    policy.unregister(2)
    policy.unregister(1)
    assert policy.pinned == {}


@pytest.mark.parametrize(
    ("url", "exc", "expected"),
    [
        ("http://[2001:db8::1]/a", NoRouteError(), "network_unreachable"),  # no IPv6 route from this host
        ("http://[2001:db8::1]/a", TCPTimedOutError(), "network_unreachable"),
        (
            "http://[2001:db8::1]/a",
            ConnectionRefusedError(),
            "connection_refused",
        ),  # it answered: a real refusal
        ("http://192.0.2.1/a", TCPTimedOutError(), "timeout"),
        ("http://192.0.2.1/a", NoRouteError(), "network_unreachable"),
        ("http://refused.example/a", DNSLookupError(), "dns"),
    ],
)
def test_transport_errors_of_hosts_this_machine_cannot_reach_are_not_broken(
    url: str, exc: Exception, expected: str
) -> None:
    failure = Failure(exc)
    failure.request = Request(url)  # type: ignore[attr-defined]
    assert transport_error(failure) == expected
    verdict = classify(Observation(url=url, method="GET", status=None, error=expected))
    assert verdict.state == (
        "broken" if expected in ("connection_refused", "timeout", "dns") else "unverified"
    )


def test_a_host_the_rule_refused_is_private_address_not_dns() -> None:
    POLICY.register(99, allow_private=False, hosts=["own.example"])
    try:
        assert POLICY.filter("sneaky.example", ["10.1.2.3"]) == []
        failure = Failure(DNSLookupError("no results"))
        failure.request = Request("http://sneaky.example/x")  # type: ignore[attr-defined]
        assert transport_error(failure) == "private_address"
    finally:
        POLICY.unregister(99)


@pytest_twisted.inlineCallbacks
@pytest.mark.parametrize("location", ["file:///etc/passwd", "ftp://127.0.0.2/x", "data:text/html,<p>x</p>"])
def test_redirects_to_other_schemes_are_not_followed(db_url: str, canary: RouteServer, location: str) -> Any:
    routes = {
        "/index.html": (200, {}, '<html><body><a href="/go">跳转</a></body></html>'),
        "/go": (302, {"Location": location}, ""),
    }
    with RouteServer("127.0.0.1", routes) as site:
        register_site(db_url, CODE, f"{site.base}/index.html")
        yield crawler_for(db_url).crawl(code=CODE)
        checks, _ = results(db_url)
        go = checks[f"{site.base}/go"]
    assert (go.state, go.error) == ("unverified", "unsupported_scheme")
    assert canary.hits == []
