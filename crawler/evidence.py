"""Keep what a crawl reads aside (bodies cut at the evidence caps) until its verdicts say what proves them.

Reads GOVHEALTH_EVIDENCE, GOVHEALTH_EVIDENCE_MAX_BYTES, GOVHEALTH_EVIDENCE_PAGE_BYTES and
GOVHEALTH_EVIDENCE_SPOOL_BYTES; pipelines/evidence/pipeline.py writes the archive from the spool.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Self

from scrapy import Request, signals
from scrapy.exceptions import NotConfigured

from crawler.budgets import CrawlBudget
from pipelines.evidence import EvidenceConfig, Exchange, Spool, SpoolFull

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.http import Headers, Response
    from twisted.python.failure import Failure


def _headers(headers: Headers) -> tuple[tuple[str, str], ...]:
    return tuple(
        (name.decode("latin-1"), value.decode("latin-1"))
        for name, values in headers.items()
        for value in values
    )


class EvidenceRecorder:
    """The crawl's evidence spool: every page read (cut at GOVHEALTH_EVIDENCE_PAGE_BYTES), every failed check
    (cut at GOVHEALTH_EVIDENCE_MAX_BYTES) and every transport failure, by reference.

    The spool is an unlinked temporary file, gone when the crawl ends or its process dies.
    Stats: govhealth/evidence/spooled, govhealth/limits/evidence_spool.
    """

    def __init__(self, crawler: Crawler, config: EvidenceConfig) -> None:
        self.crawler = crawler
        self.config = config
        self.spool = Spool(config.spool_bytes)
        self.full = False

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        config = EvidenceConfig.from_settings(crawler.settings)
        if not config.enabled:
            raise NotConfigured("GOVHEALTH_EVIDENCE is off")
        recorder = cls(crawler, config)
        crawler.signals.connect(recorder.engine_stopped, signal=signals.engine_stopped)
        return recorder

    @classmethod
    def of(cls, crawler: Crawler) -> EvidenceRecorder | None:
        """The crawler's recorder, or None when the archive is off (GOVHEALTH_EVIDENCE)."""
        for extension in crawler.extensions.middlewares:
            if isinstance(extension, cls):
                return extension
        return None

    def engine_stopped(self) -> None:
        self.spool.close()

    def response(self, response: Response, *, page: bool) -> int | None:
        """Keep a response: a page up to the page cap, anything else (a check, a gate) up to the check cap."""
        cap = self.config.page_bytes if page else self.config.check_bytes
        body = response.body
        request = response.request
        assert request is not None
        meta = response.meta
        redirects = tuple(meta.get("redirect_urls", ()))
        latency = meta.get("download_latency")
        return self._keep(
            Exchange(
                url=meta.get("govhealth_target") or (redirects[0] if redirects else response.url),
                method=request.method,
                started=_started(latency),
                request_headers=_headers(request.headers),
                elapsed=latency,
                final_url=response.url,
                redirects=redirects,
                status=response.status,
                response_headers=_headers(response.headers),
                body=body[:cap],
                truncated=len(body) > cap
                or bool({"download_stopped", "govhealth_cut"} & set(response.flags)),
            )
        )

    def failure(self, request: Request, failure: Failure, error: str) -> int | None:
        """Keep a transport failure (DNS, refused, reset, timeout, TLS …): no response came."""
        latency = request.meta.get("download_latency")
        return self._keep(
            Exchange(
                url=request.meta.get("govhealth_target") or request.url,
                method=request.method,
                started=_started(latency),
                elapsed=latency,
                redirects=tuple(request.meta.get("redirect_urls", ())),
                error=error,
                message=" ".join(str(failure.value).split())[:500],
            )
        )

    def _keep(self, exchange: Exchange) -> int | None:
        if self.full:
            return None
        try:
            ref = self.spool.add(exchange)
        except SpoolFull:
            self.full = True
            CrawlBudget.of(self.crawler).hit_limit("evidence_spool")
            return None
        self.crawler.stats.inc_value("govhealth/evidence/spooled")
        return ref


def _started(latency: float | None) -> datetime:
    now = datetime.now(UTC)
    return now - timedelta(seconds=latency) if latency else now
