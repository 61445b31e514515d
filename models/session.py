"""Engines, sessions and schema upgrades; a database that cannot be reached raises one clear error."""

from __future__ import annotations

import functools
import logging
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event, make_url, text
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
        return create_engine(
            parsed, pool_pre_ping=True, connect_args=_connect_args(parsed.get_backend_name())
        )
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


def alembic_config(engine: Engine | None) -> Config:
    """An Alembic config that runs the bundled migrations on ``engine``."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


@functools.cache
def head_revision() -> str | None:
    """The newest bundled migration (read once per process)."""
    return ScriptDirectory.from_config(alembic_config(None)).get_current_head()


def current_revision(engine: Engine) -> str | None:
    """The schema's migration, or None for an empty database."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: Engine) -> None:
    """Bring the schema to the newest migration (a no-op when it is there already).

    On PostgreSQL the upgrade holds a transaction-level advisory lock, so workers starting at the same
    moment on one database do not race on the schema: the first migrates, the others then find it done.
    """
    if current_revision(engine) == head_revision():
        return  # the common case: one cheap query, not Alembic's machinery
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK})
        config = alembic_config(engine)
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


_MIGRATION_LOCK = 0x676F766865616C  # "govheal": the advisory lock key of schema upgrades


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


_SHARED: dict[str, tuple[Engine, int]] = {}  # url -> (engine, users): one engine per database per process


def acquire_engine(url: str) -> Engine:
    """The process's engine for ``url``, opened and migrated by its first user; hand it back with
    ``release_engine``. The commands, pipelines and the link cache of one process share it.

    Raises:
        DatabaseError: as ``open_database``.
    """
    engine, users = _SHARED.get(url) or (open_database(url), 0)
    _SHARED[url] = (engine, users + 1)
    return engine


def release_engine(engine: Engine) -> None:
    """One user less of a shared engine: disposed (its connections closed) when it was the last."""
    for url, (shared, users) in _SHARED.items():
        if shared is engine:
            if users > 1:
                _SHARED[url] = (shared, users - 1)
            else:
                del _SHARED[url]
                engine.dispose()
            return
    engine.dispose()  # not a shared one
