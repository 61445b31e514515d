"""Build the report from settings: read the data, take the optional screenshots, write the pages.

Reads GOVHEALTH_RULES (or --rules), GOVHEALTH_AS_OF and GOVHEALTH_EVIDENCE_DIR; used by `scrapy report`,
`scrapy nightly` (GOVHEALTH_REPORT_DIR) and `scrapy demo`.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from crawler.config import as_of_date, rules_from_settings
from crawler.report.data import gather_report
from crawler.report.render import write_report
from crawler.report.screenshots import take_screenshots
from pipelines.evidence import EvidenceConfig

if TYPE_CHECKING:
    from scrapy.settings import BaseSettings


@dataclass(frozen=True)
class ReportResult:
    """What was written: the index page, how many site pages, and the screenshots' outcome."""

    index: Path
    sites: int
    findings: int
    screenshots: int
    note: str | None


def evidence_dir(settings: BaseSettings) -> Path:
    """The evidence archive's folder (GOVHEALTH_EVIDENCE_DIR, default ``evidence``)."""
    return EvidenceConfig.from_settings(settings).directory


def build_report(
    settings: BaseSettings,
    session_factory: Callable[[], AbstractContextManager[Session]],
    output: Path,
    *,
    code: str | None = None,
    runs: int = 10,
    rules_path: str | None = None,
    screenshots: bool = False,
) -> ReportResult:
    """Read the report's data in one session, then write it (screenshots first, when asked for)."""
    rules = rules_from_settings(settings, rules_path)
    rules_name = Path(rules_path or settings.get("GOVHEALTH_RULES") or "").name or rules.profile.name
    with session_factory() as session:
        data = gather_report(
            session, rules, as_of_date(settings), code=code, runs=runs, rules_name=rules_name
        )
    note: str | None = None
    taken: list[tuple[Path, Path]] = []
    with tempfile.TemporaryDirectory(prefix="govhealth-shots-") as tmp:
        if screenshots:
            taken, note = take_screenshots(data, Path(tmp))
        index = write_report(
            data, output, evidence_dir=evidence_dir(settings), screenshot_note=note, extra_files=taken
        )
    return ReportResult(
        index=index,
        sites=len(data.sites),
        findings=sum(len(s.findings) for s in data.sites),
        screenshots=len(taken),
        note=note,
    )
