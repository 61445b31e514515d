"""The page template both benchmarks share and bench_crawl.py's generated site (one large site and its ground truth).

``--pages`` HTML pages with ~21 links each: pages of the site, images, pdf/doc/xls attachments and pages of
"external" sites on 127.0.0.2-9, ~1 % of the targets of each kind missing (404).
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from pathlib import Path

SITE_CODE = "4511990001"
SITE_NAME = "基准测试县人民政府"
MAIN_HOST = "127.0.0.1"
EXTERNAL_HOSTS = tuple(f"127.0.0.{i}" for i in range(2, 10))  # Linux routes all of 127/8 to lo

TREE_FANOUT = (
    8  # page i has children 8i+1 .. 8i+8: every page is reachable, depth ~log8(N) <= GOVHEALTH_MAX_DEPTH
)
RANDOM_LINKS = 12  # other pages linked from each page by a seeded pseudo-random scheme
MEDIA_PER_PAGE = 2  # images, attachments and external links per page (each)
MISSING_MOD = 100  # target j of a kind is missing when j % 100 == 37: ~1% of each kind
COLUMNS = ("政务公开", "通知公告", "政策解读", "办事服务", "互动交流", "走进本县", "专题专栏", "数据发布")
FILLER = (
    "为深入贯彻落实党中央、国务院关于全面推进政务公开工作的决策部署，进一步提升政府网站集约化水平，"
    "本县坚持以人民为中心的发展思想，围绕优化营商环境、保障和改善民生等重点领域，及时准确发布政策文件、"
    "公示公告和办事指南，切实保障人民群众的知情权、参与权、表达权和监督权。"
)
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000100ff25dc2c0000000049454e44ae426082"
)
ATTACHMENT_KINDS = (
    ("pdf", b"%PDF-1.4\n% govhealth benchmark\n%%EOF\n"),
    ("doc", b"\xd0\xcf\x11\xe0" + b"\0" * 508),
    ("xls", b"\xd0\xcf\x11\xe0" + b"\1" * 508),
)


@dataclass
class SiteSpec:
    """What the generated site holds: the ground truth every tool's figures are compared with."""

    pages: int  # HTML pages of the site (all reachable from /)
    distinct_targets: int  # distinct link targets, the homepage included
    link_occurrences: int  # (page, target) pairs: what "links" counts
    page_links: int  # distinct internal page targets (existing and missing)
    images: int
    attachments: int
    externals: int
    missing: list[str]  # paths / URLs that answer 404
    files: int
    bytes: int
    html_bytes_avg: int
    max_depth: int
    seconds: float  # time to generate


def page_html(title: str, site_name: str, code: str, date: str, body: str, extra: str = "") -> bytes:
    """One page of a generated site (~3 KB): the same markup and filler in both benchmarks."""
    filler = f"<p>{FILLER}</p>\n" * 3
    return (
        f'<!DOCTYPE html>\n<html lang="zh-CN"><head><meta charset="utf-8"><title>{title}</title></head>\n'
        f'<body><div class="header"><h1>{site_name}</h1></div>\n<div class="main"><h2>{title}</h2>\n'
        f"<p>发布时间：{date} 来源：县人民政府办公室</p>\n{filler}"
        f'<ul class="links">\n{body}\n</ul>{extra}</div>\n<div class="footer">主办单位：{site_name} 网站标识码：{code}'
        "</div></body></html>\n"
    ).encode()


def page_path(i: int) -> str:
    """The path of page ``i`` (page 0 is the homepage)."""
    return "/" if i == 0 else f"/p/{i}.html"


def absolute(site_url: str, target: str) -> str:
    """A generated target (a path or a URL) as an absolute URL of the site."""
    return target if target.startswith("http") else site_url.rstrip("/") + target


