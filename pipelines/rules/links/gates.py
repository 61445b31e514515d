"""Anti-bot gates and WAFs (瑞数, 加速乐, WZWS, 安全狗, captcha ...): content behind one is unverified.

Pure; no settings.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

# Vendor fingerprints. Technical markers (challenge scripts, cookies, challenge URLs) never occur on an
# ordinary page and count anywhere. Vendor names and block/captcha wording also appear in footers
# ("本站由创宇盾防护") and articles, so they count only on an error status or in the title of a 2xx page.
_TECH_GATES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("瑞数", re.compile(r"\$_ts\s*=\s*window|\$_ts\.(nsd|cd|lcd)\b")),
    ("加速乐", re.compile(r"__jsl_clearance|__jsluid")),
    ("WZWS", re.compile(r"wzws_?(challenge|question|method|cid|sessionid|tmpl|vtime)", re.IGNORECASE)),
    ("阿里云WAF", re.compile(r"acw_sc__v2|_waf_bd8ce2ce37|aliyun_waf")),
    (
        "cloudflare",
        re.compile(r"cf-chl|cf_chl_|/cdn-cgi/challenge-platform|<title>\s*Just a moment", re.IGNORECASE),
    ),
    ("云锁", re.compile(r"yunsuo_session_verify|security_session_(mid_)?verify")),
    ("安全狗", re.compile(r"safedog-flow-item")),
)
# Each technical gate above contains one of these substrings: plain substring tests rule the usual answer
# (no gate) out in ~0.1 ms for a 15 KB page, where the regexes take ~1.4 ms (measured).
_TECH_HINTS = (
    "$_ts", "__jsl", "wzws", "WZWS", "Wzws", "acw_sc__v2", "_waf_bd8ce2ce37", "aliyun_waf", "cf-chl", "cf_chl_",
    "/cdn-cgi/challenge-platform", "ust a moment", "UST A MOMENT", "yunsuo_session_verify", "security_session_",
    "safedog-flow-item",
)  # fmt: skip
_WORD_GATES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("安全狗", re.compile(r"safedog|安全狗", re.IGNORECASE)),
    ("云锁", re.compile(r"yunsuo|云锁", re.IGNORECASE)),
    ("创宇盾", re.compile(r"创宇盾|知道创宇|yunaq|jiasule|加速乐", re.IGNORECASE)),
    ("网站卫士", re.compile(r"360wzb|网站卫士")),
    (
        "WAF",
        re.compile(
            r"Web应用防火墙|网站防火墙|WAF|访问被拦截|请求已被拦截|访问已被拦截|已被网站管理员设置拦截"
        ),
    ),
    ("WAF", re.compile(r"您的访问请求可能对网站造成安全威胁|您的请求带有不合法参数|疑似黑客攻击|访问被阻断")),
    (
        "captcha",
        re.compile(
            r"验证码|captcha|人机验证|安全验证|访问验证|滑动验证|请完成验证|verify you are human",
            re.IGNORECASE,
        ),
    ),
)
_TITLE = re.compile(r"<title[^>]*>(.*?)</title", re.IGNORECASE | re.DOTALL)
_SCRIPT_STYLE = re.compile(r"<(script|style)\b.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"<[^>]*>")
_BLOCK_PAGE_TEXT, _BLOCK_TITLE = 1500, 16


def _visible_text(body: str) -> str:
    """Rough visible text of an HTML body: no scripts, styles or tags, whitespace collapsed."""
    return " ".join(_TAG.sub(" ", _SCRIPT_STYLE.sub(" ", body[:65536])).split())


# 加速乐 writes its cookie's name a character at a time (document.cookie=('_')+('_')+('j')+…): joined, the
# pieces spell __jsl_clearance. Without the name, the structure tells: a script that sets a cookie and
# reloads the page, and nothing to read.
_JOINS = re.compile(r"""(['"])\s*\)?\s*\+\s*\(?\s*\1""")
_SETS_COOKIE = re.compile(r"""document\s*(?:\.\s*cookie|\[\s*['"]cookie['"]\s*\])\s*=""")
_RELOADS = re.compile(r"location(?:\.href|\.replace|\.reload|\.assign|\s*=)|setTimeout\s*\(")
_CHALLENGE_TEXT = 40  # visible characters: a challenge shows none, or a line such as 请稍候
_FULL_PAGE_TEXT, _FULL_PAGE_LINKS = 200, 10


def _cookie_challenge(body: str) -> bool:
    """A cookie challenge: __jsl built piece by piece, or a bare script that sets a cookie and reloads."""
    head = body[:65536]
    if "cookie" not in head:
        return False
    if "__jsl" in _JOINS.sub("", head):
        return True
    return bool(
        _SETS_COOKIE.search(head) and _RELOADS.search(head) and len(_visible_text(head)) <= _CHALLENGE_TEXT
    )


def _full_page(status: int | None, body: str) -> bool:
    """A complete 2xx page after a 瑞数 script in its head: text and links to read, so a page, not a gate."""
    if status is None or not 200 <= status < 300:
        return False
    head = body[:65536]
    return len(_visible_text(head)) >= _FULL_PAGE_TEXT and head.count("<a ") >= _FULL_PAGE_LINKS


def detect_anti_bot_gate(
    status: int | None,
    body: str = "",
    headers: Mapping[str, str] | None = None,
    urls: Iterable[str | None] = (),
) -> str | None:
    """Name the anti-crawler gate or WAF in front of a response (瑞数, 加速乐, WZWS, 安全狗, captcha ...).

    Any 412 counts (瑞数; we never send preconditions), as does a 521 with no body or with a cookie
    script (加速乐), or any page that is only a cookie-setting, reloading script (加速乐 builds its
    cookie name piece by piece). A complete 2xx page that merely carries a 瑞数 ``$_ts`` script in its
    head is a page. Use it for pages as well as links: content behind a gate is unverified.

    Args:
        status: the final HTTP status, if any.
        body: the decoded start of the body.
        headers: lower-cased response header names to decoded values.
        urls: the final URL and the redirect chain (challenge URLs such as ``?wzwschallenge=``).
    """
    headers = headers or {}
    seen = [u for u in urls if u]
    evidence = "\n".join([body[:65536], headers.get("set-cookie", ""), headers.get("location", ""), *seen])
    if any(hint in evidence for hint in _TECH_HINTS):
        for name, pattern in _TECH_GATES:
            if pattern.search(evidence) and not (name == "瑞数" and _full_page(status, body)):
                return name
    if _cookie_challenge(body):
        return "加速乐"
    if headers.get("cf-mitigated", "").lower() == "challenge":
        return "cloudflare"
    if status == 412:
        return "瑞数"
    if status == 521 and (not body.strip() or "document.cookie" in body):
        return "加速乐"
    if any("captcha" in u.lower() for u in seen):
        return "captcha"
    title = " ".join(found[1].split()) if (found := _TITLE.search(body)) else ""
    error = status is not None and status >= 400
    # A block page's title is the block ("网站防火墙"); an article may be titled "我市网站接入创宇盾防护".
    words = title if error or len(title) <= _BLOCK_TITLE else ""
    # Block pages are small and never say "not found"; a 404 template may carry a vendor badge.
    if error and status not in (404, 410):
        words += "\n" + (visible if len(visible := _visible_text(body)) < _BLOCK_PAGE_TEXT else "")
    return next((name for name, pattern in _WORD_GATES if pattern.search(words)), None)
