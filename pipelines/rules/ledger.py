"""The link ledger of one run: every distinct target, its evidence and its checks.

Each target is checked once per run however many pages link to it; failed ones get one
confirmation re-check, and only a target that fails both times ends up broken.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from pipelines.rules.kinds import LinkState, ResourceType
from pipelines.rules.links import Verdict

# Confirmation re-checks cannot change these: a private target is never fetched, an
# anti-bot gate will not open later.
_FINAL_ERRORS = frozenset({"private_address", "robots_disallowed", "unsupported_scheme", "unconfirmed"})


# One per distinct target: slots save ~400 bytes each against a __dict__, and tuples (shared when empty, never
# over-allocated, handed on to the LinkItem without a copy) ~200 more than lists.
@dataclass(slots=True)
class Target:
    """One distinct link target and everything known about it in this run."""

    url: str
    resource_type: ResourceType
    internal: bool
    link_text: str | None = None
    sources: tuple[str, ...] = ()  # the first GOVHEALTH_SOURCES_CAP pages linking to it
    source_count: int = 0
    on_homepage: bool = False
    verdict: Verdict | None = None
    status: int | None = None
    attempts: int = 0
    rechecked: bool = False
    first_verdict: Verdict | None = None
    evidence: tuple[int, ...] = ()  # spool references of its failed checks, in order
    found_in: int | None = None  # spool reference of the page it was first found on

    @property
    def needs_recheck(self) -> bool:
        """Failed once and not yet confirmed."""
        return (
            self.verdict is not None
            and self.verdict.state is not LinkState.OK
            and self.verdict.error not in _FINAL_ERRORS
            and not self.rechecked
        )


class LinkLedger:
    """Targets of one site's run, keyed by normalised URL."""

    def __init__(self, homepage_url: str, sources_cap: int = 20) -> None:
        self.homepage_url = homepage_url
        self.sources_cap = sources_cap
        self.targets: dict[str, Target] = {}

    def __len__(self) -> int:
        return len(self.targets)

    def __contains__(self, url: object) -> bool:
        return url in self.targets

    def get(self, url: str) -> Target | None:
        return self.targets.get(url)

    def add(
        self,
        url: str,
        *,
        source_url: str | None,
        text: str | None,
        resource_type: ResourceType,
        internal: bool,
        on_homepage: bool = False,
        found_in: int | None = None,
    ) -> bool:
        """Note that ``source_url`` links to ``url``; True when the target is new to this run.

        ``found_in`` is the spool reference of the page read at ``source_url`` (the evidence archive's).
        """
        target = self.targets.get(url)
        new = target is None
        if target is None:
            target = self.targets[url] = Target(url, resource_type, internal, found_in=found_in)
        elif target.found_in is None:
            target.found_in = found_in
        if text and not target.link_text:
            target.link_text = text
        if source_url is not None:
            target.source_count += 1
            if len(target.sources) < self.sources_cap and source_url not in target.sources:
                target.sources += (source_url,)
        target.on_homepage = target.on_homepage or on_homepage
        return new

    def record(
        self,
        url: str,
        verdict: Verdict,
        status: int | None,
        *,
        recheck: bool = False,
        cached: bool = False,
        evidence: int | None = None,
    ) -> None:
        """Store the outcome of a check; a re-check's outcome replaces the first one.

        A ``cached`` outcome comes from the shared link cache: final (confirmed elsewhere), no fetch made here.
        ``evidence`` is the spool reference of the exchange that gave a failed outcome.
        """
        target = self.targets[url]
        if evidence is not None:
            target.evidence += (evidence,)
        target.attempts += 0 if cached else 1
        if recheck or cached:
            target.rechecked = True
        elif target.verdict is None:
            target.first_verdict = verdict
        target.verdict, target.status = verdict, status

    def pending_rechecks(self) -> list[Target]:
        """Targets that failed once and deserve one more try."""
        return [t for t in self.targets.values() if t.needs_recheck]

    def mark_unconfirmed(self) -> None:
        """A failure whose confirmation re-check never ran (a budget cut the run short) is not broken."""
        for target in self.pending_rechecks():
            first = target.verdict
            assert first is not None
            target.verdict = Verdict(
                LinkState.UNVERIFIED,
                "unconfirmed",
                f"failed once ({first.reason}); the confirmation re-check did not run",
            )

    def checked(self) -> Iterator[Target]:
        """Targets with an outcome (targets a budget cut off before their check are left out)."""
        return (t for t in self.targets.values() if t.verdict is not None)

    def unchecked_count(self) -> int:
        return sum(1 for t in self.targets.values() if t.verdict is None)
