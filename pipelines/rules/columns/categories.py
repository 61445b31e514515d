"""Column categories (news, notice_policy, personnel_plan, other) from the column's name.

Pure; the keyword table comes from the rules file, with a bundled fallback. No settings.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from pipelines.rules.kinds import ColumnCategory

# Bundled fallback for category_for; the rules file may give its own table (README: How columns are
# judged, periods per category).
DEFAULT_CATEGORY_KEYWORDS: Mapping[str, Sequence[str]] = {
    ColumnCategory.NEWS: ("动态", "要闻", "新闻", "快讯", "简讯", "信息", "资讯", "图片新闻", "媒体关注"),
    ColumnCategory.NOTICE_POLICY: ("通知", "公告", "公示", "通告", "政策", "文件", "法规", "规章", "解读"),
    ColumnCategory.PERSONNEL_PLAN: ("人事", "任免", "招聘", "招考", "干部", "规划", "计划", "总结"),
    ColumnCategory.OTHER: ("计划生育", "信息公开指南", "信息公开年报", "依申请公开"),
}


def category_for(
    name: str, keywords: Mapping[str, Sequence[str]] = DEFAULT_CATEGORY_KEYWORDS
) -> ColumnCategory:
    """The category whose keyword occurs in the column name; the longest matching keyword wins.

    So 政策解读 (notice_policy) beats 动态 (news) in 政策解读动态, and 计划生育 (other) beats 计划. Ties go to
    the category listed first. No match: ``ColumnCategory.OTHER``.

    Raises:
        ValueError: a key of ``keywords`` is not a ColumnCategory value.
    """
    best: tuple[int, ColumnCategory] = (0, ColumnCategory.OTHER)
    text = "".join(name.split())
    for key, words in keywords.items():
        category = ColumnCategory(key)
        for word in words:
            if word and word in text and len(word) > best[0]:
                best = (len(word), category)
    return best[1]
