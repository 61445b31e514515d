"""The per-server limit: sites sharing a server never exceed GOVHEALTH_PER_SERVER_CONCURRENCY together."""

from __future__ import annotations

import asyncio
import functools
import time
from collections.abc import Callable, Coroutine
from typing import Any

import pytest
import pytest_twisted
from scrapy.settings import Settings
from scrapy.utils.test import get_crawler
from twisted.internet import defer

from crawler import servergate
from crawler.servergate import LocalServerGate, RedisServerGate, ServerKeys, ServerLimitConfig
from crawler.spiders.portal import PortalSpider
from tests.conftest import register_site, test_settings
from tests.crawler.conftest import PAGES, CountingServer
from tests.crawler.test_commands import scrapy


def in_asyncio(test: Callable[[], Coroutine[Any, Any, None]]) -> Callable[[], Any]:
    """Run an async test as an asyncio task on the reactor's loop (the gate awaits asyncio futures, as in Scrapy)."""

    @pytest_twisted.inlineCallbacks
    @functools.wraps(test)
    def run() -> Any:
        yield defer.Deferred.fromFuture(asyncio.ensure_future(test()))

    return run


@pytest_twisted.inlineCallbacks
def test_two_sites_on_one_server_never_exceed_the_limit_together(db_url: str, shared_server: CountingServer):
    # two host names (two per-domain slots of 16 each), one server address: the limit is the server's
    register_site(db_url, "4510990801", f"http://127.0.0.1:{shared_server.port}/a/index.html", name="甲县")
    register_site(db_url, "4510990802", f"http://localhost:{shared_server.port}/b/index.html", name="乙县")
    settings = test_settings(db_url, GOVHEALTH_PER_SERVER_CONCURRENCY=3, GOVHEALTH_PER_SERVER_DELAY=0)
    crawlers = [get_crawler(PortalSpider, settings) for _ in range(2)]
    yield defer.DeferredList(
        [c.crawl(code=code) for c, code in zip(crawlers, ("4510990801", "4510990802"), strict=True)],
        fireOnOneErrback=True,
    )
    assert shared_server.total >= 2 * (PAGES + 1)
    assert shared_server.peak <= 3, "the two crawls together kept to GOVHEALTH_PER_SERVER_CONCURRENCY"
    assert sum(c.stats.get_value("govhealth/server/waited", 0) for c in crawlers) > 0, "the limit was reached"
    for crawler in crawlers:
        assert crawler.stats.get_value("govhealth/pages") == PAGES + 1


def test_platform_hosts_share_one_key_and_literals_are_their_address() -> None:
    keys = ServerKeys()
    keys.register(frozenset({"www.a.gov.cn", "a.gov.cn"}), "gxzf-platform")
    keys.register(frozenset({"www.b.gov.cn"}), "gxzf-platform")
    keys.register(frozenset({"www.c.gov.cn"}), None)
    assert keys.known("WWW.A.gov.cn") == keys.known("www.b.gov.cn") == "platform:gxzf-platform"
    assert keys.known("10.0.0.1") == "ip:10.0.0.1"
    assert keys.known("[::1]") == "ip:::1"
    assert keys.known("www.c.gov.cn") is None  # looked up (and then remembered) by its address


@in_asyncio
async def test_local_gate_admits_in_order_and_spaces_starts() -> None:
    gate = LocalServerGate(concurrency=2, delay=0.0)
    owner = object()
    first = await gate.acquire("ip:1", owner)
    await gate.acquire("ip:1", owner)
    third = asyncio.ensure_future(gate.acquire("ip:1", owner))
    fourth = asyncio.ensure_future(gate.acquire("ip:1", owner))
    await asyncio.sleep(0)
    assert not third.done() and not fourth.done()
    gate.release("ip:1", first)
    await third
    assert not fourth.done()
    assert gate.peak["ip:1"] == 2
    fourth.cancel()
    with pytest.raises(asyncio.CancelledError):
        await fourth


@in_asyncio
async def test_a_stopped_crawl_drops_its_waits_and_passes_the_turn_on() -> None:
    gate = LocalServerGate(concurrency=1, delay=0.0)
    stopped, other = object(), object()
    token = await gate.acquire("ip:1", other)
    dropped = asyncio.ensure_future(gate.acquire("ip:1", stopped))
    waiting = asyncio.ensure_future(gate.acquire("ip:1", other))
    await asyncio.sleep(0)
    gate.cancel(stopped)
    with pytest.raises(asyncio.CancelledError):
        await dropped
    gate.release("ip:1", token)
    await waiting
    assert gate.servers["ip:1"].active == 1


