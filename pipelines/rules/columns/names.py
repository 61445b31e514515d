"""Column names: ``<meta name="ColumnName">``, the breadcrumb, ``<title>``, and which names can be columns.

Pure (lxml); no settings.
"""

from __future__ import annotations

import re

from pipelines.rules.columns.crumbs import _crumb_elements, _crumb_parts
from pipelines.rules.columns.dom import _PAGER_TEXT, _collapse, _text
from pipelines.rules.columns.page import _Page


def breadcrumb(html: str) -> list[str]:
    """The page's breadcrumb trail, e.g. ``["首页", "政务公开", "通知公告"]`` (label and 正文 tail dropped)."""
    page = _Page(html, "http://localhost/")
    return _crumb_parts(page.crumb) if page.crumb is not None else []


def _meta_column_name(page: _Page) -> str | None:
    for meta in page.root.iter("meta"):
        if (meta.get("name") or "").strip().lower() == "columnname" and (
            name := _collapse(meta.get("content"))
        ):
            return name
    return None


def _column_name(page: _Page) -> str | None:
    if name := _meta_column_name(page):
        return name
    parts = _crumb_parts(page.crumb) if page.crumb is not None else []
    return parts[-1] if parts else None


def column_name(html: str) -> str | None:
    """The page's own column name: ``<meta name="ColumnName">``, else the breadcrumb's last element."""
    return _column_name(_Page(html, "http://localhost/"))


_NOT_COLUMNS = frozenset(
    {
        "首页", "网站首页", "返回首页", "主页", "home", "index", "登录", "登陆", "注册", "用户登录", "用户注册",
        "无障碍", "无障碍浏览", "无障碍阅读", "繁体", "繁體", "简体", "繁体版", "简体版", "繁體版", "english",
        "网站地图", "站点地图", "设为首页", "加入收藏", "收藏本站", "手机版", "移动版", "长者模式", "关怀版",
        "适老化", "老年模式", "退出", "搜索", "高级搜索", "打印", "打印本页", "关闭", "关闭窗口", "返回顶部", "rss",
        "wap", "更多",
    }
)  # fmt: skip
_NOT_COLUMN_PARTS = ("无障碍", "english", "繁體", "繁体", "登录", "手机版")
_DATEISH = re.compile(r"\d{2,4}[-/.年]\d{1,2}|\d{1,2}[-月]\d{1,2}")


def _good_name(name: str) -> bool:
    low = name.lower()
    return (
        2 <= len(name) <= 20
        and low not in _NOT_COLUMNS
        and not any(p in low for p in _NOT_COLUMN_PARTS)
        and not _PAGER_TEXT.match(name)
        and not _DATEISH.search(name)
        and re.search(r"[\u4e00-\u9fffA-Za-z]", name) is not None
    )


def _crumb_tail(page: _Page) -> str | None:
    """The breadcrumb's last element, 正文 included (breadcrumb() drops a trailing 正文 label)."""
    elements = _crumb_elements(page.crumb) if page.crumb is not None else []
    return elements[-1] if elements else None


_TITLE_PARTS = re.compile(r"\s*[-_|—–·:：>＞»]+\s*|\s{2,}")
_SITE_WORDS = ("政府", "网站", "门户", "人民", "官网", "官方")


def _title_name(page: _Page) -> str | None:
    """The column's name from ``<title>`` (部门动态_丙县人民政府 → 部门动态), skipping the site's name."""
    title = page.root.find(".//title")
    for part in _TITLE_PARTS.split(_text(title) if title is not None else ""):
        if _good_name(part) and not any(word in part for word in _SITE_WORDS):
            return part
    return None
