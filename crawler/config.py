"""Settings shared by the spider and the commands: the as-of date and the rules file (from pipelines/settings.py),
and the check of every crawl setting before a crawl starts."""

from __future__ import annotations

from typing import TYPE_CHECKING

from models.errors import GovHealthError
from pipelines.settings import SettingsError, as_of_date, rules_from_settings

if TYPE_CHECKING:
    from scrapy.settings import BaseSettings

__all__ = ["SettingsError", "as_of_date", "check_crawl_settings", "rules_from_settings"]


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
