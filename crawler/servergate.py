"""Politeness per server: requests in flight to one server, and their spacing, across every crawl of a run.

Reads GOVHEALTH_PER_SERVER_CONCURRENCY and GOVHEALTH_PER_SERVER_DELAY. A server is the registry's ``platform`` of
a site's own hosts, else the address its host name resolves to; the gate is the process's (``LocalServerGate``)
or, for workers and machines sharing a nightly run, Redis's (``RedisServerGate``, installed by `scrapy nightly`).
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
import uuid
import weakref
from collections import OrderedDict, deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from scrapy.exceptions import IgnoreRequest
from twisted.internet.abstract import isIPAddress, isIPv6Address

if TYPE_CHECKING:
    from redis import Redis
    from scrapy.crawler import Crawler
    from scrapy.settings import BaseSettings

logger = logging.getLogger(__name__)

_ADDRESSES_KEPT = 10_000  # host -> address; bounded, a hostile page can name any number of hosts
_FAILED_SECONDS = 300.0  # a host that did not resolve is keyed by its name this long (its check fails anyway)


@dataclass(frozen=True)
class ServerLimitConfig:
    """Validated GOVHEALTH_PER_SERVER_CONCURRENCY / GOVHEALTH_PER_SERVER_DELAY settings."""

    concurrency: int
    delay: float
    dns_timeout: float = 15.0

    @classmethod
    def from_settings(cls, settings: BaseSettings) -> ServerLimitConfig:
        config = cls(
            settings.getint("GOVHEALTH_PER_SERVER_CONCURRENCY", 8),
            settings.getfloat("GOVHEALTH_PER_SERVER_DELAY", 0.05),
            settings.getfloat("DNS_TIMEOUT", 15),
        )
        if config.concurrency < 1:
            raise ValueError(f"GOVHEALTH_PER_SERVER_CONCURRENCY must be >= 1, got {config.concurrency}")
        if config.delay < 0:
            raise ValueError(f"GOVHEALTH_PER_SERVER_DELAY must be >= 0, got {config.delay}")
        return config


class ServerGate(Protocol):
    """Admits a request to a server when fewer than the limit are in flight there and the spacing has passed."""

    async def acquire(self, key: str, owner: object) -> str: ...

    def release(self, key: str, token: str) -> None: ...

    def cancel(self, owner: object) -> None: ...


@dataclass
class _Server:
    active: int = 0
    next_start: float = 0.0  # when the next turn may start (planned)
    last_start: float = -math.inf  # when the last one did start
    waiters: deque[tuple[asyncio.Future[None], object]] = field(default_factory=deque)


class LocalServerGate:
    """The gate of one process: a counter and a FIFO of waiters per server, shared by every crawl in it."""

    def __init__(self, concurrency: int, delay: float) -> None:
        self.concurrency = concurrency
        self.delay = delay
        self.servers: dict[str, _Server] = {}
        self.peak: dict[str, int] = {}  # the most requests in flight to each server (tests, benchmarks)

    async def acquire(self, key: str, owner: object) -> str:
        server = self.servers.setdefault(key, _Server())
        while server.waiters and server.waiters[0][0].done():
            server.waiters.popleft()  # cancelled waits
        if server.active >= self.concurrency or server.waiters:
            future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            server.waiters.append((future, owner))
            try:
                await future  # raises CancelledError when the owner's crawl is stopped
            except asyncio.CancelledError:
                if future.done() and not future.cancelled():
                    self._wake(server)  # woken, then stopped: the turn goes to the next in line
                raise
        server.active += 1  # counted before the spacing wait: the turn is ours
        self.peak[key] = max(self.peak.get(key, 0), server.active)
        now = time.monotonic()
        start = max(now, server.next_start)
        server.next_start = start + self.delay
        try:
            # the spacing between the starts that happen, not the planned ones: a timer that fires late must
            # not let the next request start early (the province benchmark saw 22 starts in a second at 20/s)
            while (wait := max(start, server.last_start + self.delay) - time.monotonic()) > 0:
                await asyncio.sleep(wait)
        except BaseException:
            self.release(key, "")
            raise
        server.last_start = time.monotonic()
        server.next_start = max(server.next_start, server.last_start + self.delay)
        return ""

    def release(self, key: str, token: str) -> None:
        server = self.servers.get(key)
        if server is None:
            return
        server.active -= 1
        if self._wake(server):
            return
        if not server.active and not server.waiters and server.next_start <= time.monotonic() - self.delay:
            del self.servers[key]  # bounded: only servers with something in flight or spaced are kept

    def _wake(self, server: _Server) -> bool:
        """Give a free turn to the first live waiter (who counts itself in); True when one was woken."""
        while server.waiters and server.active < self.concurrency:
            future, _owner = server.waiters.popleft()
            if not future.done():
                future.set_result(None)
                return True
        return False

    def cancel(self, owner: object) -> None:
        """Drop the waits of one crawl (its time budget is spent)."""
        for server in self.servers.values():
            for future, who in server.waiters:
                if who is owner and not future.done():
                    future.cancel()


# KEYS[1]: the server's leases (a sorted set, token -> expiry ms); KEYS[2]: when the next request may start.
# Redis's own clock, so machines with skewed clocks agree. A free turn is taken at once, its start reserved after
# the previous one by the spacing: returns the ms to wait before starting (0: now), or -1 when the server is full.
_ACQUIRE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local limit, delay, ttl = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= limit then return -1 end
local start = math.max(now, tonumber(redis.call('GET', KEYS[2]) or '0'))
redis.call('ZADD', KEYS[1], start + ttl, ARGV[4])
redis.call('PEXPIRE', KEYS[1], start - now + ttl)
if delay > 0 then redis.call('SET', KEYS[2], start + delay, 'PX', start - now + delay) end
return start - now
"""
REDIS_KEY = "govhealth:server:{key}"
_POLL_FIRST, _POLL_MAX = (
    0.01,
    0.25,
)  # a full server is asked again after 10 ms, then twice as long, up to 250 ms


