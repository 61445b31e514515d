"""Alembic environment: runs on the connection govhealth hands over (see models.session)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from models.all import Base

config = context.config
connection = config.attributes.get("connection")
target_metadata = Base.metadata


def _run(conn: Connection) -> None:
    context.configure(
        connection=conn,
        target_metadata=target_metadata,
        render_as_batch=conn.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if connection is not None:
    _run(connection)
else:
    with config.attributes["engine"].connect() as conn:
        _run(conn)
        conn.commit()
