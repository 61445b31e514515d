"""`scrapy sites import FILE` and `scrapy sites list`: the site registry (README: Commands)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping, Sequence

from scrapy.exceptions import UsageError

from crawler.cli import GovHealthCommand
from crawler.tables import print_table
from models.errors import GovHealthError
from models.queries import latest_runs
from models.repo import list_sites, upsert_sites
from pipelines.export import write_csv_rows
from pipelines.rules.contacts import mask_contact
from pipelines.rules.metas import code_mismatch
from pipelines.rules.registry import SiteFileError, read_site_file

FIELDS = ("code", "name", "level", "enabled", "url", "domains", "contact", "platform", "declared_code")


class Command(GovHealthCommand):
    def syntax(self) -> str:
        return "import FILE | list [--format table|csv|json]"

    def short_desc(self) -> str:
        return "Register sites from a CSV/XLSX file, or list the registered sites"

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        parser.add_argument(
            "--format", choices=("table", "csv", "json"), default="table", help="list output format"
        )

    def handle(self, args: list[str], opts: argparse.Namespace) -> None:
        if args[:1] == ["import"] and len(args) == 2:
            self.import_file(args[1])
        elif args == ["list"]:
            self.list_sites(opts.format)
        else:
            raise UsageError("use 'scrapy sites import FILE' or 'scrapy sites list'")

    def import_file(self, path: str) -> None:
        try:
            rows = read_site_file(path)  # validates every row before anything is written
        except SiteFileError as exc:
            raise GovHealthError(exc.summary) from None  # one problem (a bomb, an encoding): one line
        with self.session(write=True) as session:
            created, updated = upsert_sites(session, rows)
        print(f"imported {len(rows)} sites from {path}: {created} new, {updated} updated")

    def list_sites(self, fmt: str) -> None:
        with self.session() as session:
            sites = list_sites(session)
            declared = {run.site_id: run.declared_code for run in latest_runs(session)}
        records = [
            {
                "code": s.code,
                "name": s.name,
                "level": s.level,
                "enabled": s.enabled,
                "url": s.url,
                "domains": "|".join(s.domains),
                "contact": " | ".join(mask_contact(c) for c in s.contact),  # never a password or token
                "platform": s.platform or "",
                # the SiteIDCode the homepage declared at the latest crawl, when it names another code
                "declared_code": code if code_mismatch(code := declared.get(s.id), s.code) else "",
            }
            for s in sites
        ]
        if fmt == "json":
            print(json.dumps(records, ensure_ascii=False, indent=2))
        elif fmt == "csv":  # names and URLs come from a file anyone may have edited: no formula runs
            write_csv_rows(sys.stdout, records, FIELDS)
        else:
            print_table(
                [[str(r[f]) for f in FIELDS] for r in records],
                FIELDS,
                title=f"{len(records)} registered sites" + _mismatch_note(records),
            )


def _mismatch_note(records: Sequence[Mapping[str, object]]) -> str:
    """' · N declare another site code' when homepages name other codes than the registry's (a registry error)."""
    count = sum(1 for r in records if r["declared_code"])
    return f" · {count} declare another site code (declared_code): check the registry" if count else ""
