"""Neutralise crawled and registry text for a messenger: no mentions, markup, control characters or long lines."""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import quote

from pipelines.rules.kinds import FindingKind

KIND_ZH: dict[str, str] = {
    FindingKind.SITE_UNREACHABLE: "站点无法访问",
    FindingKind.HOMEPAGE_STALE: "首页不更新",
    FindingKind.BROKEN_LINK: "错链断链",
    FindingKind.BLANK_COLUMN: "空白栏目",
    FindingKind.STALE_COLUMN: "栏目长期未更新",
    FindingKind.UNVERIFIED_LINK: "未能核实的链接",
    FindingKind.UNVERIFIED_COLUMN: "未能核实的栏目",
}
ERROR_ZH = {
    "dns": "域名无法解析",
    "connection_refused": "连接被拒绝",
    "connection_reset": "连接被重置",
    "timeout": "超时",
    "ssl": "SSL 证书错误",
    "soft_404": "打开的是错误页面",
    "too_many_redirects": "重定向过多",
    "redirect_loop": "重定向循环",
    "attachment_error_page": "附件打开的是错误页面",
}
# Markdown, HTML and mention characters of DingTalk, WeCom, Feishu and mail clients, as full-width look-alikes
_FULL_WIDTH = str.maketrans({c: chr(ord(c) + 0xFEE0) for c in "@*_`[]()<>#~|\\!{}"})
_URL_UNSAFE = frozenset("@[]()<>`'\"*|\\{}^ ")
_SPACE = re.compile(r"\s+")
CUT = "…"


def neutral_text(text: str | None, limit: int = 40) -> str:
    """Crawled or registry text as one harmless line: control and format characters (bidi overrides,
    zero-width) removed, whitespace collapsed, mention and markup characters made full-width, cut to ``limit``."""
    if not text:
        return ""
    kept = "".join(c for c in text if unicodedata.category(c) not in ("Cc", "Cf", "Cs", "Co") or c in "\t\n")
    line = _SPACE.sub(" ", kept).strip().translate(_FULL_WIDTH)
    return line if len(line) <= limit else line[: limit - 1] + CUT


def neutral_url(url: str | None, limit: int = 150) -> str:
    """A URL that a messenger shows as a link and nothing else: characters that could close it or start
    markup or a mention are percent-encoded, control characters too; cut to ``limit``."""
    if not url:
        return ""
    safe = "".join(quote(c) if c in _URL_UNSAFE or not c.isprintable() else c for c in url)
    return safe if len(safe) <= limit else safe[: limit - 1] + CUT


def kind_zh(kind: str) -> str:
    """The Chinese name of a finding kind (a new kind shows its code)."""
    return KIND_ZH.get(kind) or neutral_text(kind, 40)


def reason_zh(error: str | None, status: int | None) -> str:
    """A broken link's failure in a few Chinese words."""
    if error == "http_error" or (error is None and status and status >= 400):
        return f"HTTP {status}" if status else "HTTP 错误"
    if error is None:
        return ""
    return ERROR_ZH.get(error, neutral_text(error, 30))
