"""A DNS resolver for the hostile tests: a few test names resolve to loopback addresses, nothing else.

``-s TWISTED_DNS_RESOLVER=tests.hostile.resolver.HostileResolver`` (or the deprecated DNS_RESOLVER):
``site.hostile.test`` is the site (127.0.0.1), ``canary.hostile.test`` and ``intranet.hostile.test`` are the
canary (127.0.0.2), ``v6only.hostile.test`` has only an IPv6 address (::1, where a canary listens too);
IP literals (also legacy spellings such as ``2130706434``) resolve to themselves; every other name is a
DNS failure at once, as on a closed network.
"""

from __future__ import annotations

import socket
from typing import TYPE_CHECKING, Any

from scrapy.resolver import CachingThreadedResolver
from twisted.internet import defer
from twisted.internet.address import IPv4Address, IPv6Address
from twisted.internet.error import DNSLookupError
from twisted.internet.interfaces import IHostnameResolver, IHostResolution
from zope.interface import implementer

if TYPE_CHECKING:
    from collections.abc import Sequence

    from twisted.internet.interfaces import IAddress, IResolutionReceiver

HOSTS = {
    "site.hostile.test": "127.0.0.1",
    "canary.hostile.test": "127.0.0.2",
    "intranet.hostile.test": "127.0.0.2",
    "v6only.hostile.test": "::1",
}


def lookup(name: str) -> str | None:
    """The one address of ``name`` in this test world, or None (no such host)."""
    host = name.strip().lower().rstrip(".").strip("[]")
    if host in HOSTS:
        return HOSTS[host]
    try:
        socket.inet_pton(socket.AF_INET6, host)
    except OSError:
        pass
    else:
        return host
    if host and all(c in "0123456789abcdefx." for c in host):
        try:  # what the C library does with 127.1, 0x7f.0.0.2, 2130706434
            return socket.inet_ntoa(socket.inet_aton(host))
        except OSError:
            return None
    return None


@implementer(IHostResolution)
class _Resolution:
    def __init__(self, name: str) -> None:
        self.name = name

    def cancel(self) -> None:
        """Nothing to cancel: answers are immediate."""


@implementer(IHostnameResolver)
class HostileNameResolver:
    """The reactor's name resolver: IPv4 and IPv6 answers from ``lookup``."""

    def resolveHostName(
        self,
        resolutionReceiver: IResolutionReceiver,
        hostName: str,
        portNumber: int = 0,
        addressTypes: Sequence[type[IAddress]] | None = None,
        transportSemantics: str = "TCP",
    ) -> IHostResolution:
        resolution = _Resolution(hostName)
        resolutionReceiver.resolutionBegan(resolution)
        address = lookup(hostName)
        if address is not None:
            kind = IPv6Address if ":" in address else IPv4Address
            if addressTypes is None or kind in addressTypes:
                resolutionReceiver.addressResolved(kind("TCP", address, portNumber))
        resolutionReceiver.resolutionComplete()
        return resolution


class HostileResolver(CachingThreadedResolver):
    """Scrapy's DNS resolver setting: installs ``lookup`` as both the simple and the name resolver."""

    def install_on_reactor(self) -> None:
        self.reactor.installResolver(self)
        # installResolver wraps a simple (IPv4-only) resolver; the name resolver also answers IPv6
        self.reactor.installNameResolver(HostileNameResolver())

    def getHostByName(self, name: str, timeout: Any = None) -> defer.Deferred[str]:
        address = lookup(name)
        if address is None or ":" in address:
            return defer.fail(DNSLookupError(f"{name}: no such host (hostile test resolver)"))
        return defer.succeed(address)
