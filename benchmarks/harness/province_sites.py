"""bench_province.py's generated province: 183 sites shaped like Guangxi's, with portal-weight pages and platforms.

57 department, 14 city and 112 county sites; full sizes drawn from a log-normal distribution (median 1,400 pages,
most sites 500-3,000, clipped at the 5,000-page budget) and generated at 1/``scale`` of that size; pages of
30-80 KB (inline styles and scripts, a 40-column navigation, long text); four platforms (three servers with 40, 30
and 25 sites on one address, one CDN of 20 sites on addresses of their own named by the registry's ``platform``);
three slow sites (16 KB/s) and three rate-limited ones (2 requests/s, then 429). ~1 % of each kind of target is
missing (404): the ground truth.
"""

from __future__ import annotations

import math
import random
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .sites import ATTACHMENT_KINDS, COLUMNS, FILLER, PNG

LEVELS = (("department", 57), ("city", 14), ("county", 112))
MEDIAN_PAGES, SIGMA, MIN_PAGES, MAX_PAGES = 1400, 0.65, 120, 5000
# (name, sites, address): a platform's sites share one address (one port each) ...
SHARED_PLATFORMS = (
    ("gx-jyh-1", 40, "127.0.3.1"),
    ("gx-jyh-2", 30, "127.0.3.2"),
    ("gx-jyh-3", 25, "127.0.3.3"),
)
CDN_PLATFORM, CDN_SITES = "gx-cdn", 20  # ... or addresses of their own behind one CDN (the registry names it)
SLOW_SITES, RATE_LIMITED_SITES = 3, 3
NATIONAL_HOST = "127.0.0.2"
NATIONAL_POOL = 300
NAV_COLUMNS = 40  # links of the navigation bar, on every page
TREE_FANOUT, RANDOM_LINKS = 8, 5
MISSING_SHARE = 0.01


@dataclass
class ProvinceSite:
    """One generated site and its ground truth."""

    index: int
    code: str
    name: str
    level: str
    host: str
    port: int
    platform: str | None  # the registry's platform column (only the CDN's sites need it)
    server: str  # the server its requests reach: a platform's name or its own address
    full_pages: int  # its size in the province
    pages: int  # generated: full_pages / scale
    page_kb: int
    kind: str = "normal"  # normal, slow, rate_limited
    targets: int = 0
    missing: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/"


def _code(level: str, k: int) -> str:
    if level == "department":
        return f"450000{k + 1:04d}"
    if level == "city":
        return f"45{k + 1:02d}000001"
    return f"45{k % 14 + 1:02d}{k // 14 + 21:02d}0001"


def plan_province(scale: int, base_port: int, seed: int) -> list[ProvinceSite]:
    """The 183 sites: level, size, page weight, server and kind of each."""
    rng = random.Random(seed)
    sites: list[ProvinceSite] = []
    for level, count in LEVELS:
        for k in range(count):
            full = int(min(MAX_PAGES, max(MIN_PAGES, rng.lognormvariate(math.log(MEDIAN_PAGES), SIGMA))))
            name = {
                "department": f"自治区第{k + 1}厅",
                "city": f"第{k + 1}市人民政府",
                "county": f"第{k + 1}县人民政府",
            }[level]
            sites.append(ProvinceSite(len(sites), _code(level, k), name, level, "", 0, None, "",
                                      full, max(20, round(full / scale)), rng.randint(30, 80)))  # fmt: skip
    order = list(range(len(sites)))
    rng.shuffle(order)  # which sites sit on which platform
    cursor = 0
    for platform, count, address in SHARED_PLATFORMS:
        for j in order[cursor : cursor + count]:
            site = sites[j]
            site.host, site.port, site.server = address, base_port + cursor, platform
            cursor += 1
    for n, j in enumerate(order[cursor : cursor + CDN_SITES]):
        site = sites[j]
        site.host, site.port, site.platform, site.server = (
            f"127.0.5.{n + 1}",
            base_port,
            CDN_PLATFORM,
            CDN_PLATFORM,
        )
    cursor += CDN_SITES
    for n, j in enumerate(order[cursor:]):
        site = sites[j]
        site.host, site.port = f"127.0.4.{n + 1}", base_port
        site.server = site.host
    own = order[cursor:]
    for j in own[:SLOW_SITES]:
        sites[j].kind = "slow"
    for j in own[SLOW_SITES : SLOW_SITES + RATE_LIMITED_SITES]:
        sites[j].kind = "rate_limited"
    return sites


