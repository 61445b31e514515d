"""One parse per page: the Document's readers give what the string APIs give, on one shared tree."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from pipelines.rules import document as document_module
from pipelines.rules.cms import datastore_fragments
from pipelines.rules.columns import analyse_list_page, discover_columns, homepage_newest_date, page_as_column
from pipelines.rules.document import Document
from pipelines.rules.links import extract_links

SITE = Path(__file__).resolve().parents[3] / "crawler" / "demo" / "site"
PAGES = sorted(SITE.rglob("*.html"))
TODAY = date(2026, 12, 1)


def url_of(path: Path) -> str:
    return "http://www.example.gov.cn/" + path.relative_to(SITE).as_posix()


@pytest.mark.parametrize("path", PAGES, ids=lambda p: p.relative_to(SITE).as_posix())
def test_every_reader_of_a_document_agrees_with_its_string_api(path: Path) -> None:
    html, url = path.read_text(encoding="utf-8", errors="replace"), url_of(path)
    doc = Document(html, url)
    assert doc.links(limit=10_000) == extract_links(html, url, limit=10_000)
    page = doc.column_page
    assert page.root is doc.tree[0]  # the links were read first, so the column reading shares their tree
    assert discover_columns(html, url, page=page) == discover_columns(html, url)
    assert analyse_list_page(html, url, TODAY, page=page) == analyse_list_page(html, url, TODAY)
    assert homepage_newest_date(html, url, TODAY, page=page) == homepage_newest_date(html, url, TODAY)
    assert page_as_column(html, url, TODAY, page=page) == page_as_column(html, url, TODAY)
    assert doc.datastore_records() == datastore_fragments(html)


def test_a_page_is_parsed_once_for_links_and_columns(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    real = document_module.parse_html_checked
    monkeypatch.setattr(document_module, "parse_html_checked", lambda html: calls.append(1) or real(html))
    html = (SITE / "index.html").read_text(encoding="utf-8")
    doc = Document(html, "http://www.example.gov.cn/")
    doc.links()
    discover_columns(html, doc.url, page=doc.column_page)
    homepage_newest_date(html, doc.url, TODAY, page=doc.column_page)
    doc.datastore_records()
    assert calls == [1]


def test_columns_read_before_links_do_not_lose_links_to_the_pruned_tree() -> None:
    html = (
        '<html><body><script src="/app.js"></script><ul><li><a href="/a.html">甲</a></li></ul></body></html>'
    )
    doc = Document(html, "http://www.example.gov.cn/")
    assert doc.column_page.root.find(".//script") is None  # the column reading drops scripts
    assert [link.url for link in doc.links()] == [
        "http://www.example.gov.cn/app.js",
        "http://www.example.gov.cn/a.html",
    ]


def test_a_link_after_a_too_deep_nesting_is_still_found() -> None:
    html = "<html><body>" + "<div>" * 300 + '<a href="/deep.html">深</a>' + "</div>" * 300 + "</body></html>"
    doc = Document(html, "http://www.example.gov.cn/")
    assert doc.tree[1]  # libxml2 cut it short
    assert "http://www.example.gov.cn/deep.html" in [link.url for link in doc.links()]
