"""The adoption tests run on SQLite and on PostgreSQL, like the database tests."""

from tests.db.conftest import database, database_url

__all__ = ["database", "database_url"]
