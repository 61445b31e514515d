"""`scrapy notify [--code CODE] [--dry-run]`: tell site contacts and the supervising office what the latest runs
found (README: Notifications). Settings: GOVHEALTH_NOTIFY_SUPERVISOR, GOVHEALTH_REPORT_DIR, GOVHEALTH_RULES."""

from __future__ import annotations

import argparse

from crawler.cli import GovHealthCommand
from crawler.config import as_of_date, rules_from_settings
from crawler.notify.config import NotifyConfig
from crawler.notify.service import notify
from models.repo import get_site


class Command(GovHealthCommand):
    def syntax(self) -> str:
        return "[--code CODE] [--dry-run]"

    def short_desc(self) -> str:
        return "Send each site's contacts and the supervisor what is new, fixed and close to a veto (once per run)"

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        parser.add_argument("--code", help="only this site (网站标识码); no supervisor digest")
        parser.add_argument("--dry-run", action="store_true", help="print the messages, send nothing")

    def handle(self, args: list[str], opts: argparse.Namespace) -> None:
        assert self.settings is not None
        config = NotifyConfig.from_settings(self.settings)
        rules = rules_from_settings(self.settings)
        if opts.code:
            with self.session() as session:
                get_site(session, opts.code)  # an unknown code is one clear error
        outcome = notify(
            self.session, rules, as_of_date(self.settings), config, code=opts.code, dry_run=opts.dry_run
        )
        if opts.dry_run:
            print(f"notify --dry-run: {len(outcome.planned)} messages, nothing sent")
            return
        print(outcome.summary())
        self.exitcode = 1 if outcome.failed else 0
