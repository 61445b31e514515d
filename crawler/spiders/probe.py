"""The probe spider: one timed GET of each given homepage, for the availability ratio (`scrapy probe`).

Reads GOVHEALTH_PROBE_TIMEOUT (float seconds, default 15: the budget from sending the request to having
the whole response, redirects included) and GOVHEALTH_MAX_PAGE_BYTES (bytes read of one homepage).
"""

from __future__ import annotations

import math
import os
from collections.abc import AsyncIterator, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from time import monotonic
from typing import TYPE_CHECKING, Any, Self
from urllib.parse import urlsplit

from scrapy import Request, Spider, signals
from scrapy.exceptions import StopDownload
from scrapy.http import Response, TextResponse
from scrapy.spidermiddlewares.httperror import HttpError

from crawler import servergate
from crawler.serverlimit import WAIT_META
from crawler.transport import transport_error
from pipelines.probe_items import ProbeItem
from pipelines.rules.links import detect_anti_bot_gate

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.settings import BaseSettings
    from twisted.python.failure import Failure

    from models.repo import SiteInfo

__all__ = ["ProbeConfig", "ProbeItem", "ProbeSpider"]

GATE_BODY_CHARS = 64 * 1024  # enough to recognise an anti-bot gate


@dataclass(frozen=True)
class ProbeConfig:
    """Validated GOVHEALTH_PROBE_TIMEOUT / GOVHEALTH_MAX_PAGE_BYTES settings."""

    timeout: float
    max_bytes: int

    @classmethod
    def from_settings(cls, settings: BaseSettings) -> ProbeConfig:
        # settings.py defines every GOVHEALTH_* setting from its environment variable; this one may not be there yet
        raw = settings.get("GOVHEALTH_PROBE_TIMEOUT", os.environ.get("GOVHEALTH_PROBE_TIMEOUT", "15"))
        try:
            timeout = settings.getfloat("GOVHEALTH_PROBE_TIMEOUT", float(raw))
        except (TypeError, ValueError):
            timeout = math.nan
        if not 0 < timeout < math.inf:
            raise ValueError(f"GOVHEALTH_PROBE_TIMEOUT must be a number of seconds > 0, got {raw!r}")
        max_bytes = settings.getint("GOVHEALTH_MAX_PAGE_BYTES", 4 * 1024 * 1024)
        if max_bytes < 1:
            raise ValueError(f"GOVHEALTH_MAX_PAGE_BYTES must be >= 1, got {max_bytes}")
        return cls(timeout, max_bytes)


