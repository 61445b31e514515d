"""Scrapy's per-response and per-item DEBUG lines are built only when LOG_LEVEL shows them."""

from __future__ import annotations

import pytest
from scrapy import Request, Spider
from scrapy.http import Response
from scrapy.utils.project import get_project_settings
from scrapy.utils.test import get_crawler

from crawler.logformatter import QuietLogFormatter


@pytest.mark.parametrize(
    ("level", "shown"), [("INFO", False), ("WARNING", False), ("DEBUG", True), (10, True)]
)
def test_crawled_and_scraped_lines_only_at_debug(level: str | int, shown: bool) -> None:
    formatter = QuietLogFormatter.from_crawler(get_crawler(Spider, {"LOG_LEVEL": level}))
    request = Request("http://127.0.0.1/a.html")
    response = Response(request.url, request=request)
    spider = Spider("x")
    assert (formatter.crawled(request, response, spider) is not None) is shown
    assert (formatter.scraped({"url": request.url}, response, spider) is not None) is shown


def test_the_project_uses_it() -> None:
    assert get_project_settings().get("LOG_FORMATTER") == "crawler.logformatter.QuietLogFormatter"
