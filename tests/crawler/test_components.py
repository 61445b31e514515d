"""The crawl's policy components on their own: budgets, the body cap, the re-check lane, robots.txt and the
link cache back ends (no network, no spider run)."""

from __future__ import annotations

from collections import deque
from datetime import timedelta
from typing import Any

import pytest
import pytest_twisted
from protego import Protego
from scrapy import Request, Spider
from scrapy.exceptions import DontCloseSpider, IgnoreRequest, NotConfigured, StopDownload
from scrapy.http import Headers
from scrapy.utils.test import get_crawler
from twisted.internet.defer import Deferred

from crawler.bodycap import BodyCap
from crawler.budgets import CLOSE_REASON, CrawlBudget
from crawler.linkcache import LinkCache, LinkCacheComponent, MemoryLinkCache
from crawler.recheck import RECHECK_SLOT, RecheckLane
from crawler.robots import RobotsPolicy
from pipelines.rules.kinds import LinkState, ResourceType
from pipelines.rules.ledger import LinkLedger
from pipelines.rules.links import Verdict

SETTINGS = {"EXTENSIONS": {"crawler.budgets.CrawlBudget": 10}}


class BudgetedSpider(Spider):
    name = "budgeted"
    govhealth_budgets = True
    code = "4510000031"


class OtherSpider(Spider):
    name = "other"


def crawler_for(spider_cls: type[Spider] = BudgetedSpider, **settings: Any) -> Any:
    crawler = get_crawler(spider_cls, {**SETTINGS, **settings})
    crawler.stats.open_spider()
    return crawler


class FakeEngine:
    """The parts of Scrapy's engine the components touch."""

    def __init__(self) -> None:
        self.crawled: list[Request] = []
        self.closed_with: list[str] = []
        self.downloader = type("D", (), {})()
        self.downloader.slots = {}
        self.downloader.middleware = type("M", (), {"middlewares": []})()

    def crawl(self, request: Request) -> None:
        self.crawled.append(request)

    async def close_spider_async(self, *, reason: str) -> None:
        self.closed_with.append(reason)


# -- budgets -------------------------------------------------------------------------------------------


def test_the_first_budget_reached_is_kept_and_every_limit_named_once() -> None:
    crawler = crawler_for()
    budget = CrawlBudget.of(crawler)
    budget.hit_limit("max_url_length")
    budget.hit_budget("max_pages")
    budget.hit_budget("max_depth")
    budget.hit_budget("max_pages")
    assert budget.budget_hit == "max_pages"
    assert budget.limits == ["max_url_length", "max_pages", "max_depth"]
    assert crawler.stats.get_value("govhealth/budget/max_pages") == 2
    assert crawler.stats.get_value("govhealth/limits/max_url_length") == 1


def test_only_budgeted_spiders_get_a_deadline() -> None:
    from twisted.internet import reactor

    budget = CrawlBudget.of(crawler_for(GOVHEALTH_MAX_SECONDS=600))
    budget.spider_opened(OtherSpider())
    assert budget.deadline_at is None
    budget.spider_opened(BudgetedSpider())
    assert budget.deadline_at is not None
    assert budget._deadline is not None and budget._deadline.active()
    assert budget._deadline.getTime() - reactor.seconds() == pytest.approx(600, abs=5)
    budget.spider_closed(BudgetedSpider())
    assert not budget._deadline.active()


@pytest_twisted.inlineCallbacks
def test_time_up_drops_queued_downloads_and_waits_and_closes_with_its_reason() -> Any:
    crawler = crawler_for()
    engine = crawler.engine = FakeEngine()
    queued: Deferred[Any] = Deferred()
    failures: list[Any] = []
    queued.addErrback(failures.append)
    engine.downloader.slots["site"] = type(
        "Slot", (), {"queue": deque([(Request("http://a.example/"), queued)])}
    )()
    cancelled = []
    engine.downloader.middleware.middlewares.append(
        type("RL", (), {"cancel_waits": lambda self: cancelled.append(1)})()
    )
    budget = CrawlBudget.of(crawler)
    yield budget.expire()
    assert budget.time_up and budget.budget_hit == "max_seconds"
    assert len(failures) == 1 and failures[0].check(IgnoreRequest)
    assert cancelled == [1]
    assert engine.closed_with == [CLOSE_REASON]


