"""`scrapy score [--code CODE] [--format table|json|csv] [--rules FILE] [--run ID]`: health score cards."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from crawler.cli import GovHealthCommand
from crawler.config import as_of_date, rules_from_settings
from crawler.tables import print_table
from models.queries import select_runs
from pipelines.export import write_csv_rows
from pipelines.scorecards import score_records, score_row


class Command(GovHealthCommand):
    def syntax(self) -> str:
        return "[--code CODE] [--format table|json|csv] [--rules FILE] [--run ID]"

    def short_desc(self) -> str:
        return "Score cards (扣分, 单项否决, verdict) of the latest run of every site"

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        parser.add_argument("--code", help="only this site (网站标识码)")
        parser.add_argument("--run", type=int, help="score this crawl run")
        parser.add_argument("--format", choices=("table", "json", "csv"), default="table")
        parser.add_argument(
            "--rules", help="rules file (default: GOVHEALTH_RULES or the bundled national rules)"
        )

    def handle(self, args: list[str], opts: argparse.Namespace) -> None:
        assert self.settings is not None
        rules = rules_from_settings(self.settings, opts.rules)
        with self.session() as session:
            runs = select_runs(session, code=opts.code, run_id=opts.run)
            records = score_records(session, runs, rules, as_of_date(self.settings), code=opts.code)
        if opts.format == "json":
            print(json.dumps(records, ensure_ascii=False, indent=2))
        elif opts.format == "csv":
            rows = [score_row(r) for r in records]
            write_csv_rows(sys.stdout, rows, list(rows[0]) if rows else ["site_code"])
        else:
            for record in records:
                print_card(record)


def print_card(record: dict[str, Any]) -> None:
    """One site's card as a terminal table, each line citing how many findings it counted."""
    rows = []
    for line in record["rules"]:
        if not line["measured"]:
            rows.append([line["id"], line["zh"], "-", "not measured", "", line["note"]])
            continue
        count = f"{line['value']:.1%}" if line["value"] is not None else str(line["count"])
        deduction = f"-{line['deduction']:g}" if line["deduction"] else "0"
        if line["cap_applied"]:
            deduction += " (cap)"
        rows.append(
            [line["id"], line["zh"], count, deduction, "否决 veto" if line["veto"] else "", line["note"]]
        )
    verdict = record["verdict"] + (" · 黑名单 black list" if record["blacklisted"] else "")
    title = (
        f"{record['site_code']} {record['site_name']} · run {record['run_id']} · "
        f"扣分 {record['total_deduction']:g} · {verdict}"
    )
    print_table(rows, ("rule", "指标", "count", "deduction", "veto", "note"), title=title)
