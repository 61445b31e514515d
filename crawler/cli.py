"""The base of govhealth's scrapy commands: one clear error line and a non-zero exit on failure."""

from __future__ import annotations

import argparse
import sys
from abc import abstractmethod
from collections.abc import Iterator
from contextlib import contextmanager

from scrapy.commands import ScrapyCommand
from sqlalchemy.orm import Session

from models.errors import GovHealthError
from models.session import acquire_engine, make_sessionmaker, release_engine


class GovHealthCommand(ScrapyCommand):
    """A project command that talks to the database and reports failures in one line."""

    requires_project = True
    requires_crawler_process = False

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        try:
            self.handle(args, opts)
        except GovHealthError as exc:
            print(f"error: {exc}", file=sys.stderr)
            self.exitcode = 1
        except BrokenPipeError:  # `scrapy export ... | head` is fine
            self.exitcode = 0

    @abstractmethod
    def handle(self, args: list[str], opts: argparse.Namespace) -> None:
        """Do the command's work; raise GovHealthError for a clean failure."""

    @property
    def database_url(self) -> str:
        assert self.settings is not None
        return str(self.settings.get("GOVHEALTH_DATABASE_URL"))

    @contextmanager
    def session(self, *, write: bool = False) -> Iterator[Session]:
        """A session on the configured database, migrated to head; one transaction when ``write``."""
        engine = acquire_engine(self.database_url)
        try:
            sessions = make_sessionmaker(engine)
            if write:
                with sessions.begin() as session:
                    yield session
            else:
                with sessions() as session:
                    yield session
        finally:
            release_engine(engine)