@in_asyncio
async def test_the_minimum_delay_spaces_the_starts() -> None:
    gate = LocalServerGate(concurrency=8, delay=0.05)
    owner = object()
    started = []
    for _ in range(3):
        await gate.acquire("ip:1", owner)
        started.append(time.monotonic())
    assert started[2] - started[0] >= 0.09


@in_asyncio
async def test_a_late_timer_does_not_let_the_next_start_early() -> None:
    gate = LocalServerGate(concurrency=8, delay=0.05)
    owner = object()
    starts: list[float] = []

    async def one() -> None:
        await gate.acquire("ip:1", owner)
        starts.append(time.monotonic())

    await one()
    second, third = asyncio.ensure_future(one()), asyncio.ensure_future(one())  # planned at +50 and +100 ms
    await asyncio.sleep(0)
    time.sleep(0.08)  # noqa: ASYNC251 - the loop is busy on purpose: the second's timer fires 30 ms late
    await asyncio.gather(second, third)
    assert starts[2] - starts[1] >= 0.049, "the third is spaced from the second's real start"


@pytest.mark.parametrize(
    ("settings", "message"),
    [({"GOVHEALTH_PER_SERVER_CONCURRENCY": 0}, "GOVHEALTH_PER_SERVER_CONCURRENCY"),
     ({"GOVHEALTH_PER_SERVER_DELAY": -1}, "GOVHEALTH_PER_SERVER_DELAY")],
)  # fmt: skip
def test_wrong_limits_name_the_setting(settings: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        ServerLimitConfig.from_settings(Settings(settings))


def test_defaults() -> None:
    config = ServerLimitConfig.from_settings(Settings())
    assert (config.concurrency, config.delay) == (8, 0.05)
    assert servergate.gate_for(config) is servergate.gate_for(config), "one gate per process"


def test_probes_of_sites_on_one_server_are_spread_out(db_url: str, shared_server: CountingServer) -> None:
    # six homepages under two host names, one server: one probe at a time reaches it, 0.3 s apart, and none of
    # them is charged the wait for its turn (the last waits 1.5 s; GOVHEALTH_PROBE_TIMEOUT=1 counts its download)
    for n in range(6):
        host = ("127.0.0.1", "localhost")[n % 2]
        register_site(db_url, f"451099093{n}", f"http://{host}:{shared_server.port}/{'ab'[n % 2]}/p{n}.html")
    done = scrapy(
        "probe", "-s", "GOVHEALTH_PER_SERVER_CONCURRENCY=1", "-s", "GOVHEALTH_PER_SERVER_DELAY=0.3",
        "-s", "GOVHEALTH_PROBE_TIMEOUT=1",
        "-s", "DNS_RESOLVER=tests.resolver.LoopbackOnlyResolver", db_url=db_url,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("probed 6 homepages: 6 ok"), done.stdout
    assert shared_server.total == 6
    assert shared_server.peak == 1


@pytest.mark.redis
@pytest_twisted.inlineCallbacks
def test_redis_gate_is_one_limit_for_two_workers_and_reserves_the_spacing(redis_url: str) -> Any:
    yield defer.Deferred.fromFuture(asyncio.ensure_future(two_redis_gates(redis_url)))


async def two_redis_gates(redis_url: str) -> None:
    from redis import Redis

    server = Redis.from_url(redis_url)
    first, second = (RedisServerGate(server, concurrency=2, delay=0.05, lease_seconds=30) for _ in range(2))
    owner = object()
    started = time.monotonic()
    a = await first.acquire("ip:1", owner)
    b = await second.acquire("ip:1", owner)
    assert time.monotonic() - started >= 0.045, "the second start was reserved 50 ms after the first"
    third = asyncio.ensure_future(first.acquire("ip:1", owner))
    await asyncio.sleep(0.1)
    assert not third.done(), "two in flight across both gates: the third waits"
    second.release("ip:1", b)
    c = await asyncio.wait_for(third, 2)
    first.release("ip:1", a)
    first.release("ip:1", c)
    assert server.zcard("govhealth:server:ip:1") == 0
    server.close()
