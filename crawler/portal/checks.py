"""Link checks of the portal spider: GET for pages, HEAD (then GET when needed) for the rest, the link cache, verdicts.

Reads nothing itself; the check body budget is CHECK_BODY_BYTES (crawler/bodycap.py stops there).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from scrapy import Request
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response, TextResponse
from twisted.python.failure import Failure

from crawler.recheck import RECHECK_SLOT
from crawler.transport import transport_error
from pipelines.rules.kinds import LinkState, PageKind, ResourceType
from pipelines.rules.links import Observation, Verdict, classify, first_check_method, needs_get

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

    from crawler.budgets import CrawlBudget
    from crawler.evidence import EvidenceRecorder
    from crawler.linkcache import MemoryLinkCache
    from crawler.portal.frontier import Frontier
    from pipelines.rules.judge import ColumnReading
    from pipelines.rules.ledger import LinkLedger

CHECK_BODY_BYTES = 64 * 1024  # enough to recognise an error page or an anti-bot gate
# Error answers reach the callbacks; redirects (3xx) are still followed by RedirectMiddleware,
# which handle_httpstatus_all would switch off.
ERROR_STATUSES = [*range(400, 600)]
FRONTIER_META = "govhealth_frontier"  # a request of the frontier's window (crawler/portal/frontier.py)


class LinkChecker:
    """The link-check half of the portal spider (a mixin): its state lives on the spider (``ledger`` …)."""

    if TYPE_CHECKING:
        crawler: Crawler
        homepage: str
        ledger: LinkLedger
        link_cache: MemoryLinkCache | None
        claimed: set[str]
        waiting: set[str]
        columns: dict[str, ColumnReading]

        @property
        def budget(self) -> CrawlBudget: ...
        @property
        def evidence(self) -> EvidenceRecorder | None: ...

        frontier: Frontier

        def feed(self) -> Iterator[Request]: ...

    def check_request(
        self, url: str, method: str | None = None, *, recheck: bool = False, depth: int = 0
    ) -> Request:
        """The check of ``url``; without ``method``, GET for a plain page link and HEAD for the rest."""
        if method is None:
            entry = self.ledger.get(url)
            method = first_check_method(url, entry.resource_type if entry else ResourceType.OTHER)
        meta: dict[str, Any] = {
            "handle_httpstatus_list": ERROR_STATUSES,
            "govhealth_target": url,
            "govhealth_check": True,
            "govhealth_max_bytes": CHECK_BODY_BYTES,
        }
        if recheck:
            meta.update(govhealth_recheck=True, download_slot=RECHECK_SLOT)
        return Request(
            url,
            method=method,
            callback=self.on_check,
            errback=self.on_error,
            dont_filter=True,
            priority=-depth - 1,
            meta=meta,
        )

    def from_cache(self, url: str) -> bool:
        """Use the shared link cache for an external target; True when this crawl must check it itself."""
        cache = self.link_cache
        assert cache is not None
        if (outcome := cache.lookup(url)) is not None:
            self.ledger.record(url, outcome.verdict, outcome.status, cached=True)
            self.crawler.stats.inc_value("govhealth/linkcache/hit")
            return False
        if cache.claim(url):
            self.claimed.add(url)
            self.crawler.stats.inc_value("govhealth/linkcache/miss")
            return True
        self.waiting.add(url)
        cache.wait(url, lambda verdict, status: self.cache_answered(url, verdict, status))
        return False

    def cache_answered(self, url: str, verdict: Verdict | None, status: int | None) -> None:
        """Another crawl finished (or abandoned) the check of a target this crawl waits for."""
        if url not in self.waiting:
            return  # this crawl stopped waiting and checked it itself (GOVHEALTH_LINK_CACHE_WAIT)
        self.waiting.discard(url)
        if verdict is not None:
            self.ledger.record(url, verdict, status, cached=True)
            self.crawler.stats.inc_value("govhealth/linkcache/shared")
        elif self.crawler.engine is not None and self.crawler.crawling:
            self.claimed.add(url)
            self.crawler.engine.crawl(self.check_request(url))

    def on_check(self, response: Response) -> Iterator[Request]:
        if response.meta.get(FRONTIER_META):
            self.frontier.answered()
        target = response.meta["govhealth_target"]
        obs = self.observe(response, target)
        if response.request is not None and response.request.method == "HEAD" and needs_get(obs):
            yield self.check_request(target, "GET", recheck=response.meta.get("govhealth_recheck", False))
        else:
            verdict = classify(obs)
            self.record(
                target,
                verdict,
                response.status,
                recheck=response.meta.get("govhealth_recheck", False),
                evidence=self.keep_failed(response, verdict),
            )
        yield from self.feed()

    def on_error(self, failure: Failure) -> Iterator[Request]:
        request = failure.request  # type: ignore[attr-defined]
        if request.meta.get(FRONTIER_META):
            self.frontier.answered()
        if self.budget.time_up and isinstance(failure.value, IgnoreRequest):
            return  # dropped unsent at the time budget: left unchecked, not judged
        yield from self.judge_failure(request, failure)
        yield from self.feed()

    def judge_failure(self, request: Request, failure: Failure) -> Iterator[Request]:
        target = request.meta["govhealth_target"]
        error = transport_error(failure)
        if (column := self.columns.get(target)) is not None and column.page_kind == PageKind.PENDING:
            column.error = error
        recheck = request.meta.get("govhealth_recheck", False)
        entry = self.ledger.get(target)
        obs = Observation(
            url=target,
            method=request.method,
            status=None,
            error=error,
            expected_type=entry.resource_type if entry else ResourceType.PAGE,
            homepage_url=self.homepage,
            internal=entry.internal if entry else True,
        )
        if request.method == "HEAD" and needs_get(obs):
            yield self.check_request(target, "GET", recheck=recheck)
            return
        kept = self.evidence.failure(request, failure, error) if self.evidence is not None else None
        self.record(target, classify(obs), None, recheck=recheck, evidence=kept)

    def judge(self, response: Response, target: str) -> Verdict:
        verdict = classify(self.observe(response, target))
        self.record(
            target,
            verdict,
            response.status,
            recheck=response.meta.get("govhealth_recheck", False),
            evidence=self.keep_failed(response, verdict),
        )
        return verdict

    def keep_page(self, response: Response) -> int | None:
        """Keep a page read (a link's source, a list page, list data) as possible evidence (crawler/evidence.py)."""
        return self.evidence.response(response, page=True) if self.evidence is not None else None

    def keep_failed(self, response: Response, verdict: Verdict) -> int | None:
        """Keep the answer of a failed check as evidence (crawler/evidence.py); a good answer proves nothing."""
        if self.evidence is None or verdict.state is LinkState.OK:
            return None
        return self.evidence.response(response, page=False)

    def record(
        self,
        url: str,
        verdict: Verdict,
        status: int | None = None,
        *,
        recheck: bool = False,
        evidence: int | None = None,
    ) -> None:
        self.ledger.record(url, verdict, status, recheck=recheck, evidence=evidence)
        self.crawler.stats.inc_value(f"govhealth/checks/{verdict.state}")
        target = self.ledger.get(url)
        if url in self.claimed and target is not None and not target.needs_recheck:
            self.claimed.discard(url)  # final: share it with the other crawls and later runs
            self.link_cache.publish(url, target.verdict, target.status)  # type: ignore[union-attr,arg-type]

    def observe(self, response: Response, target: str) -> Observation:
        entry = self.ledger.get(target)
        # every Set-Cookie counts for gate detection (wzws_cid, __jsluid …), not only the last one
        headers = {
            key.decode("latin-1").lower(): "\n".join(v.decode("latin-1") for v in values)
            for key, values in response.headers.items()
            if values
        }
        body = response.text[:CHECK_BODY_BYTES] if isinstance(response, TextResponse) else ""
        assert response.request is not None
        return Observation(
            url=target,
            method=response.request.method,
            status=response.status,
            error=None,
            final_url=response.url,
            redirect_chain=tuple(response.meta.get("redirect_urls", ())),
            headers=headers,
            body=body,
            expected_type=entry.resource_type if entry else ResourceType.PAGE,
            homepage_url=self.homepage,
            internal=entry.internal if entry else True,
        )
