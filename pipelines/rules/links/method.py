"""Which HTTP method checks a link target first: GET for what is plainly a page, HEAD for everything else.

Pure function over the URL and the link's resource type (no settings).
"""

from __future__ import annotations

from pipelines.rules.kinds import ResourceType
from pipelines.rules.urls import url_extension

# A page is judged on its body (soft-404s, error pages, gates), so a HEAD that says "200 text/html" is always
# followed by a GET: for these the HEAD is a wasted request to the government server.
PAGE_EXTENSIONS: frozenset[str] = frozenset({"html", "htm", "shtml", "shtm", "xhtml", "jhtml"})
_PAGE_TYPES = frozenset({ResourceType.PAGE, ResourceType.FRAME})


def first_check_method(url: str, resource_type: ResourceType) -> str:
    """``GET`` for a page or frame link whose path ends in ``/`` or an HTML extension, else ``HEAD``.

    Images, attachments, scripts and pages of unknown shape (``downfile.jsp?id=…`` may be a 50 MB download)
    keep HEAD first; the GET of a page is streamed and cut at the check's body budget.
    """
    if resource_type not in _PAGE_TYPES:
        return "HEAD"
    ext = url_extension(url)
    if ext:
        return "GET" if ext in PAGE_EXTENSIONS else "HEAD"
    path = url.split("?", 1)[0].split("#", 1)[0]
    rest = path.split("://", 1)[-1]
    return "GET" if "/" not in rest or rest.endswith("/") else "HEAD"
