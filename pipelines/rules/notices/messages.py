"""The site message and the supervisor's digest of `scrapy notify`: short Chinese plain text.

The full lists live in the report and the export; a message names counts and the first few findings.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from pipelines.rules.notices.text import kind_zh, neutral_text, neutral_url, reason_zh

TITLE = "【政府网站健康检查】"
FIRST_NEW = 5  # new findings listed by name; a messenger shows about a screen
FIRST_FIXED = 3
FIRST_SITES = 10  # sites listed per group in the digest
BUDGET_ZH = {"max_pages": "页数预算用尽", "max_depth": "深度预算用尽", "max_seconds": "时间预算用尽"}
MAX_BODY = 1800  # characters: WeCom's text robot takes 2,048 bytes, DingTalk's and Feishu's more


@dataclass(frozen=True)
class Message:
    """A notification: a title (the mail subject) and a plain-text body."""

    title: str
    body: str


@dataclass(frozen=True)
class NoticeFinding:
    """What a message says of one finding (all of it crawled or registry text, neutralised on output)."""

    kind: str
    url: str
    source_url: str | None = None
    link_text: str | None = None
    column_name: str | None = None
    latest_date: str | None = None
    error: str | None = None
    status: int | None = None
    evidence_file: str | None = None


@dataclass(frozen=True)
class SiteNotice:
    """One site's run as its operators hear of it."""

    code: str
    name: str
    run_id: int
    day: str  # YYYY-MM-DD of the run
    complete: bool  # an incomplete run (budget, interruption) fixes nothing
    budget_hit: str | None
    first: bool  # no earlier complete run: everything is new
    new: Sequence[NoticeFinding]
    fixed: Sequence[NoticeFinding]
    verdict: str  # the card's "pass" or "fail"
    vetoes: Sequence[str]  # Chinese names of the veto rules that fired
    total_deduction: float
    blacklisted: bool
    warnings: Sequence[str]  # warning_lines()
    report_page: str | None = None


@dataclass(frozen=True)
class DigestSite:
    """One site in the supervisor's digest."""

    code: str
    name: str
    complete: bool
    new: int
    fixed: int
    vetoes: Sequence[str]
    newly_vetoed: bool
    warnings: Sequence[str] = field(default_factory=tuple)


def site_message(notice: SiteNotice) -> Message:
    """The message to a site's contacts about one run."""
    name = neutral_text(notice.name, 60)
    lines = [f"{name}（{neutral_text(notice.code, 12)}）{notice.day} 检查（第 {notice.run_id} 次）"]
    if not notice.complete:
        budget = notice.budget_hit or ""
        cut = f"（{BUDGET_ZH.get(budget) or neutral_text(budget, 20)}）" if budget else ""
        lines.append(f"本次检查未完成{cut}：只报告发现的问题，不判定已修复。")
    lines.append("结论：" + verdict_zh(notice))
    since = "（首次检查）" if notice.first else "（与上次完整检查相比）"
    if notice.new:
        lines.append(f"新增问题 {len(notice.new)} 项{since}：{count_by_kind(notice.new)}")
        lines += [f"{i}. {finding_line(f)}" for i, f in enumerate(notice.new[:FIRST_NEW], 1)]
        if len(notice.new) > FIRST_NEW:
            lines.append(f"……另有 {len(notice.new) - FIRST_NEW} 项，见报告")
    else:
        lines.append(f"无新增问题{since}。")
    if notice.fixed:
        lines.append(f"已修复 {len(notice.fixed)} 项：{count_by_kind(notice.fixed)}")
        lines += [f"- {finding_line(f)}" for f in notice.fixed[:FIRST_FIXED]]
    if notice.warnings:
        lines.append("预警：")
        lines += [f"- {w}" for w in notice.warnings]
    if notice.report_page:
        lines.append(f"报告：{neutral_url(notice.report_page, 300)}")
    if any(f.evidence_file for f in notice.new[:FIRST_NEW]):
        lines.append(f"查看证据：scrapy evidence --code {neutral_text(notice.code, 12)} --url URL")
    status = "不合格" if notice.verdict == "fail" else "合格"
    return Message(f"{TITLE}{name}：{status}，新增 {len(notice.new)} 项", _cap("\n".join(lines)))


