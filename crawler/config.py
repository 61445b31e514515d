"""Settings shared by the spider and the commands: the as-of date and the rules file."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from typing import TYPE_CHECKING

from models.errors import GovHealthError
from pipelines.rules.rulesfile import RuleSet, load_rules

if TYPE_CHECKING:
    from scrapy.settings import BaseSettings

_CHINA = timezone(timedelta(hours=8), "Asia/Shanghai")


class SettingsError(GovHealthError, ValueError):
    """A setting has a wrong value; the message names the setting."""


def as_of_date(settings: BaseSettings) -> date:
    """GOVHEALTH_AS_OF (YYYY-MM-DD), or today (UTC+8, the inspected sites' calendar) when empty.

    Raises:
        SettingsError: the setting is not a date; the message names the setting.
    """
    value = str(settings.get("GOVHEALTH_AS_OF") or "").strip()
    if not value:
        return datetime.now(UTC).astimezone(_CHINA).date()
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise SettingsError(f"GOVHEALTH_AS_OF must be a date like 2026-11-20, got {value!r}") from None


def rules_from_settings(settings: BaseSettings, path: str | None = None) -> RuleSet:
    """The rules file named by ``path`` (--rules), else GOVHEALTH_RULES, else the bundled default."""
    return load_rules(path or settings.get("GOVHEALTH_RULES") or None)


def check_crawl_settings(settings: BaseSettings) -> None:
    """Validate everything a portal crawl reads from the settings before any crawl starts.

    Raises:
        SettingsError: the first wrong value, with the setting's name (one line for the user).
    """
    from crawler.gctuning import parse_thresholds
    from crawler.spiders.portal import PortalConfig

    try:
        PortalConfig.from_settings(settings)  # GOVHEALTH_AS_OF and the rules file included
        if (gc_value := str(settings.get("GOVHEALTH_GC_THRESHOLDS") or "").strip()) not in ("", "default"):
            parse_thresholds(gc_value)
    except GovHealthError:
        raise
    except ValueError as exc:
        raise SettingsError(str(exc)) from exc
