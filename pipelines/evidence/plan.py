"""Which exchanges prove which finding (README: Evidence archive): pure, on references into the spool.

broken/unverified link: its failed checks (the check, then the re-check) and one page that carries it;
site unreachable: every failed attempt; blank/stale/unverified column: the pages read for it;
homepage stale: the homepage and the column pages that gave the site's newest date.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from pipelines.rules.kinds import FindingKind

MAX_REFS = 20  # pages archived for one column or homepage verdict


class LinkEvidence(Protocol):
    @property
    def url(self) -> str: ...
    @property
    def evidence(self) -> Sequence[int]: ...
    @property
    def found_in(self) -> int | None: ...


class ColumnEvidence(Protocol):
    @property
    def url(self) -> str: ...
    @property
    def evidence(self) -> Sequence[int]: ...
    @property
    def top_level(self) -> bool: ...


@dataclass
class Proof:
    """The exchanges to archive for one finding, and the one whose record proves its verdict.

    ``note`` explains a verdict no exchange of this run proves (a shared link-cache outcome, a target never
    fetched): it is archived as a ``metadata`` record, which then proves the finding.
    """

    refs: list[int] = field(default_factory=list)
    proving: int | None = None
    note: dict[str, Any] | None = None


def plan_proofs(
    findings: Sequence[Mapping[str, Any]],
    links: Mapping[str, LinkEvidence],
    columns: Mapping[str, ColumnEvidence],
    homepage: Sequence[int],
) -> list[Proof]:
    """One ``Proof`` per finding, in the order of ``findings``."""
    return [_proof(f, links, columns, homepage) for f in findings]


def _proof(
    finding: Mapping[str, Any],
    links: Mapping[str, LinkEvidence],
    columns: Mapping[str, ColumnEvidence],
    homepage: Sequence[int],
) -> Proof:
    kind, url = finding["kind"], finding["url"]
    link = links.get(url)
    failures = list(link.evidence) if link is not None else []
    if kind in (FindingKind.BROKEN_LINK, FindingKind.UNVERIFIED_LINK, FindingKind.SITE_UNREACHABLE):
        proof = Proof(list(failures), failures[-1] if failures else None)
        if link is not None and link.found_in is not None:
            proof.refs.append(link.found_in)  # the page that carries the link
        if proof.proving is None:
            proof.note = {
                "govhealth-event": "verdict-without-fetch",
                "kind": kind,
                "error": finding.get("error"),
                "reason": finding.get("reason"),
                "explanation": (
                    "outcome shared by the link cache (checked by another crawl)"
                    if finding.get("error") not in _NOT_FETCHED
                    else "not fetched by rule"
                ),
            }
        return proof
    column = columns.get(url)
    if column is not None and kind in (
        FindingKind.BLANK_COLUMN,
        FindingKind.STALE_COLUMN,
        FindingKind.UNVERIFIED_COLUMN,
    ):
        read = list(column.evidence)[:MAX_REFS]
        if read:
            return Proof(read + failures, read[0])
        return Proof(list(failures), failures[-1] if failures else None)
    if kind in (FindingKind.HOMEPAGE_STALE, FindingKind.UNVERIFIED_COLUMN):
        # the homepage's own verdict (stale, or no date to judge it by): the homepage and its columns' pages
        refs = list(homepage)
        for column in columns.values():
            if column.top_level and column.evidence and len(refs) < MAX_REFS:
                refs.append(column.evidence[0])
        if homepage:
            return Proof(refs, homepage[0])
    return Proof(list(failures), failures[-1] if failures else None)


_NOT_FETCHED = frozenset({"private_address", "robots_disallowed", "unsupported_scheme"})
