"""Article publication dates as real government pages write them (issue #15), and the lookalikes they carry.

Each row is one pattern seen on real pages (rewritten, never copied), with the reading expected next to it.
"""

from __future__ import annotations

from datetime import date

import pytest

from pipelines.rules.dates import article_pubdate, parse_date

TODAY = date(2024, 6, 1)

# A TRS article head: PubDate is the page's regeneration time, equal to the 页面生成时间 meta.
REGENERATED = '<meta name="PubDate" content="2023-11-20 03:12"><meta name="others" content="页面生成时间 2023-11-20 03:12:44">'


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        # the visible date beats a PubDate meta rewritten by a regeneration or a migration
        (REGENERATED + "<h1>关于某某的通知</h1><p>发布时间：2021-06-10</p>", "2021-06-10"),
        (REGENERATED + "<h1>某某工作动态</h1><div>2021年06月10日 17:35 来源：县政府办</div>", "2021-06-10"),
        (REGENERATED + "<p>日期：2021-06-10</p>", "2021-06-10"),
        (REGENERATED + "<h1>某某通知</h1><p>正文</p>", "2023-11-20"),  # nothing visible: the meta
        ('<meta content="2021-06-10 09:30" name="PubDate"><p>正文</p>', "2021-06-10"),  # attributes reversed
        ('<meta name="PubDate"content="2021-06-10"><p>正文</p>', "2021-06-10"),  # no space between attributes
        ('<META CONTENT="2021/06/10" NAME="pubdate"><p>正文</p>', "2021-06-10"),
        # unlabelled date lines under the title: a time, then 来源/作者/浏览/字号
        ("<h1>标题</h1><p>2021年06月10日 17:35 来源：县政府办</p>", "2021-06-10"),
        ("<h1>标题</h1><p>2021-06-10 09:32:05 | 来源：市统计局 | 浏览次数：12</p>", "2021-06-10"),
        ("<h1>标题</h1><p>2021年06月10日 09时32分 作者：张三</p>", "2021-06-10"),
        ("<h1>标题</h1><span>2021-06-10</span><span>来源：本站</span>", "2021-06-10"),
        ("<h1>标题</h1><p>2021-06-10 【字体：大 中 小】</p>", "2021-06-10"),
        ("<h1>标题</h1><p>2022-05-07&#32;00:00 来源：县融媒体中心</p>", "2022-05-07"),  # an entity inside
        # labels reversed, spaced out, with full-width or ratio colons, as English footer stamps
        ("<p>时间发布：2021-06-10</p>", "2021-06-10"),
        ("<p>发布日期 : 2021-06-10</p>", "2021-06-10"),
        ("<p>发 布 时 间：2021-06-10</p>", "2021-06-10"),
        ("<p>发布时间∶2021-06-10 09时32分</p>", "2021-06-10"),
        ("<p>发布日期︰2021年6月10日</p>", "2021-06-10"),
        ("<p>发布时间：2021年06月10日09时32分</p>", "2021-06-10"),
        ("<div>正文</div><div class='foot'>publishdate:2024/01/05</div>", "2024-01-05"),
        ("<div>正文</div><div>PubDate: 2024-01-05</div>", "2024-01-05"),
        ("<p>发布时间：2022-05-07&#32;00:00</p>", "2022-05-07"),
        # the labelled publication date wins over an earlier unlabelled info line
        ("<p>2021-06-01 来源：本站</p><p>发布日期：2021-06-10</p>", "2021-06-10"),
    ],
)
def test_article_pubdate_in_the_wild(html: str, expected: str | None) -> None:
    found = article_pubdate(html, TODAY)
    assert (found.isoformat() if found else None) == expected


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        # 成文日期/发文日期/生成日期/印发日期 are never the publication date, even in an info line
        ("<h1>标题</h1><p>成文日期：2021-06-01 来源：县政府办</p>", None),
        ("<h1>标题</h1><p>发文日期：2021-06-01 来源：县政府办</p>", None),
        ("<h1>标题</h1><p>生成日期：2021-06-01 来源：县政府办</p>", None),
        ("<p>页面生成时间：2023-11-20 03:12 来源：县政府办</p>", None),
        (
            "<table><tr><td>成文日期：</td><td>2021年06月01日</td><td>发布日期：</td><td>2021年06月10日</td></tr></table>",
            "2021-06-10",
        ),
        (REGENERATED + "<p>成文日期：2021-06-01</p>", "2023-11-20"),
        # 索引号: never a date, even followed by 来源
        ("<p>索引号：11450000MB1234567X/2021-00018 来源：县政府办</p>", None),
        ("<p>索引号：2021-06-00018 来源：县政府办</p>", None),
        # deadlines: labelled, or written into a sentence
        ("<p>截止时间：2021-06-30 来源：县政府办</p>", None),
        ("<p>请于2021年06月30日前报送 来源：县政府办</p>", None),
        ("<p>报名时间：2021年06月01日至2021年06月30日</p>", None),
        # phone numbers and office hours in the info line
        ("<p>联系电话：0771-2822123 来源：县政府办</p>", None),
        ("<p>办公时间：8:30-12:00 来源：县政府办</p>", None),
        # dates inside the text of the article, not in an info line
        ("<h1>标题</h1><p>2021年6月10日，县委书记主持召开会议。</p>", None),
        ("<h1>标题</h1><p>会议于2021年6月10日召开，来源单位为县政府办。</p>", None),
    ],
)
def test_article_pubdate_lookalikes(html: str, expected: str | None) -> None:
    found = article_pubdate(html, TODAY)
    assert (found.isoformat() if found else None) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("时间发布：2021-06-10 关于某某的通知", "2021-06-10"),
        ("关于某某的通知 发布时间∶2021-06-10", "2021-06-10"),
        ("· 关于某某的通知 2021-06-10", "2021-06-10"),
        ("2021-06-10 · 关于某某的通知", "2021-06-10"),
        ("关于某某的通知 2022-05-07 00:00", "2022-05-07"),
        ("发文日期：2021-06-01 关于某某的通知 2021-06-10", "2021-06-10"),
    ],
)
def test_row_dates_in_the_wild(text: str, expected: str | None) -> None:
    found = parse_date(text, TODAY)
    assert (found.isoformat() if found else None) == expected
