"""The hot rows of the site pages built in Python: links, evidence cells, broken-link rows (100,000 a province).

Every value goes through markupsafe's ``escape`` (as Jinja2's autoescape would); only http(s) URLs become links.
"""

from __future__ import annotations

import shlex
from typing import Any
from urllib.parse import unquote, urlsplit

from markupsafe import Markup, escape

from crawler.report.labels import ERROR_ZH, RESOURCE_ZH

SOURCES_SHOWN = 5  # pages listed per broken link; the rest are counted


def safe_href(url: str | None) -> str | None:
    """The URL when a browser may follow it (http or https), else None: `javascript:` never becomes a link."""
    if not url:
        return None
    try:
        scheme = urlsplit(url.strip()).scheme.lower()
    except ValueError:
        return None
    return url if scheme in ("http", "https") else None


def readable_url(url: str) -> str:
    """A URL as people read it: percent-encoded Chinese paths decoded (shown as text, never as the link)."""
    return unquote(url, errors="replace")


def site_origin(url: str) -> str:
    """``scheme://host[:port]`` of a URL: the site's own links are shown by their path, shorter to read."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


# Jinja2 macros and Markup.format cost five times as much on these rows as f-strings of escaped values.
def link(url: str | None, origin: str = "", text: str | None = None) -> Markup:
    """An escaped link to an http(s) URL, or the escaped text alone for any other scheme (``javascript:``)."""
    if not url:
        return Markup("")
    shown = text or readable_url(url.removeprefix(origin) if origin and url.startswith(origin + "/") else url)
    href = safe_href(url)
    if href is None:
        return Markup(f'<span class="url">{escape(shown)}</span>')  # noqa: S704 - escaped
    return Markup(f'<a href="{escape(href)}" rel="noopener noreferrer nofollow">{escape(shown)}</a>')  # noqa: S704


def evidence_cell(code: str, finding: dict[str, Any], href: str | None) -> Markup:
    """The archived proof of a finding (WARC file, record, digest) and the command that shows it."""
    file = finding["evidence_file"]
    if file:
        target = f'<a href="{escape(href)}">{escape(file)}</a>' if href else str(escape(file))
        parts = [f'<div class="ev">存证：{target}']
        if finding["evidence_record"]:
            parts.append(f"<br>记录 <code>{escape(finding['evidence_record'])}</code>")
        if finding["evidence_digest"]:
            parts.append(f'<br>摘要 <code class="digest">{escape(finding["evidence_digest"])}</code>')
        parts.append("</div>")
    else:
        parts = ['<div class="ev muted">存证：本次检查未存档</div>']
    command = f"scrapy evidence --code {code} --url {shlex.quote(finding['url'])} --run {finding['run_id']}"
    parts.append(f'<code class="cmd">{escape(command)}</code>')
    return Markup("".join(parts))  # noqa: S704 - every value above is escaped


def _seen(finding: dict[str, Any]) -> str:
    return f'<span class="muted">首次 {escape(finding["first_seen"][:10])} · {finding["runs_seen"]} 次</span>'


def broken_link_row(
    finding: dict[str, Any], origin: str, code: str, evidence_href: str | None, screenshot: str | None
) -> Markup:
    """One row of the broken-link table: target, link text, type, status, pages it is on, evidence."""
    f = finding
    tags = "".join(
        f'<br><span class="tag">{label}</span>'
        for label, on in (("首页", f["on_homepage"]), ("外部链接", f["external"]))
        if on
    )
    error = ERROR_ZH.get(f["error"], f["error"] or "")
    sources = "".join(f"{link(source, origin)}<br>" for source in f["sources"][:SOURCES_SHOWN])
    if f["source_count"] > SOURCES_SHOWN:
        sources += f'<span class="muted">共 {f["source_count"]} 个页面</span>'
    if screenshot:
        shot = escape(screenshot)
        sources += f'<a class="shot" href="{shot}"><img src="{shot}" alt="所在页面截图" loading="lazy"></a>'
    return Markup(  # noqa: S704 - every value is escaped
        f'<tr class="finding" id="f-{escape(f["fingerprint"])}" data-url="{escape(f["url"])}">'
        f'<td class="u">{link(f["url"], origin)}<br>{_seen(f)}</td>'
        f"<td>{escape(f['link_text'] or '')}</td>"
        f"<td>{escape(RESOURCE_ZH.get(f['resource_type'], f['resource_type'] or ''))}{tags}</td>"
        f'<td>{escape(f["status"] or "")} {escape(error)}<br><span class="muted">{escape(f["reason"] or "")}</span></td>'
        f'<td class="u">{sources}</td>'
        f"<td>{evidence_cell(code, f, evidence_href)}</td></tr>\n"
    )
