"""The database fixtures of tests/db (SQLite, and PostgreSQL when configured) for these tests."""

from tests.db.conftest import database, database_url

__all__ = ["database", "database_url"]