# -- body cap ------------------------------------------------------------------------------------------


def body_cap(**settings: Any) -> tuple[BodyCap, Any]:
    crawler = crawler_for(**settings)
    return BodyCap.from_crawler(crawler), crawler


def test_a_page_is_cut_at_its_byte_budget() -> None:
    cap, crawler = body_cap(GOVHEALTH_MAX_PAGE_BYTES=1000)
    request = Request("http://a.example/big.html")
    cap.bytes_received(b"x" * 600, request, BudgetedSpider())
    with pytest.raises(StopDownload):
        cap.bytes_received(b"x" * 600, request, BudgetedSpider())
    assert CrawlBudget.of(crawler).budget_hit == "max_page_bytes"
    assert crawler.stats.get_value("govhealth/pages_truncated") == 1


def test_a_check_reads_only_its_first_bytes_and_robots_is_only_a_limit() -> None:
    cap, crawler = body_cap(GOVHEALTH_MAX_PAGE_BYTES=10_000)
    check = Request("http://a.example/x", meta={"govhealth_check": True, "govhealth_max_bytes": 100})
    with pytest.raises(StopDownload):
        cap.bytes_received(b"x" * 200, check, BudgetedSpider())
    robots = Request(
        "http://a.example/robots.txt", meta={"govhealth_robots": True, "govhealth_max_bytes": 100}
    )
    with pytest.raises(StopDownload):
        cap.bytes_received(b"x" * 200, robots, BudgetedSpider())
    budget = CrawlBudget.of(crawler)
    assert budget.budget_hit is None  # neither makes the run incomplete
    assert budget.limits == ["max_robots_bytes"]


def test_other_spiders_are_not_capped() -> None:
    cap, _crawler = body_cap(GOVHEALTH_MAX_PAGE_BYTES=10)
    cap.bytes_received(b"x" * 100, Request("http://a.example/"), OtherSpider())


@pytest.mark.parametrize(
    ("method", "content_type", "stops"),
    [
        ("GET", b"application/pdf", True),
        ("GET", b"text/html; charset=utf-8", False),
        ("HEAD", b"image/png", False),
    ],
)
def test_a_non_html_check_stops_after_its_headers(method: str, content_type: bytes, stops: bool) -> None:
    cap, _crawler = body_cap()
    request = Request("http://a.example/a.pdf", method=method, meta={"govhealth_check": True})
    headers = Headers({"Content-Type": content_type})
    if stops:
        with pytest.raises(StopDownload):
            cap.headers_received(headers, 100, request, BudgetedSpider())
    else:
        cap.headers_received(headers, 100, request, BudgetedSpider())


def test_a_wrong_page_limit_names_the_setting() -> None:
    with pytest.raises(ValueError, match="GOVHEALTH_MAX_PAGE_BYTES"):
        body_cap(GOVHEALTH_MAX_PAGE_BYTES=0)


# -- re-check lane -------------------------------------------------------------------------------------


class LaneSpider(BudgetedSpider):
    def __init__(self) -> None:
        super().__init__()
        self.ledger = LinkLedger("http://a.example/")
        self.waiting: set[str] = set()

    def check_request(
        self, url: str, method: str = "HEAD", *, recheck: bool = False, depth: int = 0
    ) -> Request:
        return Request(url, method=method, meta={"govhealth_recheck": recheck})

    def recheck_request(self, url: str) -> Request:
        return self.check_request(url, "GET", recheck=True)


def lane_for(**settings: Any) -> tuple[RecheckLane, FakeEngine, LaneSpider]:
    crawler = crawler_for(GOVHEALTH_RECHECK_DELAY=0, **settings)
    engine = crawler.engine = FakeEngine()
    lane = RecheckLane.from_crawler(crawler)
    spider = LaneSpider()
    lane.spider_opened(spider)
    return lane, engine, spider


def failed_once(spider: LaneSpider, url: str) -> None:
    spider.ledger.add(
        url, source_url="http://a.example/", text=None, resource_type=ResourceType.PAGE, internal=True
    )
    spider.ledger.record(url, Verdict(LinkState.BROKEN, "http_error", "HTTP 404"), 404)


