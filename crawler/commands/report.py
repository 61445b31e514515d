"""`scrapy report -o DIR [--code CODE] [--runs N] [--rules FILE] [--screenshots]`: the visual report.

An offline static site: DIR/index.html (every site), DIR/sites/<code>.html (one site), DIR/assets/.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from scrapy.exceptions import UsageError

from crawler.cli import GovHealthCommand
from crawler.report.build import build_report


class Command(GovHealthCommand):
    def syntax(self) -> str:
        return "-o DIR [--code CODE] [--runs N] [--rules FILE] [--screenshots]"

    def short_desc(self) -> str:
        return "Write the visual report (offline static site: overview and one page per site)"

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        parser.add_argument("-o", "--output", help="folder to write the report into")
        parser.add_argument("--code", help="only this site (网站标识码)")
        parser.add_argument(
            "--runs", type=int, default=10, help="runs shown in the history charts (default 10)"
        )
        parser.add_argument("--rules", help="rules file for the scores (default: GOVHEALTH_RULES or bundled)")
        parser.add_argument(
            "--screenshots", action="store_true", help="screenshot each broken link's page (needs Chromium)"
        )

    def handle(self, args: list[str], opts: argparse.Namespace) -> None:
        if not opts.output:
            raise UsageError("give the report folder with -o DIR")
        if opts.runs < 1:
            raise UsageError("--runs must be >= 1")
        output = Path(opts.output)
        if output.exists() and not output.is_dir():
            raise UsageError(f"{output} exists and is not a folder")
        assert self.settings is not None
        result = build_report(
            self.settings,
            self.session,
            output,
            code=opts.code,
            runs=opts.runs,
            rules_path=opts.rules,
            screenshots=opts.screenshots,
        )
        if result.note:
            print(result.note)
        shots = f", {result.screenshots} screenshots" if opts.screenshots else ""
        print(f"report of {result.sites} sites ({result.findings} findings{shots}): {result.index.resolve()}")
