"""The cyclic garbage collector's thresholds during a crawl, and the time it took, in the crawl's stats."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest
from scrapy import Spider
from scrapy.exceptions import NotConfigured
from scrapy.utils.project import get_project_settings
from scrapy.utils.test import get_crawler

from crawler.gctuning import GcTuning, parse_thresholds


@pytest.fixture(autouse=True)
def keep_thresholds() -> Iterator[None]:
    before = gc.get_threshold()
    yield
    gc.set_threshold(*before)


@pytest.mark.parametrize(("value", "expected"), [("50000,20,100", (50000, 20, 100)), ("1000", (1000,)),
                                                 (" 7000 , 10 ", (7000, 10))])  # fmt: skip
def test_parse_thresholds(value: str, expected: tuple[int, ...]) -> None:
    assert parse_thresholds(value) == expected


@pytest.mark.parametrize("value", ["abc", "1,2,3,4", "-1", "50000,,100", "1.5"])
def test_bad_thresholds_are_a_clear_error(value: str) -> None:
    with pytest.raises(
        ValueError, match="GOVHEALTH_GC_THRESHOLDS must be 1 to 3 comma-separated whole numbers"
    ):
        parse_thresholds(value)


def test_thresholds_set_and_collections_recorded() -> None:
    crawler = get_crawler(Spider, {"GOVHEALTH_GC_THRESHOLDS": "40000,15,90"})
    extension = GcTuning.from_crawler(crawler)
    assert gc.get_threshold() == (40000, 15, 90)
    spider = Spider("x")
    extension.spider_opened(spider)
    gc.collect()
    gc.collect()
    extension.spider_closed(spider)
    assert crawler.stats.get_value("gc/collections") >= 2
    assert crawler.stats.get_value("gc/seconds") >= 0


@pytest.mark.parametrize("value", ["", "default"])
def test_cpythons_own_thresholds_on_request(value: str) -> None:
    with pytest.raises(NotConfigured):
        GcTuning.from_crawler(get_crawler(Spider, {"GOVHEALTH_GC_THRESHOLDS": value}))


def test_the_project_enables_it() -> None:
    settings = get_project_settings()
    assert "crawler.gctuning.GcTuning" in settings.getdict("EXTENSIONS")
    assert parse_thresholds(settings.get("GOVHEALTH_GC_THRESHOLDS")) == (50000, 20, 100)
