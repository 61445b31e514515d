"""Settings of `scrapy notify`: GOVHEALTH_NOTIFY_SUPERVISOR and GOVHEALTH_REPORT_DIR, read once and validated."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from pipelines.rules.contacts import contact_problems, split_contacts
from pipelines.settings import SettingsError

if TYPE_CHECKING:
    from scrapy.settings import BaseSettings


@dataclass(frozen=True)
class NotifyConfig:
    """Validated notification settings."""

    supervisor: tuple[str, ...]  # notification URLs of the supervising office (hold secrets)
    report_dir: Path | None  # where `scrapy report` writes; messages point at sites/<code>.html there

    @classmethod
    def from_settings(cls, settings: BaseSettings) -> NotifyConfig:
        supervisor = split_contacts(str(settings.get("GOVHEALTH_NOTIFY_SUPERVISOR") or ""))
        if problems := contact_problems(supervisor):
            raise SettingsError(f"GOVHEALTH_NOTIFY_SUPERVISOR: {problems[0]}")
        report_dir = str(settings.get("GOVHEALTH_REPORT_DIR") or "")
        return cls(supervisor=supervisor, report_dir=Path(report_dir) if report_dir else None)
