"""`scrapy diff --code CODE [--runs A B]`: new, persisting and fixed findings between two complete runs."""

from __future__ import annotations

import argparse
import json

from scrapy.exceptions import UsageError
from sqlalchemy import select

from crawler.cli import GovHealthCommand
from crawler.tables import print_table
from models.errors import GovHealthError
from models.finding import Finding
from models.run import RUN_COMPLETE, CrawlRun
from models.site import Site
from pipelines.rules.history import diff_runs


class Command(GovHealthCommand):
    def syntax(self) -> str:
        return "--code CODE [--runs OLD NEW] [--format table|json]"

    def short_desc(self) -> str:
        return "New, persisting and fixed findings between the last two complete runs of a site"

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        parser.add_argument("--code", help="the site (网站标识码)")
        parser.add_argument(
            "--runs", type=int, nargs=2, metavar=("OLD", "NEW"), help="compare these two runs"
        )
        parser.add_argument("--format", choices=("table", "json"), default="table")

    def handle(self, args: list[str], opts: argparse.Namespace) -> None:
        if not opts.code:
            raise UsageError("give the site with --code CODE")
        with self.session() as session:
            site = session.scalar(select(Site).where(Site.code == opts.code))
            if site is None:
                raise GovHealthError(f"unknown site code {opts.code!r}")
            if opts.runs:
                old_id, new_id = opts.runs
            else:
                ids = list(
                    session.scalars(
                        select(CrawlRun.id)
                        .where(CrawlRun.site_id == site.id, CrawlRun.status == RUN_COMPLETE)
                        .order_by(CrawlRun.id.desc())
                        .limit(2)
                    )
                )
                if len(ids) < 2:
                    raise GovHealthError(f"site {opts.code} has {len(ids)} complete run(s); a diff needs two")
                new_id, old_id = ids
            old, new = (
                {f.fingerprint: f for f in session.scalars(select(Finding).where(Finding.run_id == run_id))}
                for run_id in (old_id, new_id)
            )
        result = diff_runs(old.keys(), new.keys())
        groups = {
            "new": (result.new, new),
            "persisting": (result.persisting, new),
            "fixed": (result.fixed, old),
        }
        if opts.format == "json":
            print(
                json.dumps(
                    {
                        "site_code": opts.code,
                        "old_run": old_id,
                        "new_run": new_id,
                        **{
                            name: [
                                {"kind": found[fp].kind, "url": found[fp].url, "fingerprint": fp}
                                for fp in fps
                            ]
                            for name, (fps, found) in groups.items()
                        },
                    },
                    ensure_ascii=False,
                    indent=2,
                )
            )
            return
        rows = [[name, found[fp].kind, found[fp].url] for name, (fps, found) in groups.items() for fp in fps]
        print_table(
            rows,
            ("change", "kind", "url"),
            title=(
                f"{opts.code}: run {old_id} → {new_id}: {len(result.new)} new, {len(result.persisting)} persisting, "
                f"{len(result.fixed)} fixed"
            ),
        )
