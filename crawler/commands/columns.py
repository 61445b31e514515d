"""`scrapy columns list --code CODE` and `scrapy columns import FILE`: the column inventory and its overrides."""

from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path

from scrapy.exceptions import UsageError
from sqlalchemy import select

from crawler.cli import GovHealthCommand
from crawler.tables import print_table
from models.errors import GovHealthError
from models.queries import column_records, select_runs
from models.site import ColumnOverride, Site
from pipelines.rules.kinds import ColumnCategory
from pipelines.rules.links import normalize_url
from pipelines.rules.metas import code_mismatch

CATEGORIES = {str(c) for c in ColumnCategory}


class Command(GovHealthCommand):
    def syntax(self) -> str:
        return "list --code CODE [--format table|json] | import FILE"

    def short_desc(self) -> str:
        return "Show a site's column inventory, or import per-site column names and categories"

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        parser.add_argument("--code", help="the site (网站标识码)")
        parser.add_argument("--run", type=int, help="a given crawl run (default: the latest finished one)")
        parser.add_argument("--format", choices=("table", "json"), default="table")

    def handle(self, args: list[str], opts: argparse.Namespace) -> None:
        if args == ["list"]:
            if not opts.code and not opts.run:
                raise UsageError("give the site with --code CODE")
            self.list_columns(opts)
        elif args[:1] == ["import"] and len(args) == 2:
            self.import_overrides(args[1])
        else:
            raise UsageError("use 'scrapy columns list --code CODE' or 'scrapy columns import FILE'")

    def list_columns(self, opts: argparse.Namespace) -> None:
        with self.session() as session:
            runs = select_runs(session, code=opts.code, run_id=opts.run)
            if not runs:
                raise GovHealthError(
                    f"site {opts.code} has no finished crawl yet: run 'scrapy crawl portal -a code={opts.code}'"
                )
            columns = column_records(session, [r.id for r in runs])
            registered = session.get(Site, runs[0].site_id)
            declared = runs[0].declared_code
            mismatch = registered is not None and code_mismatch(declared, registered.code)
        # a registry error an evaluator wants to know about, before any column (stderr keeps the JSON clean)
        warning = f"warning: the homepage declares site code {declared} (SiteIDCode), not the registered one"
        if mismatch:
            print(warning, file=sys.stderr if opts.format == "json" else sys.stdout)
        if opts.format == "json":
            print(json.dumps(columns, ensure_ascii=False, indent=2))
            return
        rows = [
            [
                c["name"],
                c["category"],
                c["status"],
                "" if c["item_count"] is None else str(c["item_count"]),
                c["latest_date"] or "",
                c["how"],
                c["url"],
            ]
            for c in columns
        ]
        counts = {
            s: sum(1 for c in columns if c["status"] == s)
            for s in ("ok", "blank", "stale", "unverified", "single")
        }
        title = f"{opts.code or ''} run {runs[0].id}: {len(columns)} columns · " + ", ".join(
            f"{n} {s}" for s, n in counts.items() if n
        )
        print_table(rows, ("name", "category", "status", "items", "newest", "found by", "url"), title=title)

    def import_overrides(self, path: str) -> None:
        """CSV with header code,url,name,category; every row is checked before anything is written."""
        try:
            with Path(path).open(encoding="utf-8-sig", newline="") as handle:
                rows = list(csv.DictReader(handle))
        except (OSError, UnicodeDecodeError, csv.Error) as exc:
            raise GovHealthError(f"{path}: cannot read it as a UTF-8 CSV file: {exc}") from exc
        if not rows or not {"code", "url"} <= set(rows[0]):
            raise GovHealthError(f"{path}: needs a header code,url,name,category and at least one row")
        errors = []
        with self.session(write=True) as session:
            sites = {s.code: s.id for s in session.scalars(select(Site))}
            for number, row in enumerate(rows, start=2):
                code, category = (row.get("code") or "").strip(), (row.get("category") or "").strip()
                if code not in sites:
                    errors.append(f"row {number}: unknown site code {code!r}")
                if category and category not in CATEGORIES:
                    errors.append(
                        f"row {number}: category {category!r} is not one of {', '.join(sorted(CATEGORIES))}"
                    )
                if not (row.get("url") or "").startswith(("http://", "https://")):
                    errors.append(f"row {number}: url must be an http(s) URL")
            if errors:
                raise GovHealthError(
                    f"{path}: {len(errors)} problem(s); nothing imported: " + "; ".join(errors)
                )
            existing = {(o.site_id, o.url): o for o in session.scalars(select(ColumnOverride))}
            for row in rows:
                key = (sites[row["code"].strip()], normalize_url(row["url"].strip()))
                override = existing.get(key) or ColumnOverride(site_id=key[0], url=key[1])
                override.name = (row.get("name") or "").strip() or None
                override.category = (row.get("category") or "").strip() or None
                session.add(override)
        print(f"imported {len(rows)} column overrides from {path}; they apply from the next crawl")
