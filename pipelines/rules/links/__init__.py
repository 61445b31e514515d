"""Link logic for the portal spider: extract and normalise links, type them, and judge one check attempt.

Pure functions (lxml, w3lib); no settings. Precision first: anything a bot wall or rate limit could explain
is unverified, never broken.
"""

from __future__ import annotations

from pipelines.rules.links.addresses import is_private_address
from pipelines.rules.links.classify import BROKEN_TRANSPORT_ERRORS, Observation, Verdict, classify, needs_get
from pipelines.rules.links.extract import ExtractedLink, extract_links
from pipelines.rules.links.gates import detect_anti_bot_gate
from pipelines.rules.links.method import PAGE_EXTENSIONS, first_check_method
from pipelines.rules.links.normalize import normalize_url
from pipelines.rules.links.resources import resource_type_for_url, resource_type_from_content_type
from pipelines.rules.links.retry import retry_after_seconds
from pipelines.rules.urls import ATTACHMENT_EXTENSIONS, is_attachment_url

__all__ = [
    "ATTACHMENT_EXTENSIONS",
    "BROKEN_TRANSPORT_ERRORS",
    "PAGE_EXTENSIONS",
    "ExtractedLink",
    "Observation",
    "Verdict",
    "classify",
    "detect_anti_bot_gate",
    "extract_links",
    "first_check_method",
    "is_attachment_url",
    "is_private_address",
    "needs_get",
    "normalize_url",
    "resource_type_for_url",
    "resource_type_from_content_type",
    "retry_after_seconds",
]
