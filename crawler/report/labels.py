"""Chinese labels of the report for the stable code names (finding kinds, levels, categories, errors, verdicts)."""

from __future__ import annotations

from pipelines.rules.kinds import FindingKind

KIND_ZH = {
    FindingKind.SITE_UNREACHABLE: "站点无法访问",
    FindingKind.HOMEPAGE_STALE: "首页不更新",
    FindingKind.BROKEN_LINK: "错链断链",
    FindingKind.BLANK_COLUMN: "空白栏目",
    FindingKind.STALE_COLUMN: "栏目长期未更新",
    FindingKind.UNVERIFIED_LINK: "未核实链接",
    FindingKind.UNVERIFIED_COLUMN: "未核实栏目",
}
# The kinds that are scored, in the order of the overview's columns; the unverified ones are shown apart.
SCORED_KINDS = (
    FindingKind.SITE_UNREACHABLE,
    FindingKind.HOMEPAGE_STALE,
    FindingKind.BROKEN_LINK,
    FindingKind.BLANK_COLUMN,
    FindingKind.STALE_COLUMN,
)
UNVERIFIED_KINDS = (FindingKind.UNVERIFIED_LINK, FindingKind.UNVERIFIED_COLUMN)
KIND_COLOURS = {
    FindingKind.SITE_UNREACHABLE: "#7b1fa2",
    FindingKind.HOMEPAGE_STALE: "#c62828",
    FindingKind.BROKEN_LINK: "#ef6c00",
    FindingKind.BLANK_COLUMN: "#1565c0",
    FindingKind.STALE_COLUMN: "#00838f",
}

LEVEL_ZH = {"department": "部门", "city": "市级", "county": "县级"}

# Verdict keys from the most to the least severe.
VERDICT_ZH = {
    "blacklist": "黑名单风险",
    "veto": "单项否决",
    "fail": "不合格",
    "pass": "合格",
    "none": "未检查",
}
VERDICT_COLOURS = {
    "blacklist": "#212121",
    "veto": "#c62828",
    "fail": "#ef6c00",
    "pass": "#2e7d32",
    "none": "#9e9e9e",
}

CATEGORY_ZH = {
    "news": "动态要闻",
    "notice_policy": "通知公告/政策文件",
    "personnel_plan": "人事/规划计划",
    "other": "其他",
}
COLUMN_STATUS_ZH = {
    "ok": "正常",
    "blank": "空白",
    "stale": "未更新",
    "unverified": "未核实",
    "single": "单页",
}
HOW_ZH = {
    "nav": "导航",
    "block": "首页区块",
    "sidebar": "侧栏",
    "breadcrumb": "面包屑",
    "meta": "ColumnName 标签",
    "list": "列表识别",
}
RESOURCE_ZH = {
    "page": "网页",
    "image": "图片",
    "attachment": "附件",
    "script": "脚本",
    "stylesheet": "样式表",
    "frame": "框架",
    "other": "其他",
}
ERROR_ZH = {
    "http_error": "HTTP 错误",
    "dns": "域名解析失败",
    "connection_refused": "连接被拒绝",
    "connection_reset": "连接被重置",
    "timeout": "超时",
    "ssl": "证书/TLS 错误",
    "too_many_redirects": "重定向过多",
    "redirect_loop": "重定向循环",
    "soft_404": "软 404（错误页）",
    "attachment_error_page": "附件返回错误页",
    "empty_attachment": "空附件",
    "rate_limited": "被限流",
    "anti_bot_gate": "反爬虫验证",
    "access_denied": "拒绝访问",
    "private_address": "内网地址（未访问）",
    "network_unreachable": "网络不可达",
    "unsupported_scheme": "不支持的协议",
    "unconfirmed": "未能复查确认",
    "robots_disallowed": "robots.txt 禁止",
}
RUN_STATUS_ZH = {"complete": "完整", "incomplete": "不完整", "failed": "失败", "running": "进行中"}
