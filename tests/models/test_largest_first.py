"""The nightly queue's order: largest sites (by their last inspected run) first, never-inspected ones ahead."""

from __future__ import annotations

from models.nightly_runs import largest_first
from models.repo import list_sites
from models.run import CrawlRun
from models.session import make_sessionmaker, open_database
from tests.conftest import register_site


def test_largest_first(db_url: str) -> None:
    for n in range(4):
        register_site(db_url, f"45109910{n:02d}", f"http://s{n}.example/", name=f"站{n}")
    engine = open_database(db_url)
    sessions = make_sessionmaker(engine)
    with sessions.begin() as session:
        ids = {s.code: s.id for s in list_sites(session)}
        runs = [("4510991000", 50, "finished"), ("4510991001", 3000, "finished"), ("4510991001", 9999, "shutdown"),
                ("4510991002", 800, "finished"), ("4510991002", 40, "govhealth_max_seconds")]  # fmt: skip
        for code, pages, reason in runs:
            session.add(CrawlRun(site_id=ids[code], pages=pages, close_reason=reason, status="complete"))
    with sessions() as session:
        order = [s.code for s in largest_first(session, list_sites(session))]
    engine.dispose()
    # 03 never inspected: first; then 01 (3,000: a killed run does not count), 00 (50), 02 (its last run: 40)
    assert order == ["4510991003", "4510991001", "4510991000", "4510991002"]
