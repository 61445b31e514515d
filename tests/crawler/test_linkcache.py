"""The shared link cache: an external target linked from many sites is checked once per nightly run,
and an ok outcome is reused by the next run while a broken one is checked again."""

from __future__ import annotations

from pathlib import Path

from crawler.demo.server import SiteServer
from tests.conftest import register_site
from tests.crawler.test_commands import scrapy
from tests.crawler.test_nightly import nightly_env

SITES = 3


def test_external_targets_checked_once_per_run_and_ok_ones_reused(
    db_url: str, tmp_path: Path, external_site: SiteServer
) -> None:
    servers = []
    for n in range(SITES):
        root = tmp_path / f"site{n}"
        root.mkdir()
        (root / "index.html").write_text(
            f'<a href="{external_site.url("/x.html")}">国务院</a><a href="{external_site.url("/gone.html")}">旧链接</a>'
            f'<a href="/p{n}.html">本站</a>', encoding="utf-8")
        (root / f"p{n}.html").write_text("<p>本站页面</p>", encoding="utf-8")
        servers.append(SiteServer(root).__enter__())
    try:
        for n, server in enumerate(servers):
            register_site(db_url, f"45109904{n:02d}", server.url("/index.html"), name=f"站点{n}")
        external_site.reset()
        args = ("nightly", "--parallel", str(SITES), "-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=0")
        first = scrapy(*args, db_url=db_url, env_extra=nightly_env(db_url))
        assert first.returncode == 0, first.stderr
        hits = dict(external_site.hits)
        # one check each, as for a single site: HEAD then GET (an HTML answer is read), and a 404 is re-checked once
        assert hits == {("HEAD", "/x.html"): 1, ("GET", "/x.html"): 1, ("HEAD", "/gone.html"): 1, ("GET", "/gone.html"): 2}
        assert first.stdout.count("1 broken") == SITES, "every site still gets its own broken-link finding"

        external_site.reset()
        second = scrapy(*args, db_url=db_url, env_extra=nightly_env(db_url))
        assert second.returncode == 0, second.stderr
        assert ("GET", "/x.html") not in external_site.hits, "an ok outcome is reused for GOVHEALTH_LINK_CACHE_OK_HOURS"
        assert external_site.hits[("GET", "/gone.html")] == 2, "a broken one is checked again every run"
        assert "link cache:" in second.stdout
    finally:
        for server in servers:
            server.__exit__()


def test_two_crawls_waiting_on_each_others_failures_do_not_deadlock(
    db_url: str, tmp_path: Path, external_site: SiteServer
) -> None:
    """Site A checks x first, site B checks y first; each then waits for the other's target, and a
    failed target is published only after its re-check: re-checks must go out before the waiting."""
    roots = []
    for n, (first, second) in enumerate((("/a-gone.html", "/b-gone.html"), ("/b-gone.html", "/a-gone.html"))):
        root = tmp_path / f"s{n}"
        root.mkdir()
        # the first target is linked from the homepage, the second only from a page one level down,
        # so each crawl claims its own first and meets the other's later
        (root / "index.html").write_text(f'<a href="{external_site.url(first)}">外</a><a href="/p.html">下</a>',
                                         encoding="utf-8")
        (root / "p.html").write_text(f'<a href="{external_site.url(second)}">外二</a>', encoding="utf-8")
        roots.append(SiteServer(root).__enter__())
    try:
        for n, server in enumerate(roots):
            register_site(db_url, f"45109906{n:02d}", server.url("/index.html"), name=f"互等站点{n}")
        env = {**nightly_env(db_url), "GOVHEALTH_RECHECK_DELAY": "1", "GOVHEALTH_MAX_SECONDS": "60"}
        done = scrapy("nightly", "--parallel", "2", "-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=0",
                      db_url=db_url, env_extra=env, timeout=120)
        assert done.returncode == 0, done.stderr
        assert done.stdout.count("2 broken") == 2, done.stdout  # both sites complete, both targets confirmed
        assert "max_seconds" not in done.stdout
    finally:
        for server in roots:
            server.__exit__()
