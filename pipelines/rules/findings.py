"""Turn what a run measured into findings (the export records of the README's export schema), as plain dicts."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Protocol

from pipelines.rules.kinds import FindingKind, LinkState, ResourceType
from pipelines.rules.links import Verdict

FINDING_FIELDS = (
    "kind",
    "url",
    "source_url",
    "sources",
    "source_count",
    "on_homepage",
    "external",
    "link_text",
    "resource_type",
    "status",
    "error",
    "reason",
    "column_name",
    "column_category",
    "latest_date",
    "item_count",
)


class CheckedTarget(Protocol):
    """A checked link target as the findings read it (a ledger ``Target`` or a ``LinkItem``)."""

    @property
    def url(self) -> str: ...
    @property
    def resource_type(self) -> ResourceType: ...
    @property
    def internal(self) -> bool: ...
    @property
    def verdict(self) -> Verdict | None: ...
    @property
    def status(self) -> int | None: ...
    @property
    def link_text(self) -> str | None: ...
    @property
    def sources(self) -> Sequence[str]: ...
    @property
    def source_count(self) -> int: ...
    @property
    def on_homepage(self) -> bool: ...


def blank_finding(kind: FindingKind, url: str, **fields: Any) -> dict[str, Any]:
    """A finding with every field present (None, empty or False unless given)."""
    record: dict[str, Any] = dict.fromkeys(FINDING_FIELDS)
    record.update(kind=str(kind), url=url, sources=[], source_count=0, on_homepage=False, external=False)
    record.update(fields)
    return record


def link_findings(targets: Iterable[CheckedTarget], homepage_url: str) -> list[dict[str, Any]]:
    """One broken_link or unverified_link finding per failed target; the homepage itself is left out.

    A homepage that cannot be loaded is a site_unreachable finding (see homepage_finding), not a broken link.
    """
    found = []
    for target in targets:
        verdict = target.verdict
        if (
            verdict is None
            or verdict.state is LinkState.OK
            or target.url == homepage_url
            or not target.sources
        ):
            continue
        kind = FindingKind.BROKEN_LINK if verdict.state is LinkState.BROKEN else FindingKind.UNVERIFIED_LINK
        found.append(
            blank_finding(
                kind,
                target.url,
                source_url=target.sources[0],
                sources=list(target.sources),
                source_count=target.source_count,
                on_homepage=target.on_homepage,
                external=not target.internal,
                link_text=target.link_text,
                resource_type=str(target.resource_type),
                status=target.status,
                error=verdict.error,
                reason=verdict.reason,
            )
        )
    return found


def homepage_finding(homepage: CheckedTarget | None) -> dict[str, Any] | None:
    """site_unreachable when the homepage failed its check and its re-check; unverified behind a gate."""
    if homepage is None or homepage.verdict is None or homepage.verdict.state is LinkState.OK:
        return None
    verdict = homepage.verdict
    kind = FindingKind.SITE_UNREACHABLE if verdict.state is LinkState.BROKEN else FindingKind.UNVERIFIED_LINK
    return blank_finding(
        kind,
        homepage.url,
        status=homepage.status,
        error=verdict.error,
        reason=verdict.reason,
        on_homepage=True,
        resource_type="page",
    )
