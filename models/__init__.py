"""SQLAlchemy models, engine and session handling, and Alembic migrations."""
