"""Access-denied pages (403 Forbidden, 访问被拒绝, 禁止访问): a refusal of their own kind, not a missing page.

Pure; no settings. A server or WAF that refuses the crawler says nothing about the resource: unverified.
"""

from __future__ import annotations

import re

from pipelines.rules.soft404 import _TEMPLATE_CONTENT, _lead_phrase, message_places, phrase_table

__all__ = ["DENIED_PHRASES", "denied_page_evidence"]

DENIED_PHRASES: tuple[str, ...] = (
    "403 Forbidden", "Forbidden", "HTTP Status 403", "HTTP Error 403", "Error 403", "403错误", "错误403",
    "403 禁止访问", "访问被拒绝", "您的访问被拒绝", "拒绝访问", "禁止访问", "访问受限", "您无权访问", "无权访问",
    "您没有权限访问", "没有访问权限", "Access Denied", "Access Forbidden", "Access is denied",
)  # fmt: skip
_TABLE = phrase_table(DENIED_PHRASES)
# Every phrase holds one of these: most pages are ruled out unparsed.
_HINTS = re.compile(r"403|[Ff]orbidden|FORBIDDEN|[Dd]enied|DENIED|拒绝|禁止访问|无权|权限|受限")


def denied_page_evidence(html: str) -> str | None:
    """Explain why ``html`` is an access-denied page ("title says '403 Forbidden'"), or return None.

    The phrase must open the title, a heading or a short block of a page with little text of its own,
    as server and WAF refusal pages put it; an article that mentions 禁止访问 is not one.
    """
    if not _HINTS.search(html):
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