def _style(rng: random.Random) -> str:
    rules = "".join(
        f".c{n} .item-{n} a{{color:#{rng.randrange(0xFFFFFF):06x};margin:{n % 9}px {n % 7}px;font-size:{12 + n % 6}px;}}"
        for n in range(90)
    )
    return f"<style>{rules}</style>"


def _script(rng: random.Random, kb: int) -> str:
    line = "var _hmt=_hmt||[];(function(){var hm=document.createElement('script');hm.src='/js/tj.js';})();"
    body = "".join(
        f"function f{n}(a,b){{return a*{rng.randrange(99)}+b;}}{line}" for n in range(kb * 1024 // 160)
    )
    return f"<script>{body}</script>"


def _path(i: int, nav_count: int) -> str:
    """Page ``i``'s path: the navigation's columns at /p/N.html, every other page an article at a TRS-style dated
    URL (t20261112_N.html), as real portals publish them. (Until 2026-12-07 every page was /p/N.html, which no
    portal does: each page with its dated list was then read as a possible column, ~40 % of the CPU.)"""
    return f"/p/{i}.html" if i <= nav_count else f"/p/t202611{i % 28 + 1:02d}_{i}.html"


def generate_province(base: Path, sites: list[ProvinceSite], national_port: int, seed: int) -> dict[str, Any]:
    """Write every site and the national portal under ``base``; fill each site's ground truth."""
    started = time.perf_counter()
    rng = random.Random(seed + 1)
    files = total = 0

    def write(path: Path, data: bytes) -> None:
        nonlocal files, total
        path.write_bytes(data)
        files += 1
        total += len(data)

    national = base / "national" / "zhengce"
    national.mkdir(parents=True)
    missing_national = {j for j in range(NATIONAL_POOL) if j % 100 == 37}
    for j in range(NATIONAL_POOL):
        if j not in missing_national:
            write(national / f"{j}.html", f"<html><body><h1>国务院文件{j}</h1></body></html>".encode())
    for site in sites:
        root = base / "sites" / site.code
        for sub in ("p", "img", "files", "js", "css"):
            (root / sub).mkdir(parents=True)
        for asset in ("common.js", "jquery.min.js", "tj.js"):
            write(root / "js" / asset, b"/* js */" * 64)
        for asset in ("base.css", "index.css"):
            write(root / "css" / asset, b"/* css */" * 64)
        pages, n_img, n_att = site.pages, max(4, site.pages * 2 // 5), max(3, site.pages // 4)
        miss_img = {j for j in range(n_img) if rng.random() < MISSING_SHARE}
        miss_att = {j for j in range(n_att) if rng.random() < MISSING_SHARE}
        head = (
            '<head><meta charset="utf-8"><link rel="stylesheet" href="/css/base.css">'
            '<link rel="stylesheet" href="/css/index.css"><script src="/js/jquery.min.js"></script>'
            f'<script src="/js/common.js"></script>{_style(rng)}{_script(rng, max(4, site.page_kb // 3))}'
        )
        nav_count = min(NAV_COLUMNS, pages - 1)
        nav = "".join(
            f'<li><a href="/p/{c}.html">{COLUMNS[c % 8]}{c}</a></li>' for c in range(1, nav_count + 1)
        )
        nav_html = f'<div class="nav"><ul>{nav}</ul></div>'
        linked: set[str] = {"/", *(f"/p/{c}.html" for c in range(1, nav_count + 1))}
        linked |= {"/css/base.css", "/css/index.css", "/js/jquery.min.js", "/js/common.js"}
        missing: set[str] = set()
        external: set[str] = set()
        for i in range(pages):
            links = []
            for child in range(TREE_FANOUT * i + 1, min(TREE_FANOUT * i + TREE_FANOUT + 1, pages)):
                links.append(_path(child, nav_count))
            links += [_path(rng.randrange(1, pages), nav_count) for _ in range(RANDOM_LINKS)]
            if rng.random() < MISSING_SHARE:
                links.append(f"/p/gone-{i}.html")
                missing.add(f"/p/gone-{i}.html")
            img = [f"/img/{(2 * i + m) % n_img}.png" for m in range(2)]
            att = f"/files/{i % n_att}.{ATTACHMENT_KINDS[(i % n_att) % 3][0]}"
            j = rng.randrange(NATIONAL_POOL)
            nat = f"http://{NATIONAL_HOST}:{national_port}/zhengce/{j}.html"
            external.add(nat)
            if j in missing_national:
                missing.add(nat)
            linked.update(links, img, [att])
            items = "".join(f'<li><a href="{u}">{COLUMNS[n % 8]}：关于第{n}号事项的通知</a><span>2026-11-{n % 28 + 1:02d}</span></li>'
                            for n, u in enumerate(links))  # fmt: skip
            body = (
                f"<html>{head}<title>第{i}页 - {site.name}</title></head><body>"
                f'<div class="top"><h1>{site.name}</h1></div>{nav_html}<div class="main"><ul class="list">{items}</ul>'
                + "".join(f'<img src="{u}" alt="配图">' for u in img)
                + f'<a href="{att}">附件下载</a><a href="{nat}">国务院文件</a>'
            )
            filler_n = max(0, (site.page_kb * 1024 - len(body.encode())) // (len(FILLER.encode()) + 7))
            html = (
                body
                + f"<p>{FILLER}</p>" * filler_n
                + f'</div><div class="foot">网站标识码：{site.code}</div></body></html>'
            )
            write(root / ("index.html" if i == 0 else _path(i, nav_count).lstrip("/")), html.encode())
        for j in range(n_img):
            if f"/img/{j}.png" in linked:
                if j in miss_img:
                    missing.add(f"/img/{j}.png")
                else:
                    write(root / "img" / f"{j}.png", PNG)
        for j in range(n_att):
            path = f"/files/{j}.{ATTACHMENT_KINDS[j % 3][0]}"
            if path in linked:
                if j in miss_att:
                    missing.add(path)
                else:
                    write(root / path.lstrip("/"), ATTACHMENT_KINDS[j % 3][1])
        (root / "robots.txt").write_text("User-agent: *\nDisallow:\n")
        site.targets = len(linked) + len(external)
        site.missing = sorted(u if u.startswith("http") else site.url.rstrip("/") + u for u in missing)
    return {
        "sites": len(sites),
        "by_level": {level: sum(1 for s in sites if s.level == level) for level, _ in LEVELS},
        "full_pages": sum(s.full_pages for s in sites),
        "pages": sum(s.pages for s in sites),
        "full_pages_quantiles": _quantiles(sorted(s.full_pages for s in sites)),
        "sites_500_3000": sum(1 for s in sites if 500 <= s.full_pages <= 3000),
        "page_kb_mean": round(sum(s.page_kb for s in sites) / len(sites), 1),
        "targets": sum(s.targets for s in sites),
        "missing": sum(len(s.missing) for s in sites),
        "platforms": {
            p: sum(1 for s in sites if s.server == p)
            for p in {s.server for s in sites if not s.server[0].isdigit()}
        },
        "slow": [s.code for s in sites if s.kind == "slow"],
        "rate_limited": [s.code for s in sites if s.kind == "rate_limited"],
        "files": files,
        "megabytes": round(total / 2**20, 1),
        "seconds": round(time.perf_counter() - started, 1),
    }


def _quantiles(values: list[int]) -> dict[str, int]:
    pick = lambda q: values[min(len(values) - 1, int(q * len(values)))]
    return {
        "min": values[0],
        "p25": pick(0.25),
        "median": pick(0.5),
        "p75": pick(0.75),
        "p95": pick(0.95),
        "max": values[-1],
    }
