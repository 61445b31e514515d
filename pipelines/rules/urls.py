"""URL shapes, written down once: attachment extensions, article-like URLs, index files, column keys.

Pure functions over URL strings (no parsing of pages, no settings); the link, column and spider code read
what a URL looks like from here.
"""

from __future__ import annotations

import re
from functools import lru_cache
from posixpath import splitext
from urllib.parse import unquote, urlsplit

# Entries of each URL cache (here, normalize.py, extract.py): pages of a site link the same targets again and
# again (ten times each on the benchmark). Four full caches hold ~100 MB; 16,384 entries each saved most of that
# but cost 25 % more CPU on the 20,000-page benchmark (measured), so they stay this size.
URL_CACHE_SIZE = 65_536

__all__ = [
    "ARTICLE_FILE",
    "ARTICLE_HINT",
    "ARTICLE_QUERY",
    "ATTACHMENT_EXTENSIONS",
    "COLUMN_QUERY",
    "COLUMN_URL",
    "FILE_EXT",
    "HOME_PATH",
    "IMAGE_EXTENSIONS",
    "INDEX_FILE",
    "MEDIA_EXTENSIONS",
    "PAGER_FILE",
    "PAGER_QUERY",
    "column_key",
    "is_article_path",
    "is_article_url",
    "is_attachment_url",
    "url_extension",
]

# --- extensions: what a link's target is (pipelines.rules.links) ----------------------------------------

ATTACHMENT_EXTENSIONS: frozenset[str] = frozenset(
    {"pdf", "doc", "docx", "xls", "xlsx", "ppt", "pptx", "wps", "et", "dps", "ofd", "zip", "rar", "7z"}
    | {"txt", "csv", "rtf", "odt", "ods", "odp", "ceb", "gz", "tar"}
)
IMAGE_EXTENSIONS: frozenset[str] = frozenset(
    {"jpg", "jpeg", "png", "gif", "bmp", "webp", "svg", "ico", "tif", "tiff"}
)
MEDIA_EXTENSIONS: frozenset[str] = frozenset(
    {"mp4", "flv", "avi", "wmv", "mov", "mkv", "webm", "mp3", "wav", "wma", "swf", "m3u8"}
)


@lru_cache(maxsize=URL_CACHE_SIZE)  # every target is typed where it is linked and again where it is checked
def url_extension(url: str) -> str:
    """The lower-cased extension of the URL path's last segment, without the dot ("" for none)."""
    try:
        path = urlsplit(url).path
    except ValueError:
        return ""
    last = unquote(path.rsplit("/", 1)[-1].split(";", 1)[0])  # drop ;jsessionid=...
    return splitext(last)[1][1:].lower()


def is_attachment_url(url: str) -> bool:
    """True when the URL path ends in an attachment extension (``.pdf``, ``.docx``, ``.wps``, ``.ofd`` ...).

    Only the path counts: ``download.jsp?file=a.pdf`` may answer with an HTML page on purpose.
    """
    return url_extension(url) in ATTACHMENT_EXTENSIONS


# --- documents, columns and list pages (pipelines.rules.columns) --------------------------------------

# Files a column link never points to; wider than ATTACHMENT_EXTENSIONS (images, audio, video) and
# deliberately separate from it: it decides what is not a column, not how a target is checked.
FILE_EXT = re.compile(
    r"\.(?:pdf|docx?|xlsx?|pptx?|wps|et|zip|rar|7z|txt|jpe?g|png|gif|bmp|mp[34]|avi|flv)$", re.IGNORECASE
)
COLUMN_URL = re.compile(
    r"(?:/|/(?:index|list|default|main)(?:_\d+)?\.\w+)$|/col/col\d+/|/(?:channel|column|lanmu|node)s?[/_]",
    re.IGNORECASE,
)
COLUMN_QUERY = re.compile(r"(?:^|&)(?:column|channel|cat|class|type|col|node|lm)id=", re.IGNORECASE)
ARTICLE_QUERY = re.compile(
    r"(?:^|&)(?:\w*id|p|aid|nid|infoid|articleid|newsid|contentid|docid)=\w+", re.IGNORECASE
)
ARTICLE_HINT = re.compile(r"\d{4}|art_|/content|/detail|/show|/view|/article|/info/|/news/", re.IGNORECASE)


def is_article_url(url: str | None) -> bool:
    """A URL that names one document (t20171012_1.html, art_1_2.html, show.asp?id=3, a PDF), not a column."""
    if not url:
        return False
    parts = urlsplit(url)
    if FILE_EXT.search(parts.path):
        return True
    if COLUMN_URL.search(parts.path):
        return bool(ARTICLE_QUERY.search(parts.query)) and not COLUMN_QUERY.search(parts.query)
    return bool(ARTICLE_HINT.search(parts.path) or ARTICLE_QUERY.search(parts.query))


HOME_PATH = re.compile(r"^/?(?:(?:index|default|main)\.\w+)?$", re.IGNORECASE)  # with no query: the homepage
PAGER_FILE = re.compile(r"_\d+\.\w+$")  # index_1.html, list_2.shtml: a later page of some list
PAGER_QUERY = re.compile(
    r"(?:^|&)(?:page|pageno|pagenum|pageindex|pn|curpage|currentpage|startrecord|start|offset)=",
    re.IGNORECASE,
)


# --- column pages as the spider keys them (crawler.spiders.portal) ------------------------------------

# The last path segment names one document (t20171012_1.html, art_1_2.html, content_3.html, show.asp):
# stricter than ARTICLE_HINT, for breadcrumb links that must not be taken for columns.
ARTICLE_FILE = re.compile(
    r"(^|/)(t\d{8}_\d+|art_\d+_\d+|content|detail|show|view|article)[^/]*$", re.IGNORECASE
)
INDEX_FILE = re.compile(r"/(?:index|default)(?:_\d+)?\.(?:s?html?|jsp|php|aspx?)$", re.IGNORECASE)


def is_article_path(path: str) -> bool:
    """True when a URL path's last segment names a document (``ARTICLE_FILE``), not a column."""
    return bool(ARTICLE_FILE.search(path))


def column_key(url: str) -> str:
    """A column page's URL without its index file: /tzgg/ and /tzgg/index.html are one column."""
    parts = urlsplit(url)
    path = INDEX_FILE.sub("/", parts.path)
    return f"{parts.netloc}{path}?{parts.query}"
