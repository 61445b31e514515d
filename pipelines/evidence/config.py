"""The evidence archive's settings: GOVHEALTH_EVIDENCE, _DIR, _DAYS and the byte caps of what it keeps."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from pipelines.settings import SettingsError

if TYPE_CHECKING:
    from scrapy.settings import BaseSettings


@dataclass(frozen=True)
class EvidenceConfig:
    """Validated GOVHEALTH_EVIDENCE* settings (README: Settings)."""

    enabled: bool
    directory: Path
    days: int
    check_bytes: int  # body bytes kept of a link check, a gate, a failing page
    page_bytes: int  # body bytes kept of a page (a source page, a list page, the homepage)
    spool_bytes: int  # what one crawl may keep aside until its verdicts are known

    @classmethod
    def from_settings(cls, settings: BaseSettings) -> EvidenceConfig:
        values = {
            name: settings.getint(name, default)
            for name, default in (
                ("GOVHEALTH_EVIDENCE_DAYS", 400),
                ("GOVHEALTH_EVIDENCE_MAX_BYTES", 64 * 1024),
                ("GOVHEALTH_EVIDENCE_PAGE_BYTES", 1024 * 1024),
                ("GOVHEALTH_EVIDENCE_SPOOL_BYTES", 1024 * 1024 * 1024),
            )
        }
        for name, value in values.items():
            if value < 1:
                raise SettingsError(f"{name} must be >= 1, got {value}")
        directory = str(settings.get("GOVHEALTH_EVIDENCE_DIR") or "evidence")
        return cls(
            settings.getbool("GOVHEALTH_EVIDENCE", True),
            Path(directory),
            values["GOVHEALTH_EVIDENCE_DAYS"],
            values["GOVHEALTH_EVIDENCE_MAX_BYTES"],
            values["GOVHEALTH_EVIDENCE_PAGE_BYTES"],
            values["GOVHEALTH_EVIDENCE_SPOOL_BYTES"],
        )

    def archive_path(self, site_code: str, run_id: int) -> Path:
        """``<GOVHEALTH_EVIDENCE_DIR>/<site_code>/<run_id>.warc.gz``."""
        return self.directory / relative_archive(site_code, run_id)


def relative_archive(site_code: str, run_id: int) -> str:
    """The export's ``evidence_file``: the archive's path relative to GOVHEALTH_EVIDENCE_DIR."""
    return f"{site_code}/{run_id}.warc.gz"