def test_failures_keep_the_crawl_open_until_their_recheck_is_sent() -> None:
    lane, engine, spider = lane_for()
    failed_once(spider, "http://a.example/gone.html")
    with pytest.raises(DontCloseSpider):
        lane.spider_idle(spider)
    assert lane.state == "waiting"
    with pytest.raises(DontCloseSpider):  # still waiting for the delay
        lane.spider_idle(spider)
    lane.send_rechecks(spider)
    assert [(r.url, r.method, r.meta["govhealth_recheck"]) for r in engine.crawled] == [
        ("http://a.example/gone.html", "GET", True)
    ]
    spider.ledger.record(
        "http://a.example/gone.html", Verdict(LinkState.BROKEN, "http_error", "HTTP 404"), 404, recheck=True
    )
    lane.spider_idle(spider)  # confirmed: nothing keeps the crawl open


def test_a_crawl_stops_waiting_for_another_crawl_after_the_cache_wait() -> None:
    lane, engine, spider = lane_for(GOVHEALTH_LINK_CACHE_WAIT=0)
    spider.waiting = {"http://b.example/x"}
    with pytest.raises(DontCloseSpider):
        lane.spider_idle(spider)
    assert spider.waiting == set()
    assert [r.url for r in engine.crawled] == ["http://b.example/x"]


def test_a_crawl_waits_for_another_crawl_within_the_cache_wait() -> None:
    lane, engine, spider = lane_for(GOVHEALTH_LINK_CACHE_WAIT=300)
    spider.waiting = {"http://b.example/x"}
    with pytest.raises(DontCloseSpider):
        lane.spider_idle(spider)
    assert spider.waiting == {"http://b.example/x"}
    assert engine.crawled == []


def test_other_spiders_close_when_idle() -> None:
    lane, _engine, _spider = lane_for()
    lane.spider_idle(OtherSpider())


# -- robots.txt ----------------------------------------------------------------------------------------


def robots_for(**settings: Any) -> tuple[RobotsPolicy, Any, FakeEngine]:
    crawler = crawler_for(**settings)
    engine = crawler.engine = FakeEngine()
    return RobotsPolicy.from_crawler(crawler), crawler, engine


@pytest.mark.parametrize(("obey", "disallowed"), [(True, True), (False, False)])
def test_robots_disallows_only_when_obeyed(obey: bool, disallowed: bool) -> None:
    policy, _crawler, _engine = robots_for(GOVHEALTH_OBEY_ROBOTS=obey, USER_AGENT="govhealth/0.1")
    assert not policy.disallows("http://a.example/private/x.html")  # nothing read yet: nothing disallowed
    policy.parser = Protego.parse("User-agent: *\nDisallow: /private/\n")
    assert policy.disallows("http://a.example/private/x.html") is disallowed
    assert not policy.disallows("http://a.example/public.html")


def test_crawl_delay_raises_the_site_slots_up_to_the_cap_but_not_the_recheck_lane() -> None:
    policy, crawler, engine = robots_for(GOVHEALTH_MAX_CRAWL_DELAY=10)
    slot = type("Slot", (), {"delay": 0.25})
    engine.downloader.slots = {"a.example": slot(), RECHECK_SLOT: slot()}
    policy.apply_crawl_delay(60, "a.example")
    assert engine.downloader.slots["a.example"].delay == 10
    assert engine.downloader.slots[RECHECK_SLOT].delay == 0.25
    assert crawler.stats.get_value("govhealth/robots/crawl_delay") == 10
    assert CrawlBudget.of(crawler).limits == ["max_crawl_delay"]


def test_a_crawl_delay_never_lowers_the_download_delay() -> None:
    policy, _crawler, engine = robots_for()
    engine.downloader.slots = {"a.example": type("Slot", (), {"delay": 5.0})()}
    policy.apply_crawl_delay(1, "a.example")
    assert engine.downloader.slots["a.example"].delay == 5.0


# -- link cache ------------------------------------------------------------------------------------------

OK = Verdict(LinkState.OK, None, "HTTP 200 on GET")
BROKEN = Verdict(LinkState.BROKEN, "http_404", "HTTP 404 on GET")


def memory_cache() -> MemoryLinkCache:
    return MemoryLinkCache(timedelta(hours=72), timedelta(hours=6))


