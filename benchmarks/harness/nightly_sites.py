"""bench_nightly.py's generated sites: many sites of mixed sizes, a shared "national portal" and sister sites.

~17 links a page: pages of the site, images, attachments, footer links and pages of the national portal shared by
every site (127.0.0.2/.3), pages of an external site of its own (127.0.0.10-17), sibling homepages on the
homepage; ~1 % of the targets of each kind answer 404. Site k is served on its own address, 127.0.1.(k+1).
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .sites import ATTACHMENT_KINDS, COLUMNS, PNG, page_html

SIZE_CLASSES = (  # name, share of the sites, min pages, max pages
    ("small", 0.70, 20, 100),
    ("medium", 0.25, 200, 800),
    ("large", 0.05, 2000, 3000),
)
NATIONAL_HOSTS = ("127.0.0.2", "127.0.0.3")  # www.gov.cn-like national portal and the province portal
SISTER_HOSTS = tuple(f"127.0.0.{i}" for i in range(10, 18))  # other external sites, each site its own pages
NATIONAL_POOL = 500  # national pages (政策, 解读 ...) that sites link to; 5 of them (1 %) are missing
NATIONAL_MISSING = frozenset(j for j in range(NATIONAL_POOL) if j % 100 == 37)
FOOTER_LINKS = (  # on every page of every site (the 网站 footer of the national template)
    ("/", "中国政府网", 0),
    ("/", "广西壮族自治区人民政府门户网站", 1),
    ("/hudong/index.html", "国务院“互联网+督查”", 0),
)
TREE_FANOUT = (
    8  # page i has children 8i+1..8i+8: every page reachable breadth-first, depth <= 4 at 3,000 pages
)
RANDOM_LINKS = 5  # other pages of the site per page
IMAGES_PER_PAGE, ATTACHMENTS_PER_PAGE, NATIONAL_PER_PAGE, SISTER_PER_PAGE = 2, 1, 2, 1
SIBLINGS_ON_HOMEPAGE = 5  # 友情链接: homepages of other benchmark sites
MISSING_SHARE = 0.01
CODE_PREFIX = "451199"  # a valid 网站标识码 prefix (Guangxi, prefecture 11, county 99) + 4 digits


@dataclass
class GenSite:
    """One generated site and its ground truth."""

    index: int
    code: str
    name: str
    host: str
    url: str
    size_class: str
    pages: int
    targets: int = 0  # distinct targets linked (the homepage included)
    internal_targets: int = 0
    external_targets: int = 0
    national_targets: int = 0  # of them, on the shared national / province portal
    links: int = 0  # (page, target) pairs
    missing: list[str] = field(default_factory=list)  # absolute URLs of linked targets that answer 404


def site_host(k: int) -> str:
    """The loopback address of site ``k``: 127.0.1.1, 127.0.1.2, ... (250 per /24)."""
    return f"127.0.{1 + k // 250}.{k % 250 + 1}"


def size_plan(n: int, rng: random.Random, shares: tuple[float, ...] | None = None) -> list[tuple[str, int]]:
    """The size class and page count of each site: the shares rounded, in a seeded random order."""
    shares = shares or tuple(share for _, share, _, _ in SIZE_CLASSES)
    counts = {name: round(n * share) for (name, *_), share in zip(SIZE_CLASSES[1:], shares[1:], strict=True)}
    counts["small"] = n - sum(counts.values())
    classes = [name for name, *_ in SIZE_CLASSES for _ in range(counts[name])]
    rng.shuffle(classes)
    bounds = {name: (lo, hi) for name, _, lo, hi in SIZE_CLASSES}
    return [(c, rng.randint(*bounds[c])) for c in classes]


def generate_sites(
    base: Path, n_sites: int, port: int, seed: int, shares: tuple[float, ...] | None = None
) -> tuple[list[GenSite], dict[str, Any]]:
    """Write every site, the national portal and the sister sites under ``base``; return the ground truth."""
    started = time.perf_counter()
    rng = random.Random(seed)
    plan = size_plan(n_sites, rng, shares)
    national_root, sister_root = base / "national", base / "sister"
    files = total_bytes = 0

    def write(path: Path, data: bytes) -> None:
        nonlocal files, total_bytes
        path.write_bytes(data)
        files += 1
        total_bytes += len(data)

    def national_url(path: str, host: int) -> str:
        return f"http://{NATIONAL_HOSTS[host]}:{port}{path}"

    # the national portal (both hosts serve the same root) and the sister sites
    (national_root / "zhengce").mkdir(parents=True)
    (national_root / "hudong").mkdir()
    national_page = page_html("中国政府网", "中华人民共和国中央人民政府", "bm01000001", "2026-11-01", "")
    write(national_root / "index.html", national_page)
    write(national_root / "hudong" / "index.html", national_page)
    for j in range(NATIONAL_POOL):
        if j not in NATIONAL_MISSING:
            write(
                national_root / "zhengce" / f"{j}.html",
                page_html(f"国务院关于第{j}号事项的通知", "中国政府网", "bm01000001", "2026-10-01", ""),
            )
    sites: list[GenSite] = []
    for k, (size_class, pages) in enumerate(plan):
        host = site_host(k)
        code = f"{CODE_PREFIX}{k + 1:04d}"
        name = f"基准测试第{k + 1}县人民政府"
        site = GenSite(k, code, name, host, f"http://{host}:{port}/", size_class, pages)
        sites.append(site)
    for site in sites:
        k, pages, host = site.index, site.pages, site.host
        root = base / "sites" / site.code
        for sub in ("p", "img", "files"):
            (root / sub).mkdir(parents=True)
        (sister_root / f"s{k}").mkdir(parents=True)
        sister = SISTER_HOSTS[k % len(SISTER_HOSTS)]
        n_img, n_att, n_sis = max(4, pages * 2 // 5), max(3, pages // 4), max(2, pages // 5)
        miss_img = {j for j in range(n_img) if rng.random() < MISSING_SHARE}
        miss_att = {j for j in range(n_att) if rng.random() < MISSING_SHARE}
        miss_sis = {j for j in range(n_sis) if rng.random() < MISSING_SHARE}

        def att_path(j: int) -> str:
            return f"/files/{j}.{ATTACHMENT_KINDS[j % 3][0]}"

        internal: set[str] = set()
        external: set[str] = set()
        missing: set[str] = set()
        gone_pages = 0
        for i in range(pages):
            column = COLUMNS[i % len(COLUMNS)]
            title = f"{column}第{i}号信息 - {site.name}"
            links: dict[str, str] = {"/": '<li><a href="/">首页</a></li>'}
            if i:
                parent = "/" if i <= TREE_FANOUT else f"/p/{(i - 1) // TREE_FANOUT}.html"
                links.setdefault(parent, f'<li><a href="{parent}">上一级栏目</a></li>')
            for child in range(TREE_FANOUT * i + 1, min(TREE_FANOUT * i + TREE_FANOUT + 1, pages)):
                links.setdefault(
                    f"/p/{child}.html",
                    f'<li><a href="/p/{child}.html">{COLUMNS[child % 8]}子栏目{child}</a></li>',
                )
            for _ in range(RANDOM_LINKS):
                r = rng.randrange(1, pages)
                links.setdefault(
                    f"/p/{r}.html",
                    f'<li><a href="/p/{r}.html">{COLUMNS[r % 8]}：关于第{r}号事项的通知</a></li>',
                )
            if rng.random() < MISSING_SHARE:  # a withdrawn article still linked
                gone = f"/p/gone-{i}.html"
                gone_pages += 1
                links[gone] = f'<li><a href="{gone}">已撤稿的信息</a></li>'
                missing.add(gone)
            for m in range(IMAGES_PER_PAGE):
                j = (IMAGES_PER_PAGE * i + m) % n_img
                links.setdefault(f"/img/{j}.png", f'<li><img src="/img/{j}.png" alt="配图{j}"></li>')
            for m in range(ATTACHMENTS_PER_PAGE):
                j = (ATTACHMENTS_PER_PAGE * i + m) % n_att
                links.setdefault(att_path(j), f'<li><a href="{att_path(j)}">附件{j}</a></li>')
            ext: dict[str, str] = {}
            for path, text, h in FOOTER_LINKS:
                ext.setdefault(
                    national_url(path, h), f'<li><a href="{national_url(path, h)}">{text}</a></li>'
                )
            for _ in range(NATIONAL_PER_PAGE):
                j = rng.randrange(NATIONAL_POOL)
                u = national_url(f"/zhengce/{j}.html", j % 2)
                ext.setdefault(u, f'<li><a href="{u}">国务院关于第{j}号事项的通知</a></li>')
                if j in NATIONAL_MISSING:
                    missing.add(u)
            for m in range(SISTER_PER_PAGE):
                j = (SISTER_PER_PAGE * i + m) % n_sis
                u = f"http://{sister}:{port}/s{k}/{j}.html"
                ext.setdefault(u, f'<li><a href="{u}">相关网站{j}</a></li>')
                if j in miss_sis:
                    missing.add(u)
            extra = ""
            if i == 0:
                friends = [sites[(k + d) % len(sites)] for d in range(1, SIBLINGS_ON_HOMEPAGE + 1)]
                friends = [f for f in friends if f is not site]
                for f in friends:
                    external.add(f.url)
                extra = (
                    '<div class="yqlj"><h3>友情链接</h3>'
                    + "".join(f'<a href="{f.url}">{f.name}</a>' for f in friends)
                    + "</div>"
                )
                site.links += len(friends)
            internal.update(links)
            external.update(ext)
            site.links += len(links) + len(ext)
            html = page_html(
                title,
                site.name,
                site.code,
                f"2024-{i % 12 + 1:02d}-{i % 28 + 1:02d}",
                "\n".join([*links.values(), *ext.values()]),
                extra,
            )
            write(root / ("index.html" if i == 0 else f"p/{i}.html"), html)
        for j in range(n_img):
            if j in miss_img:
                missing.add(f"/img/{j}.png")
            else:
                write(root / "img" / f"{j}.png", PNG)
        for j in range(n_att):
            if j in miss_att:
                missing.add(att_path(j))
            else:
                write(root / att_path(j).lstrip("/"), ATTACHMENT_KINDS[j % 3][1])
        for j in range(n_sis):
            if j not in miss_sis:
                write(
                    sister_root / f"s{k}" / f"{j}.html",
                    page_html(f"相关网站第{j}页", "市直部门网站", "4511000001", "2026-09-01", ""),
                )
        (root / "robots.txt").write_text("User-agent: *\nDisallow:\n")
        absolute = {t if t.startswith("http") else f"http://{host}:{port}{t}" for t in internal}
        linked = absolute | external
        site.targets = len(linked)
        site.internal_targets = len(internal)
        site.external_targets = len(external)
        site.national_targets = sum(1 for u in external if any(f"//{h}:" in u for h in NATIONAL_HOSTS))
        site.missing = sorted(
            u if u.startswith("http") else f"http://{host}:{port}{u}"
            for u in missing
            if (u if u.startswith("http") else f"http://{host}:{port}{u}") in linked
        )
    summary = {
        "sites": n_sites,
        "by_class": {name: sum(1 for s in sites if s.size_class == name) for name, *_ in SIZE_CLASSES},
        "pages": sum(s.pages for s in sites),
        "targets": sum(s.targets for s in sites),
        "links": sum(s.links for s in sites),
        "links_per_page": round(sum(s.links for s in sites) / max(1, sum(s.pages for s in sites)), 1),
        "external_targets": sum(s.external_targets for s in sites),
        "national_targets_linked": sum(s.national_targets for s in sites),
        "national_distinct": NATIONAL_POOL + 2,
        "missing": sum(len(s.missing) for s in sites),
        "files": files,
        "megabytes": round(total_bytes / 2**20, 1),
        "seconds": round(time.perf_counter() - started, 1),
    }
    return sites, summary
