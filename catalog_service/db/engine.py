"""The engine and sessions: a SQLite file by default, PostgreSQL for several replicas.

SQLite is set up for several threads of one process: WAL (readers never wait for the writer), a
busy timeout (a writer waits for the other instead of failing), and every transaction begins
IMMEDIATE, so two writers queue at BEGIN rather than deadlock when a read turns into a write.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy
from sqlalchemy import Connection, Engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import (
    ArgumentError,
    DBAPIError,
    InterfaceError,
    NoSuchModuleError,
    OperationalError,
)
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlalchemy.orm import Session, sessionmaker

from catalog_service.errors import DatabaseError

SQLITE_BUSY_TIMEOUT_SECONDS = 30
POOL_TIMEOUT_SECONDS = 30.0  # SQLAlchemy's: how long a session waits for a pooled connection
URL_HELP = "sqlite:///FILE or postgresql+psycopg://USER:PASSWORD@HOST:PORT/NAME"
# Every PostgreSQL connection: a host that never answers (a firewall dropping packets) fails the
# connect after 10 s instead of never (the start waited forever for its migrations), and a
# silent peer is probed after 20 s idle, every 5 s, 4 times. The URL's own values win.
POSTGRES_CONNECT_ARGS = {"connect_timeout": 10, "keepalives": 1, "keepalives_idle": 20,
                         "keepalives_interval": 5, "keepalives_count": 4}  # fmt: skip


def parse_url(url: str) -> URL:
    """The URL as SQLAlchemy reads it; ``postgresql://`` means psycopg 3 (the driver installed)."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        # SQLAlchemy's message repeats the URL, password and all.
        raise DatabaseError(f"database.url is not a database URL; use {URL_HELP}") from None
    backend, driver = parsed.get_backend_name(), parsed.get_driver_name()
    if backend == "postgresql" and "+" not in parsed.drivername:
        return parsed.set(drivername="postgresql+psycopg")
    if (backend, driver) not in {("sqlite", "pysqlite"), ("postgresql", "psycopg")}:
        raise DatabaseError(f"unsupported database URL {redact(url)}; use {URL_HELP}")
    return parsed


def redact(url: str | URL) -> str:
    """The URL for messages and logs: its password replaced by ``***``."""
    try:
        return (make_url(url) if isinstance(url, str) else url).render_as_string(hide_password=True)
    except ArgumentError:
        return "(not a database URL)"


def describe(error: BaseException, url: str | URL) -> str:
    """The driver's own first line of an error, without the URL's password should it appear."""
    cause = error.orig if isinstance(error, DBAPIError) and error.orig is not None else error
    text = (str(cause).strip().splitlines() or [type(cause).__name__])[0]
    password = (make_url(url) if isinstance(url, str) else url).password
    if password:
        text = text.replace(str(password), "***")
    return re.sub(r"://([^:/@\s]+):[^@\s]*@", r"://\1:***@", text)


def create_engine(url: str, pool_timeout: float = POOL_TIMEOUT_SECONDS) -> Engine:
    """An engine for ``database.url``; connects lazily (the first session or :func:`upgrade`)."""
    parsed = parse_url(url)
    try:
        if parsed.get_backend_name() == "sqlite":
            return _sqlite_engine(parsed, pool_timeout)
        # pre_ping: a replica outlives PostgreSQL restarts without failing the first request.
        return sqlalchemy.create_engine(
            parsed,
            pool_pre_ping=True,
            pool_timeout=pool_timeout,
            connect_args=postgres_connect_args(parsed),
        )
    except (NoSuchModuleError, ArgumentError) as error:
        raise DatabaseError(f"database {redact(parsed)}: {describe(error, parsed)}") from None


def postgres_connect_args(url: URL) -> dict[str, object]:
    """:data:`POSTGRES_CONNECT_ARGS`, less those the URL sets itself."""
    return {key: value for key, value in POSTGRES_CONNECT_ARGS.items() if key not in url.query}


def _sqlite_engine(url: URL, pool_timeout: float) -> Engine:
    database = url.database or ""
    if database and database != ":memory:" and not database.startswith("file:"):
        try:
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise DatabaseError(f"cannot create the folder of {database}: {error}") from None
    engine = sqlalchemy.create_engine(
        url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS}, pool_timeout=pool_timeout
    )
    event.listen(engine, "connect", _sqlite_connect)
    event.listen(engine, "begin", _sqlite_begin)
    return engine


def _sqlite_connect(dbapi_connection: Any, connection_record: Any) -> None:
    # The sqlite3 module's own implicit BEGIN (deferred) is turned off: _sqlite_begin replaces it.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_SECONDS * 1000}")
        cursor.execute("PRAGMA synchronous=NORMAL")  # safe with WAL; fsync at checkpoints
        cursor.execute("PRAGMA foreign_keys=ON")
    finally:
        cursor.close()


def _sqlite_begin(connection: Connection) -> None:
    connection.exec_driver_sql("BEGIN IMMEDIATE")


class DatabaseHealth:
    """What the service last saw of its database, for ``/readyz``: migrated yet, and the last
    failure while it lasts (cleared by the next transaction that succeeds)."""

    def __init__(self) -> None:
        self.migrated = True  # a service's start sets it False until its migrations ran
        self.error: str | None = None
        self.failing_since: float | None = None
        self._lock = threading.Lock()

    def failed(self, message: str) -> None:
        with self._lock:
            self.error = message
            self.failing_since = self.failing_since or time.time()

    def succeeded(self) -> None:
        if self.error is not None:
            with self._lock:
                self.error, self.failing_since = None, None


class Database:
    """An engine and its sessions; ``session()`` is one transaction (commit, or roll back)."""

    def __init__(self, url: str, *, pool_timeout: float = POOL_TIMEOUT_SECONDS) -> None:
        self.url = url
        self.engine = create_engine(url, pool_timeout)
        self._pool_timeout = pool_timeout
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self.health = DatabaseHealth()

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session in a transaction, committed when the block ends without an exception.

        Raises :class:`DatabaseError` when the database cannot be reached or refuses the work
        (locked too long, disk full, connection lost), or has not been migrated yet.
        """
        if not self.health.migrated:
            reason = self.health.error or "its migrations are running"
            raise DatabaseError(f"the database is not ready yet: {reason}")
        try:
            with self._sessions.begin() as session:
                yield session
        except (OperationalError, InterfaceError) as error:
            message = f"database {redact(self.url)}: {describe(error, self.url)}"
            self.health.failed(message)
            raise DatabaseError(message) from error
        except PoolTimeoutError as error:
            # Every connection is busy (waiting on a lock another process holds, or on slow
            # queries): say so, without SQLAlchemy's text, which names its pool's internals.
            raise DatabaseError(
                f"database {redact(self.url)}: too busy, no connection of the pool became free"
                f" within {self._pool_timeout:g} s; try again"
            ) from error
        self.health.succeeded()

    def dispose(self) -> None:
        self.engine.dispose()