def test_a_claimed_target_makes_other_crawls_wait_for_its_outcome() -> None:
    cache = memory_cache()
    answers: list[tuple[Verdict | None, int | None]] = []
    assert cache.claim("http://www.gov.cn/a.html")
    assert not cache.claim("http://www.gov.cn/a.html"), "a second crawl waits instead of checking"
    cache.wait("http://www.gov.cn/a.html", lambda verdict, status: answers.append((verdict, status)))
    cache.publish("http://www.gov.cn/a.html", BROKEN, 404)
    assert answers == [(BROKEN, 404)]
    found = cache.lookup("http://www.gov.cn/a.html")
    assert found is not None and found.verdict == BROKEN, "within one process every final outcome is shared"
    assert cache.fresh == {}, "a broken outcome is never kept for a later run"
    assert cache.claim("http://www.gov.cn/a.html"), "published: the next claim is a new check"


def test_an_abandoned_claim_hands_its_waiters_back() -> None:
    cache = memory_cache()
    cache.claim("http://www.gov.cn/b.html")
    waiter = lambda verdict, status: None
    cache.wait("http://www.gov.cn/b.html", waiter)
    assert cache.abandon("http://www.gov.cn/b.html") == [waiter]
    assert cache.lookup("http://www.gov.cn/b.html") is None
    assert (cache.hits, cache.misses) == (0, 1)


def test_the_memory_back_end_is_bounded_and_keeps_nothing_across_runs() -> None:
    cache = memory_cache()
    cache.memory_limit = 2
    for n in range(3):
        cache.publish(f"http://www.gov.cn/{n}.html", OK, 200)
    assert list(cache.memory) == ["http://www.gov.cn/1.html", "http://www.gov.cn/2.html"], "the oldest goes"
    assert len(cache.fresh) == 3, "ok outcomes are reusable by later runs"
    cache.close()
    assert cache.fresh == {}


def test_the_table_back_end_keeps_ok_outcomes_for_the_next_run(tmp_path: Any) -> None:
    url = f"sqlite:///{tmp_path / 'cache.sqlite3'}"
    hours = timedelta(hours=72)
    first = LinkCache(url, hours, hours)
    first.publish("http://www.gov.cn/ok.html", OK, 200)
    first.publish("http://www.gov.cn/gone.html", BROKEN, 404)
    first.close()
    second = LinkCache(url, hours, hours)
    try:
        kept = second.lookup("http://www.gov.cn/ok.html")
        assert kept is not None and kept.verdict.state is LinkState.OK and kept.status == 200
        assert "(cached " in kept.verdict.reason
        assert second.lookup("http://www.gov.cn/gone.html") is None, "a broken one is checked again"
    finally:
        second.close()


class CachedSpider(BudgetedSpider):
    link_cache: Any = None


def test_a_single_crawl_gets_its_own_cache_and_a_nightly_crawl_keeps_the_shared_one(tmp_path: Any) -> None:
    settings = {
        "EXTENSIONS": {"crawler.linkcache.LinkCacheComponent": 40},
        "GOVHEALTH_DATABASE_URL": f"sqlite:///{tmp_path / 'c.sqlite3'}",
    }
    crawler = get_crawler(CachedSpider, settings)
    component = LinkCacheComponent.from_crawler(crawler)
    spider = CachedSpider()
    component.spider_opened(spider)
    assert isinstance(spider.link_cache, LinkCache)
    spider.link_cache.publish("http://www.gov.cn/ok.html", OK, 200)
    component.spider_closed(spider)
    assert spider.link_cache.fresh == {}, "closing flushed the outcomes to the table"
    reopened = LinkCache(settings["GOVHEALTH_DATABASE_URL"], timedelta(hours=1), timedelta(hours=1))
    try:
        assert reopened.lookup("http://www.gov.cn/ok.html") is not None
    finally:
        reopened.close()

    shared = memory_cache()
    nightly = CachedSpider()
    nightly.link_cache = shared
    component.spider_opened(nightly)
    assert nightly.link_cache is shared
    other = OtherSpider()
    component.spider_opened(other)
    assert not hasattr(other, "link_cache") and component.cache is None


def test_the_link_cache_can_be_switched_off() -> None:
    with pytest.raises(NotConfigured):
        LinkCacheComponent.from_crawler(get_crawler(CachedSpider, {"GOVHEALTH_LINK_CACHE": False}))
