"""Every database test runs on SQLite and on PostgreSQL (``tests/db/support.py`` says how)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from catalog_service.db import Database, upgrade
from tests.db.support import BACKENDS, empty_database


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A new, empty database (no tables yet)."""
    with empty_database(request.param, tmp_path) as url:
        yield url


@pytest.fixture
def database(database_url: str) -> Iterator[Database]:
    """A new database with every migration applied."""
    upgrade(database_url)
    db = Database(database_url)
    try:
        yield db
    finally:
        db.dispose()
