"""The HTTP(S) download handler that waits for the request's server gate (crawler/servergate.py) before connecting.

Reads GOVHEALTH_PER_SERVER_CONCURRENCY, GOVHEALTH_PER_SERVER_DELAY and DNS_TIMEOUT.
"""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING

from scrapy.core.downloader.handlers.http11 import HTTP11DownloadHandler
from scrapy.utils.httpobj import urlparse_cached

from crawler import servergate

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.crawler import Crawler
    from scrapy.http import Response

SERVER_META = "govhealth_server"  # the key the request was admitted under (logs, tests)
WAIT_META = (
    "govhealth_server_wait"  # seconds it waited for its server's turn (the probe's clock leaves them out)
)


class ServerLimitedDownloadHandler(HTTP11DownloadHandler):
    """Scrapy's HTTP/1.1 handler behind the per-server gate.

    The gate is taken here, once the request's own slot (its site's concurrency and delay) has let it go, so
    a request never holds a server's turn while it waits for its site's delay. Stats: govhealth/server/waited.
    """

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self.config = servergate.ServerLimitConfig.from_settings(crawler.settings)

    async def download_request(self, request: Request) -> Response:
        host = urlparse_cached(request).hostname or ""
        keys = servergate.KEYS
        key = keys.known(host) or await keys.key(host, self.config.dns_timeout)
        gate = servergate.gate_for(self.config)
        request.meta[SERVER_META] = key
        started = time.monotonic()
        try:
            token = await gate.acquire(key, self._crawler)
        except asyncio.CancelledError:
            raise servergate.dropped(request.url) from None
        if (waited := time.monotonic() - started) > 0.001:
            request.meta[WAIT_META] = request.meta.get(WAIT_META, 0.0) + waited
            self._crawler.stats.inc_value("govhealth/server/waited")
        try:
            return await super().download_request(request)
        finally:
            gate.release(key, token)
