"""No request into private networks: the address rule applied where connections are made.

A page, a redirect, a script or robots.txt can name any host, and a host name can resolve to any
address. The rule is therefore enforced on the resolved addresses, in the reactor's name resolver
that every Twisted connection of the process goes through (links, redirect hops, derived list URLs,
robots.txt, probes, re-checks): an address on a loopback, private, link-local, unique-local or
otherwise non-global range is handed to the connection only when

- GOVHEALTH_ALLOW_PRIVATE_TARGETS is on for a running crawl (tests serving sites on 127.0.0.1), or
- the host name is one of the registered sites' own hosts (homepage host, registry domains) of a
  running crawl, and the address is one that host resolved to the first time (a later answer
  cannot move it to another private address).

The connection is made to exactly the addresses approved here, so a DNS answer cannot change between
the check and the connect. A host left without an address fails as a DNS error; ``refused(host)``
tells the spider that it was this rule (the target is then unverified ``private_address``).
IPv6 literals are resolved here too (the threaded resolver Scrapy installs knows only IPv4).
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Self

from twisted.internet.abstract import isIPv6Address
from twisted.internet.address import IPv4Address, IPv6Address
from twisted.internet.interfaces import IHostnameResolver, IHostResolution, IResolutionReceiver
from zope.interface import implementer

from pipelines.rules.links import is_private_address

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from scrapy import Spider
    from scrapy.crawler import Crawler
    from twisted.internet.interfaces import IAddress

logger = logging.getLogger(__name__)

_REFUSALS_KEPT = 10_000  # bounded: a hostile page can name any number of hosts


def _host_key(host: str) -> str:
    return host.strip().lower().rstrip(".").strip("[]")


@dataclass
class AddressPolicy:
    """Which private addresses may be connected to: the running crawls' own hosts, pinned on first use."""

    crawls: dict[int, tuple[bool, frozenset[str]]] = field(default_factory=dict)
    pinned: dict[str, frozenset[str]] = field(default_factory=dict)
    refusals: OrderedDict[str, str] = field(default_factory=OrderedDict)
    v6_hosts: OrderedDict[str, None] = field(default_factory=OrderedDict)

    def register(self, token: int, *, allow_private: bool, hosts: Iterable[str]) -> None:
        self.crawls[token] = (allow_private, frozenset(_host_key(h) for h in hosts if h))

    def unregister(self, token: int) -> None:
        self.crawls.pop(token, None)
        own = {h for _, hosts in self.crawls.values() for h in hosts}
        self.pinned = {h: a for h, a in self.pinned.items() if h in own}

    def filter(self, host: str, addresses: Sequence[str]) -> list[str]:
        """The addresses of ``host`` that may be connected to (all of them, or the allowed subset)."""
        key = _host_key(host)
        private = [a for a in addresses if is_private_address(a)]
        if not private or not self.crawls or any(allow for allow, _ in self.crawls.values()):
            return list(addresses)
        allowed: set[str] = set()
        if any(key in hosts for _, hosts in self.crawls.values()):
            allowed = set(self.pinned.setdefault(key, frozenset(private)))
        refused = [a for a in private if a not in allowed]
        if refused:
            self._note(self.refusals, key, refused[0])
            logger.info("not connecting to %s: %s is a private address", host, refused[0])
        else:
            self.refusals.pop(key, None)
        return [a for a in addresses if a not in refused]

    def refused(self, host: str) -> str | None:
        """The private address ``host`` was refused for, if this rule refused it."""
        return self.refusals.get(_host_key(host))

    def note_v6(self, host: str) -> None:
        self._note(self.v6_hosts, _host_key(host), None)

    def only_v6(self, host: str) -> bool:
        """The host resolved to IPv6 addresses only (or is an IPv6 literal)."""
        key = _host_key(host)
        return key in self.v6_hosts or isIPv6Address(key)

    @staticmethod
    def _note(table: OrderedDict[str, Any], key: str, value: Any) -> None:
        table[key] = value
        table.move_to_end(key)
        while len(table) > _REFUSALS_KEPT:
            table.popitem(last=False)


