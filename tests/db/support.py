"""Databases for tests: a SQLite file, or a PostgreSQL database of its own on the server that
``CATALOG_TEST_POSTGRES_URL`` names (``scripts/postgres.sh`` prints such a URL).

Without that variable the PostgreSQL variants skip, saying how to enable them; in CI (``CI`` set)
they fail instead, so a CI run never passes without having run them.
"""

from __future__ import annotations

import os
import threading
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

import pytest
import sqlalchemy
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

T = TypeVar("T")
POSTGRES_URL_ENV = "CATALOG_TEST_POSTGRES_URL"
BACKENDS = ("sqlite", "postgresql")
ENABLE_POSTGRES = (
    f"PostgreSQL tests need {POSTGRES_URL_ENV}; run "
    f"`export {POSTGRES_URL_ENV}=$(sudo bash scripts/postgres.sh)` to enable them"
)
# Read once at import: the suite's autouse fixture clears every CATALOG_* variable in each test.
_POSTGRES_URL = os.environ.get(POSTGRES_URL_ENV)
_IN_CI = bool(os.environ.get("CI"))


def postgres_server_url() -> str:
    """The URL of the test server's own database (where test databases are created from)."""
    if _POSTGRES_URL:
        return _POSTGRES_URL
    if _IN_CI:
        pytest.fail(f"{POSTGRES_URL_ENV} is not set in CI: .ci/run must start PostgreSQL")
    pytest.skip(ENABLE_POSTGRES)


@contextmanager
def postgres_database() -> Iterator[str]:
    """A new, empty PostgreSQL database for one test; dropped afterwards (open sessions too)."""
    server = make_url(postgres_server_url())
    name = f"catalog_test_{uuid.uuid4().hex[:12]}"
    admin = sqlalchemy.create_engine(server, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield server.set(database=name).render_as_string(hide_password=False)
        finally:
            _drop_database(admin, name)
    finally:
        admin.dispose()


def _drop_database(admin: sqlalchemy.Engine, name: str) -> None:
    """Drop ``name`` and its sessions. Ending an autovacuum worker busy there needs
    pg_signal_backend (scripts/postgres.sh grants it); without it, a plain DROP waits for it."""
    with admin.connect() as connection:
        try:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        except sqlalchemy.exc.ProgrammingError:
            connection.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :name"
                    " AND usename = current_user AND pid <> pg_backend_pid()"
                ),
                {"name": name},
            )
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))


@contextmanager
def empty_database(backend: str, folder: Path) -> Iterator[str]:
    """The URL of a new, empty database on ``backend``."""
    if backend == "sqlite":
        yield f"sqlite:///{folder / 'catalog.db'}"
    else:
        with postgres_database() as url:
            yield url


def run_together(count: int, work: Callable[[int], T]) -> list[T]:
    """Run ``work(0..count-1)`` in as many threads, released at the same moment."""
    barrier = threading.Barrier(count)

    def start(index: int) -> T:
        barrier.wait()
        return work(index)

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(start, range(count)))
