"""Notification text (#14): neutralised crawled text, the site message, the digest, early warnings in words."""

from __future__ import annotations

import pytest

from pipelines.rules.contacts import contact_problems, mask_contact, split_contacts
from pipelines.rules.notices.messages import (
    FIRST_NEW,
    DigestSite,
    NoticeFinding,
    SiteNotice,
    digest_message,
    site_message,
)
from pipelines.rules.notices.text import neutral_text, neutral_url
from pipelines.rules.notices.warnings import warning_lines
from pipelines.rules.rulesfile import load_rules
from pipelines.rules.scoring import FindingView, score_site


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("通知公告", "通知公告"),
        ("@all 请看 @所有人", "＠all 请看 ＠所有人"),
        ("[点我](http://evil.example/)", "［点我］（http://evil.example/）"),
        ("**粗体** `code` <b>x</b> # 标题", "＊＊粗体＊＊ ｀code｀ ＜b＞x＜/b＞ ＃ 标题"),
        ("第一行\n第二行\r\n\t第三行", "第一行 第二行 第三行"),
        ("a\x00b\x1bc\u202ed\u200be", "abcde"),  # NUL, ESC, a bidi override, a zero-width space
        ("长" * 50, "长" * 39 + "…"),
        (None, ""),
    ],
)
def test_neutral_text(text: str | None, expected: str) -> None:
    assert neutral_text(text) == expected


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://a.gov.cn/xwdt/t20261012_1.html", "http://a.gov.cn/xwdt/t20261012_1.html"),
        ("http://a.gov.cn/files/2026年预算.xls", "http://a.gov.cn/files/2026年预算.xls"),
        ("http://a.gov.cn/x)](javascript:alert(1))", "http://a.gov.cn/x%29%5D%28javascript:alert%281%29%29"),
        ("http://a.gov.cn/@all <b>", "http://a.gov.cn/%40all%20%3Cb%3E"),
        ("http://a.gov.cn/\x1b[31m", "http://a.gov.cn/%1B%5B31m"),
    ],
)
def test_neutral_url(url: str, expected: str) -> None:
    assert neutral_url(url) == expected


def test_contacts_split_validate_and_mask() -> None:
    assert split_contacts(" json://a/x |json://b/y\njson://a/x ") == ("json://a/x", "json://b/y")
    assert contact_problems(("json://127.0.0.1:8080/hook", "wecombot://0123456789abcdef")) == []
    assert contact_problems(("feishu://",)) == [
        "contact is not a valid feishu:// URL (see Apprise's documentation of that service)"
    ]
    assert contact_problems(("json://ok/", "no scheme")) == [
        "contact 2 is not a notification URL such as mailto://… or dingtalk://… "
        + "(mailto, mailtos, dingtalk, wecombot, feishu, lark, json, …)"
    ]
    assert contact_problems(tuple(f"json://h/{i}" for i in range(11))) == [
        "contact has 11 URLs, more than 10"
    ]
    assert (
        mask_contact("mailto://u:pw@smtp.a.gov.cn?to=w@a.gov.cn")
        == "mailto://u:****@smtp.a.gov.cn/w@a.gov.cn"
    )
    assert mask_contact("bogus://token") == "bogus://…"


def notice(**overrides: object) -> SiteNotice:
    values: dict[str, object] = {
        "code": "4510000031", "name": "百色市人民政府", "run_id": 7, "day": "2026-12-07", "complete": True,
        "budget_hit": None, "first": False, "new": [], "fixed": [], "verdict": "pass", "vetoes": (),
        "total_deduction": 0.0, "blacklisted": False, "warnings": [],
    }  # fmt: skip
    values.update(overrides)
    return SiteNotice(**values)  # type: ignore[arg-type]


BROKEN = NoticeFinding(
    "broken_link", "http://a.gov.cn/a.pdf", "http://a.gov.cn/", "@所有人 [通知](http://x/)", status=404,
    error="http_error", evidence_file="4510000031/7.warc.gz",
)  # fmt: skip


def test_site_message_counts_lists_the_first_few_and_neutralises() -> None:
    new = [BROKEN] * 7 + [NoticeFinding("blank_column", "http://a.gov.cn/ghjh/", column_name="规划计划")]
    message = site_message(
        notice(new=new, fixed=[BROKEN], verdict="fail", vetoes=("空白栏目",), total_deduction=9)
    )
    assert message.title == "【政府网站健康检查】百色市人民政府：不合格，新增 8 项"
    lines = message.body.splitlines()
    assert lines[:3] == [
        "百色市人民政府（4510000031）2026-12-07 检查（第 7 次）",
        "结论：不合格（单项否决：空白栏目；扣分 9）",
        "新增问题 8 项（与上次完整检查相比）：错链断链 7、空白栏目 1",
    ]
    assert lines[3] == (
        "1. 错链断链：http://a.gov.cn/a.pdf（HTTP 404；所在页面 http://a.gov.cn/；"
        "链接文字「＠所有人 ［通知］（http://x/）」；证据 4510000031/7.warc.gz）"
    )
    assert lines[3 + FIRST_NEW] == "……另有 3 项，见报告"
    assert "已修复 1 项：错链断链 1" in lines
    assert lines[-1] == "查看证据：scrapy evidence --code 4510000031 --url URL"
    assert "@" not in message.body


def test_an_incomplete_run_says_it_fixes_nothing() -> None:
    body = site_message(notice(complete=False, budget_hit="max_pages")).body
    assert "本次检查未完成（页数预算用尽）：只报告发现的问题，不判定已修复。" in body
    assert "无新增问题（与上次完整检查相比）。" in body


def test_early_warnings_say_how_far_the_veto_is() -> None:
    rules = load_rules()
    blanks = [
        FindingView(f"b{i}", "blank_column", f"http://a/{i}", column_category="other") for i in range(3)
    ]
    card = score_site(
        blanks, rules, probes=None, measured={"homepage", "links", "columns"}, homepage_age_days=11
    )
    assert warning_lines(card, rules) == [
        "首页已 11 天未更新：再过 3 天即单项否决（网站不更新（首页））",
        "空白栏目 3 个：再有 2 个即单项否决（空白栏目）",
    ]


def test_digest_lists_new_vetoes_and_sites_at_risk() -> None:
    sites = [
        DigestSite("4510000031", "百色市", True, 3, 1, ("站点无法访问",), newly_vetoed=True),
        DigestSite("4510000032", "右江区", False, 2, 0, ("空白栏目",), newly_vetoed=False),
        DigestSite("4510000033", "田阳区", True, 0, 0, (), newly_vetoed=False, warnings=("空白栏目 2 个",)),
        DigestSite("4510000034", "@all", True, 0, 2, (), newly_vetoed=False),
    ]
    message = digest_message("2026-12-07", sites)
    assert message.title == "【政府网站健康检查】汇总 2026-12-07：新否决 1 个，预警 1 个"
    assert message.body.splitlines() == [
        "2026-12-07 共检查 4 个网站（完整 3 个，未完成 1 个）；新增问题 5 项，已修复 3 项。",
        "新触发单项否决 1 个：",
        "- 4510000031 百色市：站点无法访问",
        "接近否决线（预警）1 个：",
        "- 4510000033 田阳区：空白栏目 2 个",
        "当前单项否决共 2 个网站。",
    ]