POLICY = AddressPolicy()


@implementer(IHostResolution)
@dataclass
class _Resolution:
    name: str

    def cancel(self) -> None:  # pragma: no cover - nothing to cancel for a literal
        pass


@implementer(IResolutionReceiver)
class _FilteringReceiver:
    """Collects the wrapped resolver's answer and passes on only the addresses the policy allows."""

    def __init__(self, receiver: IResolutionReceiver, host: str, policy: AddressPolicy) -> None:
        self.receiver, self.host, self.policy = receiver, host, policy
        self.addresses: list[IAddress] = []

    def resolutionBegan(self, resolution: IHostResolution) -> None:
        self.receiver.resolutionBegan(resolution)

    def addressResolved(self, address: IAddress) -> None:
        self.addresses.append(address)

    def resolutionComplete(self) -> None:
        hosts = [a.host for a in self.addresses if isinstance(a, IPv4Address | IPv6Address)]
        allowed = set(self.policy.filter(self.host, hosts))
        if hosts and all(isinstance(a, IPv6Address) for a in self.addresses):
            self.policy.note_v6(self.host)
        for address in self.addresses:
            if not isinstance(address, IPv4Address | IPv6Address) or address.host in allowed:
                self.receiver.addressResolved(address)
        self.receiver.resolutionComplete()


@implementer(IHostnameResolver)
class GuardedResolver:
    """Wraps the reactor's name resolver; every connection of the process gets only allowed addresses."""

    def __init__(self, inner: IHostnameResolver, policy: AddressPolicy = POLICY) -> None:
        self.inner, self.policy = inner, policy

    def resolveHostName(
        self,
        resolutionReceiver: IResolutionReceiver,
        hostName: str,
        portNumber: int = 0,
        addressTypes: Sequence[type[IAddress]] | None = None,
        transportSemantics: str = "TCP",
    ) -> IHostResolution:
        receiver = _FilteringReceiver(resolutionReceiver, hostName, self.policy)
        literal = hostName.strip("[]").split("%", 1)[0]
        if isIPv6Address(literal):
            resolution = _Resolution(hostName)
            receiver.resolutionBegan(resolution)
            receiver.addressResolved(IPv6Address("TCP", literal, portNumber))
            receiver.resolutionComplete()
            return resolution
        return self.inner.resolveHostName(receiver, hostName, portNumber, addressTypes, transportSemantics)


def ensure_installed(reactor: Any) -> None:
    """Put the guard in front of whatever name resolver the reactor has now (idempotent).

    Called when each crawl opens: Scrapy's CrawlerProcess installs its own resolver after the crawlers
    are created, which replaces the reactor's name resolver.
    """
    current = reactor.nameResolver
    if not isinstance(current, GuardedResolver):
        reactor.installNameResolver(GuardedResolver(current))


class NetGuard:
    """Extension: registers each crawl's own hosts with the address policy while it runs.

    A spider names its own hosts in ``own_hosts`` (the portal spider: the homepage host and the
    registry's domains; the probe spider: every probed homepage host).
    Stats: govhealth/netguard/refused (hosts refused by the end of the crawl, process-wide).
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.allow_private = crawler.settings.getbool("GOVHEALTH_ALLOW_PRIVATE_TARGETS", False)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        from scrapy import signals

        guard = cls(crawler)
        crawler.signals.connect(guard.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(guard.spider_closed, signal=signals.spider_closed)
        return guard

    def spider_opened(self, spider: Spider) -> None:
        from twisted.internet import reactor

        ensure_installed(reactor)
        hosts: frozenset[str] = getattr(spider, "own_hosts", frozenset())
        POLICY.register(id(self), allow_private=self.allow_private, hosts=hosts)

    def spider_closed(self, spider: Spider) -> None:
        POLICY.unregister(id(self))
