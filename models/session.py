"""Engines, sessions and schema upgrades; a database that cannot be reached raises one clear error."""

from __future__ import annotations

import logging
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, make_url
from sqlalchemy.exc import ArgumentError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from models.errors import GovHealthError

logger = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


class DatabaseError(GovHealthError):
    """The database could not be reached or prepared."""


def safe_url(url: str) -> str:
    """The URL with its password masked, fit for an error line."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "<unparseable database URL>"


def make_engine(url: str) -> Engine:
    """An engine for ``url``; SQLite gets foreign keys, WAL and a busy timeout.

    Raises:
        DatabaseError: the URL is not a database URL SQLAlchemy understands.
    """
    try:
        parsed = make_url(url)
        if parsed.get_backend_name() == "sqlite":
            engine = create_engine(parsed, connect_args={"timeout": 30})
            event.listen(engine, "connect", _sqlite_pragmas)
            return engine
        return create_engine(parsed, pool_pre_ping=True, connect_args=_connect_args(parsed.get_backend_name()))
    except (ArgumentError, ImportError, ValueError) as exc:
        raise DatabaseError(f"invalid database URL {safe_url(url)}: {exc}") from exc


def _connect_args(backend: str) -> dict[str, object]:
    return {"connect_timeout": 10} if backend == "postgresql" else {}


def _sqlite_pragmas(dbapi_connection: object, _record: object) -> None:
    cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    """Sessions bound to ``engine`` that keep loaded attributes after commit."""
    return sessionmaker(engine, expire_on_commit=False)


def alembic_config(engine: Engine) -> Config:
    """An Alembic config that runs the bundled migrations on ``engine``."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine) -> None:
    """Bring the schema to the newest migration (a no-op when it is there already)."""
    with engine.begin() as connection:
        config = alembic_config(engine)
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def open_database(url: str) -> Engine:
    """Connect to ``url`` and migrate it to head; the one entry point of commands and pipelines.

    Raises:
        DatabaseError: one line naming the URL (without its password) and the cause.
    """
    engine = make_engine(url)
    try:
        upgrade(engine)
    except OperationalError as exc:
        engine.dispose()
        cause = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        raise DatabaseError(f"cannot reach database {safe_url(url)}: {cause}") from exc
    except SQLAlchemyError as exc:
        engine.dispose()
        raise DatabaseError(f"cannot prepare database {safe_url(url)}: {exc}") from exc
    return engine
