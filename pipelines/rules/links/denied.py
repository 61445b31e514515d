"""Access-denied pages (403 Forbidden, 访问被拒绝, 禁止访问): a refusal of their own kind, not a missing page.

Pure; no settings. A server or WAF that refuses the crawler says nothing about the resource: unverified.
"""

from __future__ import annotations

from pipelines.rules.soft404 import _TEMPLATE_CONTENT, _lead_phrase, message_places, phrase_table

__all__ = ["DENIED_PHRASES", "denied_page_evidence"]

DENIED_PHRASES: tuple[str, ...] = (
    "403 Forbidden", "Forbidden", "HTTP Status 403", "HTTP Error 403", "Error 403", "403错误", "错误403",
    "403 禁止访问", "访问被拒绝", "您的访问被拒绝", "拒绝访问", "禁止访问", "访问受限", "您无权访问", "无权访问",
    "您没有权限访问", "没有访问权限", "Access Denied", "Access Forbidden", "Access is denied",
)  # fmt: skip
_TABLE = phrase_table(DENIED_PHRASES)
# Every phrase holds one of these words or a 403 standing on its own: most pages are ruled out unparsed. Portal
# pages are full of 1403.html, /img/403.png, :40307 and colour #a4031f, and each such page cost a second parse.
# Substring searches: an alternation of them over a 60 KB page costs 1 ms, five times more (measured).
_HINT_WORDS = ("orbidden", "ORBIDDEN", "enied", "ENIED", "拒绝", "禁止访问", "无权", "权限", "受限")
_NOT_BEFORE_403 = frozenset("0123456789#/.:=%_-abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")


def _may_be_denied(html: str) -> bool:
    if any(word in html for word in _HINT_WORDS):
        return True
    at = html.find("403")
    while at >= 0:
        after = html[at + 3 : at + 5]
        alone = (
            at == 0
            or html[at - 1] not in _NOT_BEFORE_403
            or html[max(0, at - 6) : at].rstrip().lower().endswith("error")
        )
        if alone and not after[:1].isdigit() and not (after[:1] == "." and after[1:].isalpha()):
            return True
        at = html.find("403", at + 3)
    return False


def denied_page_evidence(html: str) -> str | None:
    """Explain why ``html`` is an access-denied page ("title says '403 Forbidden'"), or return None.

    The phrase must open the title, a heading or a short block of a page with little text of its own,
    as server and WAF refusal pages put it; an article that mentions 禁止访问 is not one.
    """
    if not _may_be_denied(html):
        return None
    read = message_places(html)
    if read is None:
        return None
    content, _, places = read
    if len(content) >= _TEMPLATE_CONTENT:
        return None
    for where, text in places:
        if found := _lead_phrase(text, _TABLE):
            return f"{where} says {found[0]!r}"
    return None
