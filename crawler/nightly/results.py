"""What one site's crawl in a nightly run came to, read from its Scrapy stats."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from twisted.python.failure import Failure

from models.nightly import INSPECTED_REASONS

SUMMARY_COLUMNS = (
    "code",
    "site",
    "pages",
    "broken",
    "blank",
    "stale",
    "unverified",
    "time",
    "budget",
    "errors",
)


@dataclass
class SiteResult:
    """What the summary table shows of one site."""

    code: str
    name: str
    pages: int = 0
    broken: int = 0
    blank: int = 0
    stale: int = 0
    unverified: int = 0
    seconds: float = 0.0
    budget: str = ""
    error: str = ""
    done: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    def record(self, outcome: Any, stats: Mapping[str, Any]) -> None:
        """Take the counts from the crawl's ``stats``; ``outcome`` is what its crawl Deferred fired with."""
        self.pages = stats.get("govhealth/pages", 0)
        self.broken = stats.get("govhealth/findings/broken_link", 0)
        self.blank = stats.get("govhealth/findings/blank_column", 0)
        self.stale = stats.get("govhealth/findings/stale_column", 0)
        self.unverified = stats.get("govhealth/findings/unverified_link", 0) + stats.get(
            "govhealth/findings/unverified_column", 0
        )
        self.budget = "|".join(k.rsplit("/", 1)[-1] for k in stats if k.startswith("govhealth/budget/"))
        reason = stats.get("finish_reason")
        if isinstance(outcome, Failure):
            self.error = f"{type(outcome.value).__name__}: {str(outcome.value)[:80]}"
        elif reason not in INSPECTED_REASONS:
            self.error = f"stopped: {reason}"
        else:
            self.done = True
            if stats.get("govhealth/findings/site_unreachable"):
                self.error = "homepage unreachable"

    @property
    def findings(self) -> int:
        """Broken, blank and stale: what the progress status line counts as findings so far."""
        return self.broken + self.blank + self.stale

    def line(self, done: int, total: int) -> str:
        """The progress line printed when the site is finished."""
        return (
            f"[{done}/{total or '?'}] {self.code} {self.name}: {self.pages} pages, {self.broken} broken, "
            f"{self.blank} blank, {self.stale} stale, {self.unverified} unverified, {self.seconds:.0f}s"
            + (f", ERROR {self.error}" if self.error else "")
        )

    def row(self) -> list[str]:
        """The site's row of the summary table (SUMMARY_COLUMNS)."""
        return [
            self.code,
            self.name,
            str(self.pages),
            str(self.broken),
            str(self.blank),
            str(self.stale),
            str(self.unverified),
            f"{self.seconds:.0f}s",
            self.budget,
            self.error or ("" if self.done else "not run"),
        ]

    def summary(self) -> dict[str, Any]:
        """What the nightly run's summary column keeps of the site."""
        return {"pages": self.pages, "broken": self.broken, "error": self.error}
