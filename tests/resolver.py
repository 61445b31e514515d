"""A DNS resolver for tests: loopback names resolve, everything else fails at once (no network)."""

from __future__ import annotations

from typing import Any

from scrapy.resolver import CachingThreadedResolver
from twisted.internet import defer
from twisted.internet.error import DNSLookupError


class LoopbackOnlyResolver(CachingThreadedResolver):
    """Resolve IP literals and localhost; any other name is a DNS failure, as on a closed network."""

    def getHostByName(self, name: str, timeout: Any = None) -> defer.Deferred[str]:
        if name == "localhost" or name.replace(".", "").isdigit():
            return super().getHostByName(name, timeout)
        return defer.fail(DNSLookupError(f"{name}: no such host (test resolver)"))
