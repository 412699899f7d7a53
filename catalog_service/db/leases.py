"""Work that must run on one replica at a time (docs/architecture.md §5, "Several replicas").

Each replica follows git on its own, but some jobs write what every replica would write alike, or
talk to GitHub on everyone's behalf: the adoption history's walk, the pull-request reconcile, the
copy janitor. A replica runs such a job only while it holds the job's *lease*:

- on PostgreSQL, a session-level advisory lock held on a connection of its own. PostgreSQL lets it
  go the moment that connection ends: a replica that exits or is killed hands the job over at the
  next try of another (every job tries at least once a minute); TCP keepalives find a peer that
  vanished without closing its socket within about 40 s.
- on SQLite (one replica, see :func:`claim_sqlite_file`), the lease is always held.
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import os
import threading
from pathlib import Path
from typing import ClassVar, Protocol

import sqlalchemy
from sqlalchemy import Connection, text
from sqlalchemy.engine import URL
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool

from catalog_service.db.engine import parse_url, postgres_connect_args
from catalog_service.errors import DatabaseError

logger = logging.getLogger(__name__)

# The engine's keepalives (a connection that says nothing for 20 s is probed every 5 s; 4 lost
# probes end it), on both ends: the client's find a database that vanished; the server's (its
# session settings) find a holder whose host died or was cut off without closing the socket,
# which PostgreSQL's defaults (2 hours idle) would keep holding the lease.
_SERVER_KEEPALIVES = (
    "-c tcp_keepalives_idle=20 -c tcp_keepalives_interval=5 -c tcp_keepalives_count=4"
)


class JobLeases(Protocol):
    """Who runs a once-only job now."""

    def hold(self, job: str) -> bool:
        """True while this replica holds ``job``'s lease: taken when free, kept once taken.
        False when another replica holds it or the database cannot be reached."""
        ...

    def close(self) -> None:
        """Let every lease go (at shutdown)."""
        ...


class SingleReplicaLeases:
    """SQLite: one replica, so every lease is this one's."""

    def hold(self, job: str) -> bool:
        return True

    def close(self) -> None:
        return None


def lock_key(job: str) -> int:
    """The job's advisory lock key: a signed 64-bit number, the same on every replica."""
    digest = hashlib.blake2b(f"catalog-service job {job}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


class AdvisoryLeases:
    """PostgreSQL: an advisory lock per job, each on a connection kept as long as it is held."""

    def __init__(self, url: str | URL) -> None:
        # A pool of its own: a held lease never takes a connection the requests need.
        parsed = parse_url(str(url)) if isinstance(url, str) else url
        self._engine = sqlalchemy.create_engine(
            parsed,
            poolclass=NullPool,
            isolation_level="AUTOCOMMIT",
            connect_args={**postgres_connect_args(parsed), "options": _SERVER_KEEPALIVES},
        )
        self._held: dict[str, Connection] = {}
        self._lock = threading.Lock()

    def hold(self, job: str) -> bool:
        with self._lock:
            connection = self._held.get(job)
            if connection is not None:
                if _alive(connection):
                    return True
                logger.warning("lost the lease of job %s (its connection ended)", job)
                self._forget(job)
            return self._take(job)

    def _take(self, job: str) -> bool:
        try:
            connection = self._engine.connect()
        except SQLAlchemyError as error:
            logger.warning("cannot take the lease of job %s: %s", job, _first_line(error))
            return False
        try:
            taken = bool(
                connection.scalar(text("SELECT pg_try_advisory_lock(:key)"), {"key": lock_key(job)})
            )
        except SQLAlchemyError as error:
            connection.close()
            logger.warning("cannot take the lease of job %s: %s", job, _first_line(error))
            return False
        if not taken:
            connection.close()
            return False
        logger.info("this replica now runs job %s", job)
        self._held[job] = connection
        return True

    def _forget(self, job: str) -> None:
        connection = self._held.pop(job)
        try:
            connection.invalidate()
            connection.close()
        except SQLAlchemyError:
            pass

    def close(self) -> None:
        with self._lock:
            for job in list(self._held):
                self._forget(job)  # the session ends: PostgreSQL lets the lock go
        self._engine.dispose()


def _alive(connection: Connection) -> bool:
    try:
        connection.scalar(text("SELECT 1"))
    except SQLAlchemyError:
        return False
    return True


def _first_line(error: BaseException) -> str:
    return (str(error).strip().splitlines() or [type(error).__name__])[0]


def job_leases(url: str) -> JobLeases:
    """The leases that fit ``database.url``."""
    parsed = parse_url(url)
    if parsed.get_backend_name() == "postgresql":
        return AdvisoryLeases(parsed)
    return SingleReplicaLeases()


class SqliteFileClaim:
    """This process's claim on a SQLite database file: SQLite serves one replica.

    A second service process on the same file would share its write lock and its history
    walks with the first and fail later, at some write, with "database is locked"; it is refused
    at start instead. The claim is a ``flock`` on ``FILE.replica-lock`` (holding the claimant's
    pid), freed by the kernel when the process ends, however it ends. Claims within one process
    are counted, so that tests and the CLI may open several apps on one file.
    """

    _claims: ClassVar[dict[Path, tuple[int, int]]] = {}  # path -> (descriptor, count)
    _claims_lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self, path: Path) -> None:
        self.path = path

    def acquire(self) -> None:
        with self._claims_lock:
            fd, count = self._claims.get(self.path, (-1, 0))
            if count == 0:
                fd = self._lock_file()
            self._claims[self.path] = (fd, count + 1)

    def release(self) -> None:
        with self._claims_lock:
            fd, count = self._claims.get(self.path, (-1, 0))
            if count <= 1:
                self._claims.pop(self.path, None)
                if fd >= 0:
                    os.close(fd)  # the flock goes with it
            else:
                self._claims[self.path] = (fd, count - 1)

    def _lock_file(self) -> int:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        except OSError as error:
            raise DatabaseError(f"cannot create {self.path}: {error.strerror}") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "unknown"
            os.close(fd)
            database = self.path.name.removesuffix(".replica-lock")
            raise DatabaseError(
                f"the SQLite database {database} is in use by another running service (pid "
                f"{holder}); SQLite serves one replica: for several, set database.url to "
                "postgresql+psycopg://USER:PASSWORD@HOST:PORT/NAME"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        return fd


def sqlite_claim(url: str) -> SqliteFileClaim | None:
    """The claim a service on ``database.url`` must hold: None for PostgreSQL."""
    parsed = parse_url(url)
    database = parsed.database or ""
    if parsed.get_backend_name() != "sqlite" or not database or database.startswith("file:"):
        return None
    path = Path(database).expanduser().resolve()
    return SqliteFileClaim(path.with_name(path.name + ".replica-lock"))
