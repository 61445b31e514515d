"""The plain-Scrapy floor of bench_crawl.py: a minimal spider making govhealth's requests and nothing else.

GET for the site's pages and for page-shaped links (``.html``, ``/``), HEAD for the rest, links read with lxml,
each distinct target requested once; no judging, no storage. Run by ``floor.py`` with ``scrapy runspider``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, ClassVar
from urllib.parse import urljoin, urlsplit

import lxml.html
from scrapy import Request, Spider
from scrapy.http import Response, TextResponse

LINK_XPATH = "//a/@href | //img/@src | //link/@href | //script/@src | //iframe/@src | //frame/@src"
PAGE_SUFFIXES = (".html", ".htm", ".shtml", "/")


class FloorSpider(Spider):
    """``-a start=URL``: crawl the start URL's host, request every other target once."""

    name = "floor"
    custom_settings: ClassVar[dict[str, Any]] = {"HTTPERROR_ALLOW_ALL": True}

    def __init__(self, start: str = "", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.start_url = start
        self.host = urlsplit(start).netloc
        self.seen: set[str] = {start}

    async def start(self) -> Any:
        yield Request(self.start_url, callback=self.parse_page, dont_filter=True)

    def parse_page(self, response: Response) -> Iterator[Request]:
        if not isinstance(response, TextResponse) or response.status != 200:
            return
        tree = lxml.html.fromstring(response.body)
        for href in tree.xpath(LINK_XPATH):
            url = urljoin(response.url, str(href)).split("#", 1)[0]
            if url in self.seen or not url.startswith("http"):
                continue
            self.seen.add(url)
            path = urlsplit(url).path or "/"
            page = path.endswith(PAGE_SUFFIXES)
            if page and urlsplit(url).netloc == self.host:
                yield Request(url, callback=self.parse_page, dont_filter=True)
            else:
                yield Request(url, method="GET" if page else "HEAD", callback=self.checked, dont_filter=True)

    def checked(self, response: Response) -> None:
        pass
