"""Resource types: what a link looks like from its tag and extension, and what a Content-Type says it is.

Pure; no settings.
"""

from __future__ import annotations

from pipelines.rules.kinds import ResourceType
from pipelines.rules.urls import ATTACHMENT_EXTENSIONS, IMAGE_EXTENSIONS, MEDIA_EXTENSIONS, url_extension

_TAG_TYPES = {
    "img": ResourceType.IMAGE,
    "input": ResourceType.IMAGE,
    "iframe": ResourceType.FRAME,
    "frame": ResourceType.FRAME,
    "script": ResourceType.SCRIPT,
    "stylesheet": ResourceType.STYLESHEET,  # <link rel="stylesheet">
    "icon": ResourceType.OTHER,  # <link rel="icon">
}


def resource_type_for_url(url: str, tag: str = "a") -> ResourceType:
    """What a link looks like from its tag and, for ``a``/``area``/embedded media, its extension.

    ``tag`` is the element name; ``"stylesheet"`` and ``"icon"`` stand for the two kinds of ``<link>``.
    ``a``/``area`` give page unless the extension says attachment, image or media (other); embed,
    object, source, video and audio give other unless the extension says attachment or image.
    """
    tag = tag.lower()
    if tag in _TAG_TYPES:
        return _TAG_TYPES[tag]
    ext = url_extension(url)
    if ext in ATTACHMENT_EXTENSIONS:
        return ResourceType.ATTACHMENT
    if ext in IMAGE_EXTENSIONS:
        return ResourceType.IMAGE
    if tag in ("a", "area") and ext not in MEDIA_EXTENSIONS:
        return ResourceType.PAGE
    return ResourceType.OTHER


_SCRIPT_TYPES = frozenset(
    {"application/javascript", "text/javascript", "application/x-javascript", "application/ecmascript"}
    | {"text/ecmascript", "application/x-ecmascript", "text/jscript", "module"}
)
_ATTACHMENT_TYPES = frozenset(
    {"application/pdf", "application/msword", "application/zip", "application/octet-stream", "text/csv"}
    | {"application/x-zip-compressed", "application/x-rar-compressed", "application/x-rar", "text/rtf"}
    | {"application/x-7z-compressed", "application/x-tar", "application/x-gzip", "application/gzip"}
    | {"application/x-download", "application/force-download", "application/download", "application/rtf"}
    | {"application/x-msdownload", "application/ofd", "application/x-ofd", "application/kswps"}
)


def resource_type_from_content_type(content_type: str | None) -> ResourceType | None:
    """Map a Content-Type header to a resource type; None when missing, malformed or ambiguous.

    ``text/plain`` is ambiguous (a ``.txt`` attachment or a bare error message) and gives None.
    """
    mime = (content_type or "").split(";", 1)[0].strip().lower()
    major, _, minor = mime.partition("/")
    if not major or not minor:
        return None
    if mime in ("text/html", "application/xhtml+xml"):
        return ResourceType.PAGE
    if major == "image":
        return ResourceType.IMAGE
    if mime == "text/css":
        return ResourceType.STYLESHEET
    if mime in _SCRIPT_TYPES:
        return ResourceType.SCRIPT
    if mime in _ATTACHMENT_TYPES or mime.startswith(("application/vnd.", "application/wps")):
        return ResourceType.ATTACHMENT
    if major in ("application", "audio", "video", "font") or mime in ("text/xml", "text/vtt"):
        return ResourceType.OTHER
    return None
