"""`scrapy crawl portal -a code=CODE`: Scrapy's crawl, after checking the database and the site code.

An unknown code, an unreachable database or a wrong setting gives one error line and exit status 1, not a
traceback.
"""

from __future__ import annotations

import argparse
import sys

from scrapy.commands.crawl import Command as ScrapyCrawlCommand

from crawler.config import check_crawl_settings
from models.errors import GovHealthError
from models.repo import get_site
from models.session import acquire_engine, make_sessionmaker, release_engine


class Command(ScrapyCrawlCommand):
    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        code = opts.spargs.get("code")
        if args[:1] == ["portal"] and code:
            assert self.settings is not None
            try:
                check_crawl_settings(
                    self.settings
                )  # a wrong setting or rules file is one line, not a traceback
                engine = acquire_engine(str(self.settings.get("GOVHEALTH_DATABASE_URL")))
                try:
                    with make_sessionmaker(engine)() as session:
                        get_site(session, code)
                finally:
                    release_engine(engine)
            except GovHealthError as exc:
                print(f"error: {exc}", file=sys.stderr)
                self.exitcode = 1
                return
        super().run(args, opts)
        stats = getattr(self, "last_stats", None)
        if stats is not None and stats.get("finish_reason") not in (
            None,
            "finished",
            "govhealth_max_seconds",
        ):
            self.exitcode = 1
