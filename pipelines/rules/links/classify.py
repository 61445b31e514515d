"""Judge one check attempt (``Observation -> classify() -> Verdict``): ok, broken or unverified.

Pure; no settings. Precision first: anything a bot wall or rate limit could explain is unverified, never broken.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from pipelines.rules.kinds import LinkState, ResourceType
from pipelines.rules.links.denied import denied_page_evidence
from pipelines.rules.links.gates import detect_anti_bot_gate
from pipelines.rules.links.normalize import normalize_url
from pipelines.rules.soft404 import error_page_evidence, is_error_url, redirected_to_homepage

# Transport failures a browser would show as "cannot open"; any other code from the spider (our own
# proxy, a size limit, a refused private target...) says nothing about the site and stays unverified.
BROKEN_TRANSPORT_ERRORS: frozenset[str] = frozenset(
    {"dns", "connection_refused", "connection_reset", "timeout", "ssl", "too_many_redirects", "redirect_loop"}
)


@dataclass(frozen=True)
class Observation:
    """One check attempt as the spider saw it."""

    url: str
    method: str  # "HEAD" or "GET"
    status: int | None  # final HTTP status; None when a transport error happened
    error: str | None  # transport error code from the spider (dns, timeout, ssl, ...)
    final_url: str | None = None  # after redirects
    redirect_chain: tuple[str, ...] = ()
    headers: Mapping[str, str] = field(default_factory=dict)  # lower-cased names, decoded values
    body: str = ""  # decoded start of the body (first ~64 KiB), "" for HEAD
    expected_type: ResourceType = ResourceType.PAGE  # what the link looked like
    homepage_url: str | None = None
    internal: bool = True  # target on the site's own domains


@dataclass(frozen=True, slots=True)  # one per target checked, kept to the end of the crawl
class Verdict:
    """Outcome of one check, with the export ``error`` code and one sentence of evidence."""

    state: LinkState
    error: str | None
    reason: str


def _content_type(obs: Observation) -> str:
    return obs.headers.get("content-type", "").split(";", 1)[0].strip().lower()


def _sniffs_html(body: str) -> bool:
    head = body[:1024].lstrip("\ufeff \t\r\n").lower()
    return head.startswith("<") and any(tag in head for tag in ("<html", "<!doctype html", "<head", "<body"))


def _same_url(a: str, b: str) -> bool | None:
    if a == b:
        return True
    try:
        return normalize_url(a) == normalize_url(b)
    except ValueError:
        return None


def _redirect_note(obs: Observation) -> str:
    hops = len(obs.redirect_chain)
    return f" after {hops} redirect{'s' * (hops != 1)} to {obs.final_url}" if hops else ""


def classify(obs: Observation) -> Verdict:
    """Judge one check attempt: ok, broken (with the export error code) or unverified.

    Order: transport error (when there is no final status, or only a 3xx); anti-bot gate (unverified); 429/503 (unverified rate_limited); 401/407/451
    (unverified access_denied); 403 (broken only when its page says the resource is missing, else unverified
    access_denied); other >= 400 (broken http_error, unless the page is a refusal such as 访问被拒绝 and not
    a missing page: unverified); unfollowed 1xx/3xx (unverified); then for 2xx: redirect to an error URL
    or, for a deep link, to the homepage or its own site's root (soft_404), a zero-length attachment
    (empty_attachment), an HTML error page (soft_404, or attachment_error_page for attachments), a refusal
    page (unverified access_denied), an image answered by an HTML page (soft_404); else ok.
    """
    method, status = obs.method.upper(), obs.status
    broken, unverified = LinkState.BROKEN, LinkState.UNVERIFIED
    if obs.error and (status is None or 300 <= status < 400):  # a redirect loop may report its last 3xx
        state = broken if obs.error in BROKEN_TRANSPORT_ERRORS else unverified
        return Verdict(state, obs.error, f"{obs.error} error on {method}")
    if gate := detect_anti_bot_gate(status, obs.body, obs.headers, (obs.final_url, *obs.redirect_chain)):
        return Verdict(
            unverified, "anti_bot_gate", f"HTTP {status} on {method} behind an anti-bot gate ({gate})"
        )
    if status is None:
        return Verdict(unverified, "other", f"no response and no error on {method}")
    where = f"HTTP {status} on {method}{_redirect_note(obs)}"
    if status in (429, 503):
        retry = obs.headers.get("retry-after")
        return Verdict(unverified, "rate_limited", where + (f" (Retry-After: {retry})" if retry else ""))
    if status in (401, 407, 451):
        return Verdict(unverified, "access_denied", where)
    if status == 403:
        if not obs.internal:
            return Verdict(
                unverified, "access_denied", f"{where} from an external site, which may refuse crawlers"
            )
        if method == "HEAD" or not obs.body.strip():
            return Verdict(unverified, "access_denied", f"{where} without a body to judge")
        if missing := error_page_evidence(obs.body):  # the status and the page agree: the resource is gone
            return Verdict(broken, "http_error", f"{where}: {missing}")
        why = denied_page_evidence(obs.body) or "the page does not say the resource is missing"
        return Verdict(unverified, "access_denied", f"{where}: {why}")
    if status >= 400:
        if (refusal := denied_page_evidence(obs.body)) and not error_page_evidence(obs.body):
            return Verdict(
                unverified, "access_denied", f"{where}, but {refusal}: a refusal, not a missing page"
            )
        return Verdict(broken, "http_error", where)
    if not 200 <= status < 300:
        return Verdict(unverified, "other", f"{where}: not a final answer")
    final = obs.final_url
    if final and _same_url(final, obs.url) is False:
        if is_error_url(final):
            return Verdict(broken, "soft_404", f"{where}: redirected to an error page {final}")
        # an external deep link sent to its own site's root is as gone as an internal one
        if redirected_to_homepage(obs.url, final, obs.homepage_url if obs.internal else None):
            return Verdict(broken, "soft_404", f"{where}: deep link redirected to the homepage {final}")
    attachment = obs.expected_type is ResourceType.ATTACHMENT
    if attachment and method == "GET" and obs.headers.get("content-length", "").strip() == "0":
        return Verdict(broken, "empty_attachment", f"{where} with Content-Length: 0 for an attachment")
    ctype = _content_type(obs)
    if method == "GET" and ("html" in ctype or _sniffs_html(obs.body)):
        if evidence := error_page_evidence(obs.body):
            code = "attachment_error_page" if attachment else "soft_404"
            return Verdict(broken, code, f"{where}: {evidence}")
        if denied := denied_page_evidence(obs.body):
            return Verdict(unverified, "access_denied", f"{where}: {denied}")
        if obs.expected_type is ResourceType.IMAGE and _sniffs_html(obs.body):
            return Verdict(broken, "soft_404", f"{where}: an image link answered with an HTML page")
    return Verdict(LinkState.OK, None, where)


def needs_get(obs: Observation) -> bool:
    """After a HEAD: True when only a GET can settle the link.

    HEAD may only confirm a link as ok: any other HEAD verdict is re-checked by GET (servers answer HEAD
    with 404, 405, 501 or redirects they never give to GET), except a DNS failure and an anti-bot gate
    (a GET meets the same gate and only provokes the WAF). An ok HEAD still needs a GET when the answer is
    HTML (soft-404 and error pages are judged on the body), when a page gave no Content-Type, and when an
    attachment claims Content-Length: 0. After a 429 the spider must wait out Retry-After first.
    """
    if obs.method.upper() != "HEAD":
        return False
    if obs.error and (obs.status is None or 300 <= obs.status < 400):
        return obs.error != "dns"
    verdict = classify(obs)
    if verdict.error == "anti_bot_gate":
        return False
    if verdict.state is not LinkState.OK:
        return True
    ctype = _content_type(obs)
    if "html" in ctype or (not ctype and obs.expected_type in (ResourceType.PAGE, ResourceType.FRAME)):
        return True
    return (
        obs.expected_type is ResourceType.ATTACHMENT and obs.headers.get("content-length", "").strip() == "0"
    )
