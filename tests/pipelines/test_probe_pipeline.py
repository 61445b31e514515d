"""ProbePipeline fed hand-made ProbeItems (no spider run, no network): one transaction at close, all or nothing."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from scrapy import Spider
from scrapy.crawler import Crawler
from scrapy.utils.test import get_crawler
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from crawler.spiders import probe
from models.probe import Probe
from models.session import make_sessionmaker, open_database
from models.site import Site
from pipelines.probe import ProbePipeline, ProbeStoreConfig
from pipelines.probe_items import ProbeItem
from tests.conftest import register_site, test_settings

AT = datetime(2026, 11, 20, 8, 30, tzinfo=UTC)
CODES = ("4510000101", "4510000102", "4510000103", "4510000104", "4510000105")


class PassSpider(Spider):
    """Stands in for the probe spider: all the pipeline reads of it is ``sites``."""

    name = "pass"

    def __init__(self, sites: list[Any] | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if sites is not None:
            self.sites = sites


def site_ids(db_url: str) -> dict[str, int]:
    for code in CODES:
        register_site(db_url, code, f"http://{code}.gov.cn.example/", name=f"{code[-1]}号县人民政府")
    engine = open_database(db_url)
    try:
        with make_sessionmaker(engine)() as session:
            return dict(session.execute(select(Site.code, Site.id)).all())
    finally:
        engine.dispose()


def stored(db_url: str) -> list[tuple[int, datetime, bool, int | None, int | None, str | None]]:
    engine = open_database(db_url)
    try:
        with make_sessionmaker(engine)() as session:
            rows = session.execute(
                select(
                    Probe.site_id, Probe.at, Probe.ok, Probe.status, Probe.elapsed_ms, Probe.error
                ).order_by(Probe.site_id)
            )
            return [tuple(row) for row in rows]
    finally:
        engine.dispose()


def items(ids: dict[str, int]) -> list[ProbeItem]:
    outcomes = [
        (True, 200, 120, None),
        (False, 500, 80, "http_error"),
        (False, None, 15000, "timeout"),
        (True, 412, 300, "anti_bot_gate"),
        (False, None, None, "dns"),
    ]
    return [
        ProbeItem(
            ids[code], code, f"{code[-1]}号县人民政府", AT + timedelta(seconds=n), ok, status, elapsed, error
        )
        for n, (code, (ok, status, elapsed, error)) in enumerate(zip(CODES, outcomes, strict=True))
    ]


def opened(db_url: str, sites: list[Any] | None, **settings: Any) -> tuple[Crawler, ProbePipeline]:
    crawler = get_crawler(PassSpider, {"GOVHEALTH_DATABASE_URL": db_url, **settings})
    crawler.spider = PassSpider(sites=sites)
    pipeline = ProbePipeline.from_crawler(crawler)
    pipeline.open_spider()
    return crawler, pipeline


@pytest.mark.parametrize("batch_size", [1, 2, 500])
def test_the_pass_is_written_at_close(db_url: str, batch_size: int) -> None:
    ids = site_ids(db_url)
    probes = items(ids)
    crawler, pipeline = opened(db_url, sites=list(CODES), GOVHEALTH_BATCH_SIZE=batch_size)
    for item in probes:
        assert pipeline.process_item(item) is item
    assert stored(db_url) == []  # nothing before the spider closes
    pipeline.close_spider()
    assert stored(db_url) == [(i.site_id, i.at, i.ok, i.status, i.elapsed_ms, i.error) for i in probes]
    assert pipeline.stored
    assert pipeline.probes == probes
    assert crawler.stats is not None
    assert crawler.stats.get_value("govhealth/probes/stored") == len(probes)


def test_other_items_pass_through_unstored(db_url: str) -> None:
    ids = site_ids(db_url)
    _, pipeline = opened(db_url, sites=None)
    other = {"url": "http://example.gov.cn/"}
    assert pipeline.process_item(other) is other
    pipeline.process_item(items(ids)[0])
    pipeline.close_spider()  # a spider without ``sites``: whatever arrived is the pass
    assert [row[0] for row in stored(db_url)] == [ids[CODES[0]]]


def test_a_pass_that_stopped_early_stores_nothing(db_url: str, caplog: pytest.LogCaptureFixture) -> None:
    ids = site_ids(db_url)
    crawler, pipeline = opened(db_url, sites=list(CODES))
    for item in items(ids)[:3]:
        pipeline.process_item(item)
    with caplog.at_level(logging.WARNING, logger="pipelines.probe"):
        pipeline.close_spider()
    assert stored(db_url) == []
    assert not pipeline.stored
    assert crawler.stats is not None
    assert crawler.stats.get_value("govhealth/probes/stored") is None
    assert "stopped early (3 of 5 sites): nothing stored" in caplog.text


def test_a_failed_insert_is_logged_re_raised_and_rolled_back(
    db_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    ids = site_ids(db_url)
    probes = items(ids)
    probes[-1].site_id = max(ids.values()) + 1000  # no such site: the foreign key refuses the last batch
    _, pipeline = opened(db_url, sites=list(CODES), GOVHEALTH_BATCH_SIZE=2)
    for item in probes:
        pipeline.process_item(item)
    with caplog.at_level(logging.ERROR, logger="pipelines.probe"), pytest.raises(IntegrityError):
        pipeline.close_spider()
    assert stored(db_url) == []  # the first two batches went in the same transaction: rolled back too
    assert not pipeline.stored
    assert "Could not store the probe pass (5 probes) in sqlite:///" in caplog.text


@pytest.mark.parametrize("value", [0, -3])
def test_bad_batch_size_is_refused(value: int) -> None:
    with pytest.raises(ValueError, match="GOVHEALTH_BATCH_SIZE must be >= 1"):
        ProbeStoreConfig.from_settings(get_crawler(settings_dict={"GOVHEALTH_BATCH_SIZE": value}).settings)


def test_config_is_read_once_from_settings(db_url: str) -> None:
    crawler = get_crawler(settings_dict={"GOVHEALTH_DATABASE_URL": db_url, "GOVHEALTH_BATCH_SIZE": "7"})
    assert ProbePipeline.from_crawler(crawler).config == ProbeStoreConfig(db_url, 7)


def test_the_probe_spider_runs_only_this_pipeline(db_url: str) -> None:
    """The portal's StorePipeline (in the project's ITEM_PIPELINES) must never see a probe."""
    crawler = get_crawler(probe.ProbeSpider, test_settings(db_url))
    assert crawler.settings.getdict("ITEM_PIPELINES") == {"pipelines.probe.ProbePipeline": 800}
    assert probe.ProbeItem is ProbeItem  # the spider module still exports the item
