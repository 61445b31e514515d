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
from models.queries import COLUMN_FIELDS, EXPORT_FIELDS, column_records, export_records, select_runs
from pipelines.export import FORMATS, write_csv, write_jsonl, write_xlsx
from pipelines.scorecards import score_records, score_row


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
        as_of = as_of_date(self.settings)
        with self.session() as session:
            runs = select_runs(session, code=opts.code, run_id=opts.run)
            findings = export_records(session, runs)
            scores = [score_row(r) for r in score_records(session, runs, rules, as_of, code=opts.code)]
            columns = column_records(session, [r.id for r in runs])
        score_fields = list(scores[0]) if scores else ["site_code"]
        if fmt == "xlsx":
            write_xlsx(path, [("findings", findings, EXPORT_FIELDS), ("scores", scores, score_fields),
                              ("columns", columns, COLUMN_FIELDS)])
            extra = ""
        else:
            sidecars = {name: path.with_name(f"{path.stem}.{name}{path.suffix}") for name in ("scores", "columns")}
            if fmt == "jsonl":
                write_jsonl(path, findings)
                write_jsonl(sidecars["scores"], scores)
                write_jsonl(sidecars["columns"], columns)
            else:
                write_csv(path, findings, EXPORT_FIELDS)
                write_csv(sidecars["scores"], scores, score_fields)
                write_csv(sidecars["columns"], columns, COLUMN_FIELDS)
            extra = f" (scores: {sidecars['scores']}, columns: {sidecars['columns']})"
        print(f"exported {len(findings)} findings of {len(runs)} runs to {path}{extra}")

