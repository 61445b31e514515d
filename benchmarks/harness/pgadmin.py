"""Create or drop a PostgreSQL database for bench_nightly.py's run, and print the URL of the new database.

Usage (with the project's venv): ``python -m benchmarks.harness.pgadmin ADMIN_URL create|drop NAME``.
"""

from __future__ import annotations

import sys

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url


def main(argv: list[str]) -> None:
    """``ADMIN_URL create|drop NAME``."""
    url, action, name = make_url(argv[0]), argv[1], argv[2]
    engine = create_engine(url, isolation_level="AUTOCOMMIT")  # CREATE DATABASE cannot run in a transaction
    with engine.connect() as c:
        if action == "create":
            c.execute(text(f'CREATE DATABASE "{name}"'))
        else:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()
    print(url.set(database=name).render_as_string(hide_password=False))


if __name__ == "__main__":
    main(sys.argv[1:])
