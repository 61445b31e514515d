"""Settings the pipelines and the commands share: the as-of date and the rules file (crawler/config.py re-exports them)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from typing import TYPE_CHECKING

from models.errors import GovHealthError
from pipelines.rules.rulesfile import RuleSet, load_rules

if TYPE_CHECKING:
    from scrapy.settings import BaseSettings

# China time (UTC+8, no daylight saving): the inspected sites' calendar and the report's clock.
CHINA_TZ = timezone(timedelta(hours=8), "Asia/Shanghai")


class SettingsError(GovHealthError, ValueError):
    """A setting has a wrong value; the message names the setting."""


def as_of_date(settings: BaseSettings) -> date:
    """GOVHEALTH_AS_OF (YYYY-MM-DD), or today (UTC+8, the inspected sites' calendar) when empty.

    Raises:
        SettingsError: the setting is not a date; the message names the setting.
    """
    value = str(settings.get("GOVHEALTH_AS_OF") or "").strip()
    if not value:
        return datetime.now(UTC).astimezone(CHINA_TZ).date()
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise SettingsError(f"GOVHEALTH_AS_OF must be a date like 2026-11-20, got {value!r}") from None


def rules_from_settings(settings: BaseSettings, path: str | None = None) -> RuleSet:
    """The rules file named by ``path`` (--rules), else GOVHEALTH_RULES, else the bundled default."""
    return load_rules(path or settings.get("GOVHEALTH_RULES") or None)
