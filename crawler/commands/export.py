"""`scrapy export --format jsonl|csv|xlsx -o FILE [--code CODE] [--run ID]`: findings for the scoring team.

XLSX is the scoring team's workbook (findings, scores, columns sheets); JSONL and CSV write the
findings to FILE and the same scores and columns beside it (FILE stem + .scores / .columns).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from scrapy.exceptions import UsageError

from crawler.cli import GovHealthCommand
from crawler.config import as_of_date, rules_from_settings
from pipelines.export import FORMATS, write_bundle
from pipelines.scorecards import gather_export


class Command(GovHealthCommand):
    def syntax(self) -> str:
        return "--format jsonl|csv|xlsx -o FILE [--code CODE] [--run ID]"

    def short_desc(self) -> str:
        return "Export findings (and score cards, column inventory) of the latest runs"

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        parser.add_argument("--format", choices=FORMATS, help="default: from the file extension")
        parser.add_argument("-o", "--output", required=False, help="file to write")
        parser.add_argument("--code", help="only this site (网站标识码)")
        parser.add_argument("--run", type=int, help="only this crawl run")
        parser.add_argument("--rules", help="rules file for the scores (default: GOVHEALTH_RULES or bundled)")

    def handle(self, args: list[str], opts: argparse.Namespace) -> None:
        if not opts.output:
            raise UsageError("give the output file with -o FILE")
        path = Path(opts.output)
        fmt = opts.format or path.suffix.lstrip(".").lower()
        if fmt not in FORMATS:
            raise UsageError(f"unknown export format {fmt!r}: use --format jsonl, csv or xlsx")
        assert self.settings is not None
        rules = rules_from_settings(self.settings, opts.rules)
        with self.session() as session:
            bundle = gather_export(session, rules, as_of_date(self.settings), code=opts.code, run_id=opts.run)
        files = write_bundle(path, fmt, bundle)
        extra = f" (scores: {files[1]}, columns: {files[2]})" if len(files) == 3 else ""
        print(f"exported {len(bundle.findings)} findings of {len(bundle.runs)} runs to {path}{extra}")
