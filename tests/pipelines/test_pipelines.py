"""The findings and store pipelines fed with hand-made items: no spider, no network."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from scrapy import Spider
from scrapy.utils.test import get_crawler
from sqlalchemy import select

from models.column import Column
from models.finding import Finding, FindingHistory
from models.link import LinkCheck
from models.repo import get_site
from models.run import CrawlRun
from models.session import make_sessionmaker, open_database
from models.site import ColumnOverride
from pipelines.findings import FindingsPipeline
from pipelines.items import ColumnItem, CrawlEndItem, CrawlStartItem, HomepageItem, LinkItem, PageItem
from pipelines.rules.kinds import LinkState, ResourceType
from pipelines.rules.links import Verdict
from pipelines.store import StorePipeline
from tests.conftest import register_site

HOME = "http://www.example.gov.cn/"
CODE = "4510000031"


def site_id(db_url: str) -> int:
    engine = open_database(db_url)
    with make_sessionmaker(engine)() as session:
        found = get_site(session, CODE).id
    engine.dispose()
    return found


def crawler_for(db_url: str, **settings: Any) -> Any:
    crawler = get_crawler(
        Spider, {"GOVHEALTH_DATABASE_URL": db_url, "GOVHEALTH_AS_OF": "2026-12-01", **settings}
    )
    crawler.stats.open_spider()
    return crawler


def link(
    url: str,
    state: LinkState = LinkState.OK,
    *,
    status: int | None = 200,
    error: str | None = None,
    sources: tuple[str, ...] = (HOME,),
) -> LinkItem:
    return LinkItem(
        url=url,
        resource_type=ResourceType.PAGE,
        internal=True,
        verdict=Verdict(state, error, "why" if state is not LinkState.OK else "ok"),
        status=status,
        attempts=2 if state is not LinkState.OK else 1,
        link_text="链接",
        sources=sources,
        source_count=len(sources),
        on_homepage=True,
    )


def crawl_items(sid: int, reason: str = "finished") -> list[Any]:
    blank = ColumnItem(url=HOME + "tzgg/", name="通知公告", how="nav", page_kind="list", item_count=0)
    fresh = ColumnItem(
        url=HOME + "xwdt/",
        name="新闻动态",
        how="nav",
        page_kind="list",
        item_count=3,
        dates=[date(2026, 11, 30)],
    )
    return [
        CrawlStartItem(sid, CODE),
        PageItem(HOME, 0, 200),
        PageItem(HOME + "tzgg/", 1, 200),
        link(HOME),
        link(HOME + "gone.html", LinkState.BROKEN, status=404, error="http_error"),
        link(HOME + "gate.html", LinkState.UNVERIFIED, status=412, error="anti_bot_gate"),
        blank,
        fresh,
        HomepageItem(HOME, read=True, latest=date(2026, 11, 30), dated=4),
        CrawlEndItem(sid, CODE, reason),
    ]


def judged(db_url: str, items: list[Any], **settings: Any) -> tuple[CrawlEndItem, Any]:
    crawler = crawler_for(db_url, **settings)
    pipeline = FindingsPipeline.from_crawler(crawler)
    out = [pipeline.process_item(item) for item in items]
    assert out == items  # every item passes on, unchanged in identity
    end = out[-1]
    assert isinstance(end, CrawlEndItem)
    return end, crawler


def test_findings_pipeline_judges_links_columns_and_homepage(db_url: str) -> None:
    register_site(db_url, CODE, HOME)
    end, crawler = judged(db_url, crawl_items(site_id(db_url)))
    kinds = sorted((f["kind"], f["url"]) for f in end.findings)
    assert kinds == [
        ("blank_column", HOME + "tzgg/"),
        ("broken_link", HOME + "gone.html"),
        ("unverified_link", HOME + "gate.html"),
    ]
    assert all(len(f["fingerprint"]) > 10 for f in end.findings)
    assert {c["url"]: c["status"] for c in end.columns} == {HOME + "tzgg/": "blank", HOME + "xwdt/": "ok"}
    assert len(end.links) == 3
    assert crawler.stats.get_value("govhealth/findings/broken_link") == 1
    assert crawler.stats.get_value("govhealth/homepage/latest_date") == "2026-11-30"


def test_findings_pipeline_applies_the_operators_column_override(db_url: str) -> None:
    register_site(db_url, CODE, HOME)
    sid = site_id(db_url)
    engine = open_database(db_url)
    with make_sessionmaker(engine).begin() as session:
        session.add(ColumnOverride(site_id=sid, url=HOME + "tzgg/", name="机构职能", category="other"))
    engine.dispose()
    end, _crawler = judged(db_url, crawl_items(sid))
    row = next(c for c in end.columns if c["url"] == HOME + "tzgg/")
    assert (row["name"], row["category"]) == ("机构职能", "other")


def test_a_failed_homepage_is_site_unreachable_not_a_broken_link(db_url: str) -> None:
    register_site(db_url, CODE, HOME)
    sid = site_id(db_url)
    items = [
        CrawlStartItem(sid, CODE),
        link(HOME, LinkState.BROKEN, status=None, error="dns", sources=()),
        HomepageItem(HOME, read=False, latest=None, dated=0),
        CrawlEndItem(sid, CODE, "finished"),
    ]
    end, _crawler = judged(db_url, items)
    assert [f["kind"] for f in end.findings] == ["site_unreachable"]


def store(db_url: str, items: list[Any]) -> Any:
    _end, crawler = judged(db_url, items)
    pipeline = StorePipeline.from_crawler(crawler)
    pipeline.open_spider()
    for item in items:
        pipeline.process_item(item)
    return pipeline


@pytest.mark.parametrize(
    ("reason", "status", "history"), [("finished", "complete", 3), ("shutdown", "incomplete", 0)]
)
def test_store_pipeline_writes_the_run_from_items_only(
    db_url: str, reason: str, status: str, history: int
) -> None:
    register_site(db_url, CODE, HOME)
    sid = site_id(db_url)
    pipeline = store(db_url, crawl_items(sid, reason))
    engine = open_database(db_url)
    with make_sessionmaker(engine)() as session:
        run = session.scalars(select(CrawlRun)).one()
        assert run.id == pipeline.run_id and run.site_id == sid
        assert (run.status, run.close_reason, run.pages, run.targets, run.broken, run.unverified) == (
            status,
            reason,
            2,
            3,
            1,
            1,
        )
        assert len(session.scalars(select(LinkCheck).where(LinkCheck.run_id == run.id)).all()) == 3
        assert sorted(f.kind for f in session.scalars(select(Finding))) == [
            "blank_column",
            "broken_link",
            "unverified_link",
        ]
        assert len(session.scalars(select(Column)).all()) == 2
        assert len(session.scalars(select(FindingHistory)).all()) == history  # a partial run is not history
    engine.dispose()


def test_a_budget_makes_the_stored_run_incomplete(db_url: str) -> None:
    register_site(db_url, CODE, HOME)
    sid = site_id(db_url)
    items = crawl_items(sid)
    items[-1] = CrawlEndItem(sid, CODE, "finished", budget_hit="max_pages", limits=("max_pages",))
    store(db_url, items)
    engine = open_database(db_url)
    with make_sessionmaker(engine)() as session:
        run = session.scalars(select(CrawlRun)).one()
        assert (run.status, run.budget_hit, run.limits) == ("incomplete", "max_pages", ["max_pages"])
    engine.dispose()
