"""The site metas a page declares (SiteName, SiteDomain, SiteIDCode), read as real templates write them.

Pure (regular expressions); no settings. Attribute order, case and missing spaces vary; values are trimmed.
"""

from __future__ import annotations

import html as html_lib
import re
import unicodedata
from dataclasses import dataclass
from urllib.parse import urlsplit

__all__ = ["SiteMetas", "code_mismatch", "page_metas", "site_metas"]

_HEAD_CHARS = 65536  # metas sit in the head; a page's first 64 KiB hold it
_META = re.compile(r"<meta\b[^>]*>", re.IGNORECASE)
# name="x"content="y" (no space), content=… name=… (reversed), NAME='x' and unquoted values
_ATTR = re.compile(r"""([\w:.-]+)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))""")
_CODE = re.compile(r"[0-9]{10}|bm[0-9]{8}")
_DOMAIN_SEP = re.compile(r"[,，;；|\s]+")
_HOST = re.compile(r"(?:[a-z0-9-]+\.)+[a-z0-9-]+")


@dataclass(frozen=True)
class SiteMetas:
    """What a page says about its site."""

    code: str | None  # SiteIDCode, normalised (full-width digits, BM…); None when absent or not a code
    name: str | None  # SiteName
    domains: tuple[str, ...]  # SiteDomain hosts: scheme, path and port dropped, several split


def page_metas(html: str) -> dict[str, str]:
    """``<meta name=… content=…>`` pairs of a page, names lower-cased, the first of each name kept."""
    metas: dict[str, str] = {}
    for tag in _META.findall(html[:_HEAD_CHARS]):
        attrs = {name.lower(): v1 or v2 or v3 for name, v1, v2, v3 in _ATTR.findall(tag)}
        name = (attrs.get("name") or attrs.get("property") or "").strip().lower()
        if name and name not in metas and "content" in attrs:
            metas[name] = " ".join(html_lib.unescape(attrs["content"]).split())
    return metas


def site_metas(html: str) -> SiteMetas:
    """SiteIDCode, SiteName and SiteDomain as the page declares them.

    ``SiteDomain`` may carry a scheme, a path or several domains joined by commas
    (``http://www.x.gov.cn/, x.gov.cn``): each is reduced to its host.
    """
    metas = page_metas(html)
    code = unicodedata.normalize("NFKC", metas.get("siteidcode", "")).strip()
    code = "bm" + code[2:] if code[:2].lower() == "bm" else code
    domains: list[str] = []
    for part in _DOMAIN_SEP.split(metas.get("sitedomain", "").lower()):
        host = _host(part)
        if host and host not in domains:
            domains.append(host)
    return SiteMetas(
        code=code if _CODE.fullmatch(code) else None,
        name=metas.get("sitename") or None,
        domains=tuple(domains),
    )


def code_mismatch(declared: str | None, registered: str) -> bool:
    """Whether the page names another 网站标识码 than the registry: a registry error worth telling."""
    return declared is not None and declared != registered


def _host(part: str) -> str | None:
    if not part:
        return None
    try:
        host = urlsplit(part if "//" in part else f"//{part}").hostname
    except ValueError:
        return None
    return host if host and _HOST.fullmatch(host) else None
