"""The rows and errors of a site-registry file (``scrapy sites import``): what the reader returns or raises."""

from __future__ import annotations

from dataclasses import dataclass

from models.errors import GovHealthError
from pipelines.rules.kinds import SiteLevel

NOT_A_TABLE = "not a CSV or XLSX file"


@dataclass(frozen=True)
class SiteRow:
    """One validated site of a registry file."""

    code: str
    name: str
    url: str
    level: SiteLevel
    organizer: str | None
    domains: tuple[str, ...]
    enabled: bool
    row: int
    contact: tuple[str, ...] | None = None  # notification URLs; None: the file has no contact column
    platform: str | None = None  # sites on one server or CDN share it; None: no platform column, "" clears it


@dataclass(frozen=True)
class RowError:
    """One problem of a registry file; ``row`` is 1-based (header = 1), 0 for the whole file."""

    row: int
    message: str


class SiteFileError(GovHealthError):
    """A registry file that cannot be imported; ``errors`` lists every problem found."""

    def __init__(self, name: str, errors: list[RowError]) -> None:
        self.name = name
        self.errors = errors
        self.lines = [f"row {e.row}: {e.message}" if e.row else e.message for e in errors]
        super().__init__("\n".join([f"{name}: {len(errors)} problem(s)", *self.lines]))

    @property
    def summary(self) -> str:
        """The error for a terminal: one line when there is one problem, else the full listing."""
        return f"{self.name}: {self.lines[0]}" if len(self.lines) == 1 else str(self)


class Unreadable(Exception):
    """Internal: the file cannot be read as a table at all."""

    def __init__(self, message: str | list[str], row: int = 0) -> None:
        super().__init__(message)
        self.errors = [RowError(row, m) for m in ([message] if isinstance(message, str) else message)]
