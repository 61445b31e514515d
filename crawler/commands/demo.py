"""`scrapy demo`: serve the bundled county portal on 127.0.0.1, register it, crawl it, score it, export it and
write its visual report.

The demo site's content is dated for GOVHEALTH_AS_OF=2026-11-20, which the command sets.
"""

from __future__ import annotations

import argparse
import json
import shlex
import shutil
import tempfile
from collections import Counter
from pathlib import Path

from crawler.cli import GovHealthCommand
from crawler.commands.score import print_card
from crawler.config import as_of_date, rules_from_settings
from crawler.demo.server import SiteServer
from crawler.report.build import build_report
from crawler.spiders.portal import PortalSpider
from crawler.tables import print_table
from models.errors import GovHealthError
from models.repo import upsert_sites
from pipelines.evidence import EvidenceConfig
from pipelines.export import write_bundle
from pipelines.rules.registry import SiteRow
from pipelines.scorecards import gather_export

DEMO_CODE = "4511990001"
DEMO_NAME = "示例县人民政府（演示）"
DEMO_SITE = Path(__file__).resolve().parent.parent / "demo" / "site"
DEMO_SETTINGS = {
    "GOVHEALTH_AS_OF": "2026-11-20",
    "GOVHEALTH_ALLOW_PRIVATE_TARGETS": True,  # the demo's "external" portal is another local server
    "GOVHEALTH_RECHECK_DELAY": 1,
    "GOVHEALTH_BACKOFF_BASE": 0.2,
    "DOWNLOAD_DELAY": 0,
    "AUTOTHROTTLE_ENABLED": False,
    "CONCURRENT_REQUESTS_PER_DOMAIN": 8,
    "DOWNLOAD_TIMEOUT": 5,
    "LOG_LEVEL": "WARNING",
}


class Command(GovHealthCommand):
    requires_crawler_process = True

    def syntax(self) -> str:
        return "[-o FILE.xlsx] [--report DIR]"

    def short_desc(self) -> str:
        return "Crawl the bundled demo county portal on 127.0.0.1 and show what govhealth finds"

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        parser.add_argument("-o", "--output", default="demo-findings.xlsx", help="workbook to write")
        parser.add_argument("--report", default="demo-report", help="folder of the visual report to write")

    def process_options(self, args: list[str], opts: argparse.Namespace) -> None:
        super().process_options(args, opts)
        assert self.settings is not None
        self.settings.setdict(DEMO_SETTINGS, priority="spider")  # above settings.py, below -s

    def handle(self, args: list[str], opts: argparse.Namespace) -> None:
        with tempfile.TemporaryDirectory(prefix="govhealth-demo-") as tmp:
            root, external_root = Path(tmp) / "site", Path(tmp) / "external"
            shutil.copytree(DEMO_SITE / "external", external_root)
            with SiteServer(external_root) as external:
                shutil.copytree(DEMO_SITE, root, ignore=shutil.ignore_patterns("external", "EXPECTED.md"))
                for page in root.rglob("*.html"):
                    data = page.read_bytes()
                    if b"EXTERNAL" in data:
                        page.write_bytes(data.replace(b"EXTERNAL", external.base.encode()))
                with SiteServer(root) as site:
                    print(
                        f"== serving the demo portal at {site.url('/index.html')} (external portal at {external.base})"
                    )
                    with self.session(write=True) as session:
                        upsert_sites(
                            session,
                            [
                                SiteRow(
                                    DEMO_CODE,
                                    DEMO_NAME,
                                    site.url("/index.html"),
                                    "county",  # type: ignore[arg-type]
                                    "示例县人民政府办公室",
                                    (),
                                    True,
                                    2,
                                )
                            ],
                        )
                    print(f"== registered {DEMO_CODE} {DEMO_NAME}; crawling it into {self.database_url}")
                    assert self.crawler_process is not None
                    self.crawler_process.crawl(PortalSpider, code=DEMO_CODE)
                    self.crawler_process.start()
        self.report(Path(opts.output))
        assert self.settings is not None
        result = build_report(self.settings, self.session, Path(opts.report), code=DEMO_CODE)
        print(f"== visual report (open it in a browser): {result.index.resolve()}")

    def report(self, output: Path) -> None:
        assert self.settings is not None
        rules = rules_from_settings(self.settings)
        with self.session() as session:
            bundle = gather_export(session, rules, as_of_date(self.settings), code=DEMO_CODE)
        runs, findings, columns = bundle.runs, bundle.findings, bundle.columns
        if not runs:
            raise GovHealthError("the demo crawl did not finish: see the log above")
        run = runs[0]
        print(
            f"== run {run.id}: {run.status}, {run.pages} pages, {run.targets} link targets checked "
            f"({run.broken} broken, {run.unverified} unverified)"
        )
        counts = Counter(f["kind"] for f in findings)
        print_table(
            [[k, str(n)] for k, n in sorted(counts.items())], ("finding kind", "count"), title="Findings"
        )
        print_table(
            [
                [
                    f["kind"],
                    f["url"],
                    str(f["status"] or ""),
                    f["error"] or "",
                    f["link_text"] or f["column_name"] or "",
                ]
                for f in findings
            ],
            ("kind", "url", "status", "error", "text / column"),
            title="Findings with evidence",
        )
        if columns:
            print_table(
                [
                    [
                        c["name"],
                        c["category"],
                        c["status"],
                        str(c["item_count"] or ""),
                        c["latest_date"] or "",
                        c["url"],
                    ]
                    for c in columns
                ],
                ("column", "category", "status", "items", "newest", "url"),
                title="Column inventory",
            )
        for card in bundle.cards:
            print_card(card)
        write_bundle(output, "xlsx", bundle)
        print(f"== workbook for the scoring team: {output.resolve()}")
        if findings:
            print("== first export record (JSONL):")
            print(json.dumps(findings[0], ensure_ascii=False))
        proven = [f for f in findings if f["evidence_file"]]
        if proven:
            archive = EvidenceConfig.from_settings(self.settings).directory / proven[0]["evidence_file"]
            print(
                f"== evidence: {len(proven)} of {len(findings)} findings proven by WARC records in "
                f"{archive.resolve()} ({archive.stat().st_size:,} bytes); show one with:"
            )
            print(f"   scrapy evidence --code {DEMO_CODE} --url {shlex.quote(proven[0]['url'])}")