def generate_site(root: Path, pages: int, port: int, seed: int = 2019) -> SiteSpec:
    """Write the site into ``root`` (one Python loop, a few seconds for 20,000 pages)."""
    started = time.perf_counter()
    rng = random.Random(seed)
    n_media = max(1, pages * 2 // 5)
    missing_pages = [pages + k for k in range(len(range(50, pages, 100)))]
    for sub in ("p", "img", "files", "ext"):
        (root / sub).mkdir(parents=True, exist_ok=True)

    def missing(j: int) -> bool:
        return j % MISSING_MOD == 37

    def ext_url(j: int) -> str:
        return f"http://{EXTERNAL_HOSTS[j % len(EXTERNAL_HOSTS)]}:{port}/ext/{j}.html"

    def att_path(j: int) -> str:
        return f"/files/{j}.{ATTACHMENT_KINDS[j % 3][0]}"

    targets: set[str] = {"/"}
    occurrences = total_bytes = html_bytes = files = 0
    depth = 0
    for i in range(pages):
        column = COLUMNS[i % len(COLUMNS)]
        title = f"{column}第{i}号信息 - {SITE_NAME}"
        links: dict[str, str] = {}  # target -> anchor html (a page lists a target once)
        links["/"] = '<a href="/">首页</a>'
        if i:
            parent = (i - 1) // TREE_FANOUT
            links.setdefault(page_path(parent), f'<a href="{page_path(parent)}">上一级栏目</a>')
        for child in range(TREE_FANOUT * i + 1, min(TREE_FANOUT * i + TREE_FANOUT + 1, pages)):
            links.setdefault(
                page_path(child),
                f'<li><a href="{page_path(child)}">{COLUMNS[child % 8]}子栏目{child}</a></li>',
            )
        for _ in range(RANDOM_LINKS):
            k = rng.randrange(pages)
            links.setdefault(
                page_path(k), f'<li><a href="{page_path(k)}">{COLUMNS[k % 8]}：关于第{k}号事项的通知</a></li>'
            )
        if i % 100 == 50:
            gone = page_path(missing_pages[(i - 50) // 100])
            links.setdefault(gone, f'<li><a href="{gone}">已撤稿的信息</a></li>')
        for m in range(MEDIA_PER_PAGE):
            j = (MEDIA_PER_PAGE * i + m) % n_media
            links.setdefault(f"/img/{j}.png", f'<img src="/img/{j}.png" alt="配图{j}">')
            links.setdefault(att_path(j), f'<a href="{att_path(j)}">附件{j}.{ATTACHMENT_KINDS[j % 3][0]}</a>')
            links.setdefault(ext_url(j), f'<a href="{ext_url(j)}">相关网站{j}</a>')
        targets.update(links)
        occurrences += len(links)
        date = f"2024-{i % 12 + 1:02d}-{i % 28 + 1:02d}"
        html = page_html(title, SITE_NAME, SITE_CODE, date, "\n".join(links.values()))
        (root / ("index.html" if i == 0 else f"p/{i}.html")).write_bytes(html)
        files += 1
        html_bytes += len(html)
        d, k = 0, i
        while k:
            k, d = (k - 1) // TREE_FANOUT, d + 1
        depth = max(depth, d)
    total_bytes += html_bytes
    missing_targets = [page_path(k) for k in missing_pages]
    for j in range(n_media):
        if missing(j):
            missing_targets += [f"/img/{j}.png", att_path(j), ext_url(j)]
            continue
        ext_html = (
            f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>外部网站第{j}页</title></head>"
            f"<body><p>{FILLER}</p></body></html>"
        ).encode()
        for path, data in (
            (f"img/{j}.png", PNG),
            (att_path(j)[1:], ATTACHMENT_KINDS[j % 3][1]),
            (f"ext/{j}.html", ext_html),
        ):
            (root / path).write_bytes(data)
            total_bytes += len(data)
            files += 1
    (root / "robots.txt").write_text("User-agent: *\nDisallow:\n")
    return SiteSpec(
        pages=pages,
        distinct_targets=len(targets),
        link_occurrences=occurrences,
        page_links=pages + len(missing_pages),
        images=n_media,
        attachments=n_media,
        externals=n_media,
        missing=missing_targets,
        files=files + 1,
        bytes=total_bytes,
        html_bytes_avg=html_bytes // max(1, pages),
        max_depth=depth,
        seconds=round(time.perf_counter() - started, 2),
    )