def digest_message(day: str, sites: Sequence[DigestSite]) -> Message:
    """The supervising office's digest: sites newly vetoed or at risk, then the totals."""
    vetoed = [s for s in sites if s.vetoes]
    newly = [s for s in vetoed if s.newly_vetoed]
    at_risk = [s for s in sites if s.warnings and not s.vetoes]
    complete = sum(s.complete for s in sites)
    totals = f"新增问题 {sum(s.new for s in sites)} 项，已修复 {sum(s.fixed for s in sites)} 项。"
    lines = [
        f"{day} 共检查 {len(sites)} 个网站（完整 {complete} 个，未完成 {len(sites) - complete} 个）；{totals}"
    ]
    lines.append(f"新触发单项否决 {len(newly)} 个" + ("：" if newly else "。"))
    lines += [f"- {_site_label(s)}：{'、'.join(s.vetoes)}" for s in newly[:FIRST_SITES]]
    lines.append(f"接近否决线（预警）{len(at_risk)} 个" + ("：" if at_risk else "。"))
    lines += [f"- {_site_label(s)}：{'；'.join(s.warnings)}" for s in at_risk[:FIRST_SITES]]
    for group in (newly, at_risk):
        if len(group) > FIRST_SITES:
            lines.append(f"……另有 {len(group) - FIRST_SITES} 个网站，见报告")
    lines.append(f"当前单项否决共 {len(vetoed)} 个网站。")
    title = f"{TITLE}汇总 {day}：新否决 {len(newly)} 个，预警 {len(at_risk)} 个"
    return Message(title, _cap("\n".join(lines)))


def verdict_zh(notice: SiteNotice) -> str:
    """The card's verdict in words: 合格/不合格, the vetoes, the deduction, the black list."""
    parts = ["不合格" if notice.verdict == "fail" else "合格"]
    if notice.vetoes:
        parts.append("单项否决：" + "、".join(notice.vetoes))
    parts.append(f"扣分 {notice.total_deduction:g}")
    if notice.blacklisted:
        parts.append("列入黑名单")
    return parts[0] + "（" + "；".join(parts[1:]) + "）"


def count_by_kind(findings: Sequence[NoticeFinding]) -> str:
    """ "错链断链 3、空白栏目 2", most frequent first."""
    return "、".join(f"{kind_zh(k)} {n}" for k, n in Counter(f.kind for f in findings).most_common())


def finding_line(f: NoticeFinding) -> str:
    """One finding: kind, what is at fault, and where or why."""
    details = []
    if f.column_name:
        details.append(f"栏目「{neutral_text(f.column_name, 30)}」")
    if f.latest_date:
        details.append(f"最新 {f.latest_date}")
    if reason := reason_zh(f.error, f.status):
        details.append(reason)
    if f.source_url and f.source_url != f.url:
        details.append(f"所在页面 {neutral_url(f.source_url, 100)}")
    if f.link_text:
        details.append(f"链接文字「{neutral_text(f.link_text, 30)}」")
    if f.evidence_file:
        details.append(f"证据 {neutral_url(f.evidence_file, 80)}")
    extra = f"（{'；'.join(details)}）" if details else ""
    return f"{kind_zh(f.kind)}：{neutral_url(f.url, 120)}{extra}"


def _site_label(site: DigestSite) -> str:
    return f"{neutral_text(site.code, 12)} {neutral_text(site.name, 40)}"


def _cap(body: str) -> str:
    if len(body) <= MAX_BODY:
        return body
    return body[: MAX_BODY - 12].rsplit("\n", 1)[0] + "\n……（见报告）"
