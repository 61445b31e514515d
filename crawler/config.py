"""Settings of a portal crawl: PortalConfig (every GOVHEALTH_* setting the spider reads), the as-of date and the
rules file (from pipelines/settings.py), and the check of every crawl setting before a crawl starts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from models.errors import GovHealthError
from pipelines.settings import SettingsError, as_of_date, rules_from_settings

if TYPE_CHECKING:
    from scrapy.settings import BaseSettings

__all__ = ["PortalConfig", "SettingsError", "as_of_date", "check_crawl_settings", "rules_from_settings"]


@dataclass(frozen=True)
class PortalConfig:
    """Validated settings of the portal spider."""

    database_url: str
    max_pages: int
    max_depth: int
    max_seconds: float
    allow_private: bool
    obey_robots: bool
    recheck_delay: float
    sources_cap: int
    max_page_bytes: int
    today: date
    placeholders: tuple[str, ...]
    article_probes: int
    cache_wait: float = 300.0
    download_timeout: float = 180.0
    max_links_per_page: int = 10_000
    max_targets: int = 100_000
    max_crawl_delay: float = 30.0
    max_robots_bytes: int = 512 * 1024

    @classmethod
    def from_settings(cls, settings: BaseSettings) -> PortalConfig:
        config = cls(
            database_url=settings.get("GOVHEALTH_DATABASE_URL", "sqlite:///govhealth.sqlite3"),
            max_pages=settings.getint("GOVHEALTH_MAX_PAGES", 5000),
            max_depth=settings.getint("GOVHEALTH_MAX_DEPTH", 8),
            max_seconds=settings.getfloat("GOVHEALTH_MAX_SECONDS", 3600),
            allow_private=settings.getbool("GOVHEALTH_ALLOW_PRIVATE_TARGETS", False),
            obey_robots=settings.getbool("GOVHEALTH_OBEY_ROBOTS", False),
            recheck_delay=settings.getfloat("GOVHEALTH_RECHECK_DELAY", 30),
            sources_cap=settings.getint("GOVHEALTH_SOURCES_CAP", 20),
            max_page_bytes=settings.getint("GOVHEALTH_MAX_PAGE_BYTES", 4 * 1024 * 1024),
            today=as_of_date(settings),
            placeholders=rules_from_settings(settings).placeholders,
            article_probes=settings.getint("GOVHEALTH_ARTICLE_PROBES", 3),
            cache_wait=settings.getfloat("GOVHEALTH_LINK_CACHE_WAIT", 300),
            download_timeout=settings.getfloat("DOWNLOAD_TIMEOUT", 180),
            max_links_per_page=settings.getint("GOVHEALTH_MAX_LINKS_PER_PAGE", 10_000),
            max_targets=settings.getint("GOVHEALTH_MAX_TARGETS", 100_000),
            max_crawl_delay=settings.getfloat("GOVHEALTH_MAX_CRAWL_DELAY", 30),
            max_robots_bytes=settings.getint("GOVHEALTH_MAX_ROBOTS_BYTES", 512 * 1024),
        )
        for name, value in (
            ("GOVHEALTH_MAX_PAGES", config.max_pages),
            ("GOVHEALTH_MAX_SECONDS", config.max_seconds),
            ("GOVHEALTH_SOURCES_CAP", config.sources_cap),
            ("GOVHEALTH_MAX_PAGE_BYTES", config.max_page_bytes),
            ("GOVHEALTH_LINK_CACHE_WAIT", config.cache_wait),
            ("GOVHEALTH_MAX_LINKS_PER_PAGE", config.max_links_per_page),
            ("GOVHEALTH_MAX_TARGETS", config.max_targets),
            ("GOVHEALTH_MAX_ROBOTS_BYTES", config.max_robots_bytes),
        ):
            if value < 1:
                raise ValueError(f"{name} must be >= 1, got {value}")
        if config.max_depth < 0 or config.recheck_delay < 0 or config.max_crawl_delay < 0:
            raise ValueError(
                "GOVHEALTH_MAX_DEPTH, GOVHEALTH_RECHECK_DELAY and GOVHEALTH_MAX_CRAWL_DELAY must be >= 0"
            )
        return config


def check_crawl_settings(settings: BaseSettings) -> None:
    """Validate everything a portal crawl reads from the settings before any crawl starts.

    Raises:
        SettingsError: the first wrong value, with the setting's name (one line for the user).
    """
    from crawler.gctuning import parse_thresholds
    from pipelines.evidence import EvidenceConfig

    try:
        PortalConfig.from_settings(settings)  # GOVHEALTH_AS_OF and the rules file included
        EvidenceConfig.from_settings(settings)
        if (gc_value := str(settings.get("GOVHEALTH_GC_THRESHOLDS") or "").strip()) not in ("", "default"):
            parse_thresholds(gc_value)
    except GovHealthError:
        raise
    except ValueError as exc:
        raise SettingsError(str(exc)) from exc
