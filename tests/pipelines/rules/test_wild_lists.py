"""Column lists as real government templates write them (issue #15): one fixture per pattern in ``wild/``.

Each fixture opens with a comment saying what it models and the reading expected; the table repeats it.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest

from pipelines.rules.columns import analyse_list_page, newest_date
from pipelines.rules.kinds import PageKind

WILD = Path(__file__).parent / "wild"
TODAY = date(2024, 6, 1)
URL = "http://www.example.gov.cn/xwzx/gzdt/index.html"


@pytest.mark.parametrize(
    ("fixture", "kind", "items", "newest"),
    [
        # TRS avalon templates: every 5 rows in their own <div ms-visible="$showStatic(N)"><ul>
        ("trs_showstatic_75.html", PageKind.LIST, 75, "2024-05-30"),
        # rows in table rows, the date in a <td> of its own
        ("table_rows.html", PageKind.LIST, 6, "2024-05-30"),
        # front-end template rows beside static rows, with a hidden 暂无数据 branch
        ("avalon_template_rows.html", PageKind.LIST, 4, "2024-05-30"),
        ("vue_template_rows.html", PageKind.LIST, 4, "2024-05-30"),
        ("avalon_template_only.html", PageKind.UNKNOWN, 0, None),
        # dates before the title, or after a middle dot
        ("date_before_title.html", PageKind.LIST, 4, "2024-05-30"),
        ("flat_date_before_title.html", PageKind.LIST, 4, "2024-05-30"),
        ("date_after_dot.html", PageKind.LIST, 4, "2024-05-30"),
    ],
)
def test_wild_list_fixture(fixture: str, kind: PageKind, items: int, newest: str | None) -> None:
    page = analyse_list_page((WILD / fixture).read_text(encoding="utf-8"), URL, TODAY)
    found = newest_date(page.items)
    assert (page.kind, len(page.items), found.isoformat() if found else None) == (kind, items, newest)
    assert all(item.date is not None for item in page.items)  # every row read with its own date
    assert page.placeholder is None  # a template's hidden 暂无数据 is no placeholder


def _first_rows(html: str, n: int) -> str:
    """The TRS fixture cut to its first ``n`` rows, in the same wrappers of 5 (lists of 8, 10, 19, 39 rows)."""
    kept = 0

    def cut(block: re.Match[str]) -> str:
        nonlocal kept
        rows = re.findall(r"    <li>.*\n", block[2])[: max(n - kept, 0)]
        kept += len(rows)
        return f"{block[1]}{''.join(rows)}{block[3]}" if rows else ""

    return re.sub(r"(  <div ms-visible=[^\n]*\n)(.*?)(  </ul></div>\n)", cut, html, flags=re.DOTALL)


@pytest.mark.parametrize("rows", [8, 10, 19, 39])
def test_trs_wrappers_of_every_size(rows: int) -> None:
    """Lists of 8, 10, 19 and 39 rows in TRS's wrappers of 5 were read as 5 rows each."""
    html = _first_rows((WILD / "trs_showstatic_75.html").read_text(encoding="utf-8"), rows)
    assert html.count("$showStatic(") == -(-rows // 5)
    page = analyse_list_page(html, URL, TODAY)
    assert (page.kind, len(page.items)) == (PageKind.LIST, rows)


def _content(inner: str) -> str:
    return f"<html><head><meta charset='utf-8'><title>t</title></head><body><div class='main'>{inner}</div></body></html>"


def _rows(prefix: str, day: int, n: int = 3) -> str:
    return "".join(
        f"<li><a href='/{prefix}/post_{i}.html'>某某单位关于某某事项的通知{i}</a><span>2024-05-{day - i:02d}</span></li>"
        for i in range(n)
    )


@pytest.mark.parametrize(
    ("inner", "items"),
    [
        # wrappers of one kind around one list each: one list
        (f"<div><ul>{_rows('a', 30)}</ul></div><div><ul>{_rows('b', 20)}</ul></div>", 6),
        # boxes with a title of their own are separate lists (a hub's blocks), never merged
        (
            f"<div><h3>工作动态</h3><ul>{_rows('a', 30)}</ul></div><div><h3>通知公告</h3><ul>{_rows('b', 20)}</ul></div>",
            3,
        ),
        # wrappers of different classes hold different lists
        (
            f"<div class='l'><ul>{_rows('a', 30)}</ul></div><div class='r'><ul>{_rows('b', 20, 4)}</ul></div>",
            4,
        ),
    ],
)
def test_sibling_wrappers_merge_only_when_alike(inner: str, items: int) -> None:
    page = analyse_list_page(_content(inner), URL, TODAY)
    assert (page.kind, len(page.items)) == (PageKind.LIST, items)


@pytest.mark.parametrize(
    ("inner", "kind", "placeholder"),
    [
        # a visible placeholder still makes a blank column
        ("<ul class='list'><li>暂无数据</li></ul>", PageKind.EMPTY, "暂无数据"),
        # a hidden one is shown to nobody: no placeholder, and an empty list container
        ("<ul class='list'><li style='display:none'>暂无数据</li></ul>", PageKind.EMPTY, None),
        # a template's branch: the template may fill the list, so it is unreadable, never blank
        ("<ul class='list'><li v-for='i in items'><a :href='i.url'>{{ i.title }}</a></li><li v-if='!items.length'>暂无数据</li></ul>",
         PageKind.UNKNOWN, None),
    ],
)  # fmt: skip
def test_hidden_no_data_branch(inner: str, kind: PageKind, placeholder: str | None) -> None:
    page = analyse_list_page(_content(inner), URL, TODAY)
    assert (page.kind, page.placeholder) == (kind, placeholder)
