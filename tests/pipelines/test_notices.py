"""What `scrapy notify` says of a site's latest run: new against the previous complete run, fixed only when the
run is complete (an incomplete run resolves nothing), the verdict and early warnings (#14)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from models.finding import Finding
from models.run import RUN_COMPLETE, RUN_INCOMPLETE, CrawlRun
from models.session import make_sessionmaker, open_database
from models.site import Site
from pipelines.notices import gather_states
from pipelines.rules.rulesfile import load_rules

T = datetime(2026, 12, 7, 1, 30, tzinfo=UTC)


def finding(run: CrawlRun, kind: str, name: str) -> Finding:
    return Finding(run_id=run.id, site_id=run.site_id, fingerprint=f"{kind}:{name}", kind=kind,
                   url=f"http://a.example/{name}", detected_at=T)  # fmt: skip


def test_new_fixed_and_an_incomplete_run(db_url: str) -> None:
    engine = open_database(db_url)
    try:
        with make_sessionmaker(engine).begin() as session:
            site = Site(
                code="4510000031", name="百色市", url="http://a.example/", level="city", contact=["json://h/"]
            )
            session.add(site)
            session.flush()
            runs = []
            for status in (RUN_COMPLETE, RUN_INCOMPLETE, RUN_COMPLETE):
                run = CrawlRun(site_id=site.id, status=status, close_reason="finished", finished_at=T, pages=3,
                               budget_hit="max_pages" if status == RUN_INCOMPLETE else None)  # fmt: skip
                session.add(run)
                session.flush()
                runs.append(run)
            first, cut, last = runs
            session.add_all([finding(first, "broken_link", "a"), finding(first, "broken_link", "b")])
            session.add_all([finding(cut, "broken_link", "a"), finding(cut, "unverified_link", "u")])
            session.add_all([finding(cut, "blank_column", f"c{i}") for i in range(3)])
            session.add_all([finding(last, "broken_link", "a"), finding(last, "blank_column", "c0")])
            session.add(Finding(run_id=last.id, site_id=site.id, fingerprint="x", kind="stale_column",
                                url="http://a.example/x", column_name="通知公告", detected_at=T))  # fmt: skip
            ids = first.id, cut.id, last.id
        rules = load_rules()
        with make_sessionmaker(engine)() as session:
            (state,) = gather_states(session, rules, date(2026, 12, 7))
            assert (state.run_id, state.notice.first, state.notice.complete) == (ids[2], False, True)
            assert [f.url for f in state.notice.new] == ["http://a.example/c0", "http://a.example/x"]
            assert [f.url for f in state.notice.fixed] == ["http://a.example/b"]
            assert state.contacts == ("json://h/",)

            # the incomplete run, had it been the latest: new against the first run, nothing fixed
            session.query(Finding).filter(Finding.run_id == ids[2]).delete()
            session.query(CrawlRun).filter(CrawlRun.id == ids[2]).delete()
            (state,) = gather_states(session, rules, date(2026, 12, 7))
            assert (state.run_id, state.notice.complete) == (ids[1], False)
            assert state.notice.budget_hit == "max_pages"
            assert len(state.notice.new) == 3, "unverified findings are never counted"
            assert state.notice.fixed == []
            assert (state.digest.new, state.digest.fixed, state.digest.newly_vetoed) == (3, 0, False)
    finally:
        engine.dispose()