class RedisServerGate:
    """The gate of workers and machines sharing a run: leases in Redis, which expire if their worker dies."""

    def __init__(self, server: Redis, concurrency: int, delay: float, lease_seconds: float) -> None:
        self.redis = server
        self.concurrency = concurrency
        self.delay_ms = round(delay * 1000)
        self.lease_ms = round(lease_seconds * 1000)
        self.script = server.register_script(_ACQUIRE)
        self.cancelled: weakref.WeakSet[Any] = weakref.WeakSet()

    async def acquire(self, key: str, owner: object) -> str:
        token = uuid.uuid4().hex
        name = REDIS_KEY.format(key=key)
        poll = _POLL_FIRST  # backing off: a province's platforms keep dozens of requests waiting at once
        while True:
            if owner in self.cancelled:
                raise asyncio.CancelledError
            wait = int(
                self.script(
                    keys=[name, name + ":next"], args=[self.concurrency, self.delay_ms, self.lease_ms, token]
                )
            )
            if wait >= 0:  # our turn, its start spaced after the previous one's
                if wait:
                    try:
                        await asyncio.sleep(wait / 1000)
                    except BaseException:
                        self.release(key, token)
                        raise
                return token
            await asyncio.sleep(poll)
            poll = min(poll * 2, _POLL_MAX)

    def release(self, key: str, token: str) -> None:
        self.redis.zrem(REDIS_KEY.format(key=key), token)

    def cancel(self, owner: object) -> None:
        self.cancelled.add(owner)


class ServerKeys:
    """Which server a host is: its site's ``platform`` when it is a registered site's host, else its address."""

    def __init__(self) -> None:
        self.platforms: dict[str, str] = {}  # host -> platform, of the sites being crawled
        self.addresses: OrderedDict[str, tuple[str | None, float]] = OrderedDict()

    def register(self, hosts: frozenset[str], platform: str | None) -> None:
        if platform:
            for host in hosts:
                self.platforms[host.lower()] = platform

    def known(self, host: str) -> str | None:
        """The key when no lookup is needed (a platform host, an address literal, a host resolved before)."""
        host = host.lower().strip("[]")
        if (platform := self.platforms.get(host)) is not None:
            return f"platform:{platform}"
        if isIPAddress(host) or isIPv6Address(host):
            return f"ip:{host}"
        found = self.addresses.get(host)
        if found is not None and (found[0] is not None or time.monotonic() - found[1] < _FAILED_SECONDS):
            return f"ip:{found[0]}" if found[0] else f"host:{host}"
        return None

    async def key(self, host: str, timeout: float) -> str:
        if (known := self.known(host)) is not None:
            return known
        from twisted.internet import reactor

        address: str | None
        try:
            # Scrapy's resolver caches the answer, so the connection that follows asks no second time
            deferred = reactor.resolve(host, timeout=(max(1, round(timeout)),))
            address = str(await deferred.asFuture(asyncio.get_running_loop()))
        except Exception:  # noqa: BLE001 - any failure: the download itself reports it
            address = None
        self.addresses[host.lower()] = (address, time.monotonic())
        self.addresses.move_to_end(host.lower())
        while len(self.addresses) > _ADDRESSES_KEPT:
            self.addresses.popitem(last=False)
        return f"ip:{address}" if address else f"host:{host.lower()}"


KEYS = ServerKeys()
_GATES: dict[tuple[int, float], LocalServerGate] = {}
_INSTALLED: list[ServerGate] = []


def install_gate(gate: ServerGate | None) -> None:
    """Make ``gate`` the process's gate (`scrapy nightly --redis`); None goes back to the local one."""
    _INSTALLED[:] = [gate] if gate is not None else []


def gate_for(config: ServerLimitConfig) -> ServerGate:
    """The process's gate: the installed one, else the local gate of these limits (one per process)."""
    if _INSTALLED:
        return _INSTALLED[0]
    return _GATES.setdefault(
        (config.concurrency, config.delay), LocalServerGate(config.concurrency, config.delay)
    )


def cancel_waits(crawler: Crawler) -> None:
    """Drop the gate waits of ``crawler``'s requests (crawler/budgets.py, at GOVHEALTH_MAX_SECONDS)."""
    for gate in [*_INSTALLED, *_GATES.values()]:
        gate.cancel(crawler)


def dropped(request_url: str) -> IgnoreRequest:
    return IgnoreRequest(f"GOVHEALTH_MAX_SECONDS reached while {request_url} waited for its server")


def log_peaks() -> dict[str, Any]:
    """The peak in-flight count of each server in this process's local gates."""
    return {key: peak for gate in _GATES.values() for key, peak in gate.peak.items()}
