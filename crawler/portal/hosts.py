"""Which hosts belong to the inspected site: the homepage's, its registered domain's, the registry's domains."""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit

import tldextract

# A suffix list that ships with tldextract: an inspection host must not fetch one from the internet.
_EXTRACT = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)


class SiteHosts:
    """The site's own hosts; a link elsewhere is external (checked, never crawled)."""

    def __init__(self, homepage: str, domains: Iterable[str]) -> None:
        domains = tuple(domains)
        self.own_netlocs = {urlsplit(homepage).netloc}
        self.netloc_internal: dict[
            str, bool
        ] = {}  # is_internal per host:port, most targets share a few hosts
        self.own_domains = {registered_domain(homepage), *(d.lower() for d in domains)} - {""}
        # the hosts that may resolve to private addresses (crawler/netguard.py)
        self.own_hosts = frozenset({urlsplit(homepage).hostname or "", *domains}) - {""}

    def is_internal(self, url: str) -> bool:
        """On the site's own hosts: its registered domain, or one of the registry's extra domains."""
        netloc = urlsplit(url).netloc
        known = self.netloc_internal.get(netloc)
        if known is None:
            known = self.netloc_internal[netloc] = self._internal_netloc(netloc)
        return known

    def _internal_netloc(self, netloc: str) -> bool:
        if netloc in self.own_netlocs:
            return True
        host = urlsplit(f"//{netloc}").hostname or ""
        domain = registered_domain(f"http://{netloc}/")
        if domain and domain in self.own_domains:
            return True
        return any(host == d or host.endswith("." + d) for d in self.own_domains)


def registered_domain(url: str) -> str:
    """example.gov.cn for http://www.example.gov.cn/x; "" for IP addresses and bare hosts."""
    return _EXTRACT(url).top_domain_under_public_suffix