class ProbeSpider(Spider):
    """GET each homepage once, redirects followed, no retries, within GOVHEALTH_PROBE_TIMEOUT in total.

    The clock of a probe runs only while one of its requests is in the downloader (each site has its own
    download slot, so no probe waits behind another site's), summed over the redirect hops; each hop's
    download timeout is what is left of the budget. Stats: govhealth/probes/ok, govhealth/probes/failed.
    It yields ProbeItems (pipelines/probe_items.py, re-exported here); its own ITEM_PIPELINES run only
    pipelines.probe.ProbePipeline, which stores the pass (the portal's StorePipeline never runs for it).
    """

    name = "probe"
    custom_settings: dict[str, Any] | None = {  # noqa: RUF012 - Scrapy reads it off the class
        "ITEM_PIPELINES": {"pipelines.probe.ProbePipeline": 800},
    }
    config: ProbeConfig

    def __init__(self, sites: Iterable[SiteInfo] = (), **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.sites = list(sites)
        # the registered homepages may be on private addresses; nothing else may (crawler/netguard.py)
        self.own_hosts = frozenset(urlsplit(site.url).hostname or "" for site in self.sites) - {""}
        for site in self.sites:  # probes of sites on one platform share its per-server limit
            servergate.KEYS.register(frozenset({urlsplit(site.url).hostname or ""}) - {""}, site.platform)

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> Self:
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.config = ProbeConfig.from_settings(crawler.settings)
        crawler.signals.connect(spider.on_reached, signal=signals.request_reached_downloader)
        crawler.signals.connect(spider.on_left, signal=signals.request_left_downloader)
        crawler.signals.connect(spider.on_bytes, signal=signals.bytes_received)
        return spider

    async def start(self) -> AsyncIterator[Any]:
        for site in self.sites:
            yield Request(
                site.url,
                callback=self.parse,
                errback=self.failed,
                dont_filter=True,
                meta={
                    "probe_site": site,
                    "download_slot": f"govhealth-probe-{site.code}",
                    "handle_httpstatus_list": [*range(400, 600)],  # redirects are still followed
                },
            )

    # -- the clock ---------------------------------------------------------------------------------

    def on_reached(self, request: Request, spider: Spider) -> None:
        meta = request.meta
        if "probe_site" not in meta:
            return
        meta.setdefault("probe_at", datetime.now(UTC))
        meta["probe_hop_started"] = monotonic()
        meta["download_timeout"] = max(self.config.timeout - meta.get("probe_spent", 0.0), 0.001)

    def on_left(self, request: Request, spider: Spider) -> None:
        meta = request.meta  # RedirectMiddleware copies it into the next hop after this signal
        if "probe_hop_started" in meta:
            # the wait for the server's turn (sites sharing a server, crawler/servergate.py) is ours, not the site's
            hop = monotonic() - meta.pop("probe_hop_started") - meta.pop(WAIT_META, 0.0)
            meta["probe_spent"] = meta.get("probe_spent", 0.0) + max(hop, 0.0)

    def on_bytes(self, data: bytes, request: Request, spider: Spider) -> None:
        """A huge or endless homepage has answered once GOVHEALTH_MAX_PAGE_BYTES have arrived."""
        received = request.meta["probe_bytes"] = request.meta.get("probe_bytes", 0) + len(data)
        if received >= self.config.max_bytes:
            raise StopDownload(fail=False)

    # -- outcomes ----------------------------------------------------------------------------------

    def parse(self, response: Response, **kwargs: Any) -> Iterator[ProbeItem]:
        status, spent = response.status, response.meta.get("probe_spent", 0.0)
        gate = self.gate(response) if status >= 300 else None  # a 2xx is ok anyway: spare the regexes
        if spent > self.config.timeout:
            yield self.item(response.meta, ok=False, status=status, error="timeout")
        elif gate:  # the server answered, behind its gate: the site opens for a browser
            self.logger.info("%s answered HTTP %d behind an anti-bot gate (%s)", response.url, status, gate)
            yield self.item(response.meta, ok=True, status=status, error="anti_bot_gate")
        else:
            ok = 200 <= status < 300
            yield self.item(response.meta, ok=ok, status=status, error=None if ok else "http_error")

    def gate(self, response: Response) -> str | None:
        """The anti-bot gate or WAF that gave this error answer, if any."""
        headers = {
            k.decode("latin-1").lower(): "\n".join(v.decode("latin-1") for v in vs)
            for k, vs in response.headers.items()
            if vs
        }
        body = response.text[:GATE_BODY_CHARS] if isinstance(response, TextResponse) else ""
        return detect_anti_bot_gate(
            response.status, body, headers, (response.url, *response.meta.get("redirect_urls", ()))
        )

    def failed(self, failure: Failure) -> Iterator[ProbeItem]:
        if isinstance(failure.value, HttpError):  # a final 1xx/3xx that was not followed
            response = failure.value.response
            yield self.item(response.meta, ok=False, status=response.status, error="http_error")
        else:
            request = failure.request  # type: ignore[attr-defined]
            yield self.item(request.meta, ok=False, status=None, error=transport_error(failure))

    def item(self, meta: dict[str, Any], *, ok: bool, status: int | None, error: str | None) -> ProbeItem:
        site: SiteInfo = meta["probe_site"]
        self.crawler.stats.inc_value(f"govhealth/probes/{'ok' if ok else 'failed'}")
        spent = meta.get("probe_spent")
        return ProbeItem(
            site.id,
            site.code,
            site.name,
            meta.get("probe_at") or datetime.now(UTC),
            ok,
            status,
            round(spent * 1000) if spent is not None else None,
            error,
        )
