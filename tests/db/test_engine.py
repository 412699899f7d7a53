"""The engine: aware UTC datetimes on both databases, SQLite set up for threads, one
transaction per session, errors that name the database without its password."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import StatementError
from sqlalchemy.exc import TimeoutError as SQLAlchemyTimeoutError

from catalog_service.db import Database, audit, upgrade
from catalog_service.db.models import AuditEntry
from catalog_service.errors import DatabaseError
from catalog_service.http.errors import status_for
from tests.db.support import run_together

BERLIN_SUMMER = dt.timezone(dt.timedelta(hours=2))


def add_entry(db: Database, created_at: dt.datetime | None = None, actor: str = "a") -> int:
    with db.session() as session:
        entry = audit.add(
            session,
            actor=actor,
            action="promote-image",
            inputs={"application": "pay"},
            dry_run=False,
            outcome="succeeded",
            duration_seconds=0.25,
            created_at=created_at,
        )
        return entry.id


def test_datetimes_come_back_aware_utc_and_the_same_instant(database: Database) -> None:
    written = dt.datetime(2026, 7, 1, 12, 30, 15, 123456, tzinfo=BERLIN_SUMMER)
    entry_id = add_entry(database, written)
    with database.session() as session:
        entry = audit.get(session, entry_id)
    assert entry is not None
    assert entry.created_at == written
    assert entry.created_at.tzinfo == dt.UTC
    assert entry.created_at.hour == 10  # 12:30 at +02:00


def test_comparisons_use_the_instant_whatever_the_zone(database: Database) -> None:
    add_entry(database, dt.datetime(2026, 7, 1, 10, 0, tzinfo=dt.UTC))
    with database.session() as session:
        # 11:59 at +02:00 is 09:59 UTC: before the entry; 12:01 at +02:00 is after it.
        after = dt.datetime(2026, 7, 1, 11, 59, tzinfo=BERLIN_SUMMER)
        later = dt.datetime(2026, 7, 1, 12, 1, tzinfo=BERLIN_SUMMER)
        assert len(audit.list_entries(session, since=after).items) == 1
        assert len(audit.list_entries(session, since=later).items) == 0


def test_naive_datetimes_are_refused(database: Database) -> None:
    with pytest.raises(StatementError, match="naive datetime"):
        add_entry(database, dt.datetime(2026, 7, 1, 12, 0))


def test_a_session_rolls_back_when_its_block_raises(database: Database) -> None:
    with pytest.raises(RuntimeError), database.session() as session:
        audit.add(
            session,
            actor="a",
            action="promote-image",
            inputs={},
            dry_run=True,
            outcome="failed",
            duration_seconds=0,
        )
        raise RuntimeError("the action failed after writing")
    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(AuditEntry)) == 0


def test_sqlite_is_set_up_for_several_threads(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'catalog.db'}"
    upgrade(url)
    db = Database(url)
    with db.engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA busy_timeout")).scalar() == 30_000
    db.dispose()


def test_many_threads_write_at_once(database: Database) -> None:
    # Each thread reads, then writes, in one transaction: on SQLite that is where a deferred
    # transaction would fail with "database is locked".
    def work(index: int) -> int:
        written = 0
        for _ in range(10):
            with database.session() as session:
                before = session.scalar(select(func.count()).select_from(AuditEntry))
                assert before is not None
                audit.add(
                    session,
                    actor=f"user-{index}",
                    action="create-application",
                    inputs={"before": before},
                    dry_run=False,
                    outcome="succeeded",
                    duration_seconds=0.1,
                )
                written += 1
        return written

    assert run_together(8, work) == [10] * 8
    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(AuditEntry)) == 80


def test_an_unreachable_database_is_a_database_error_without_the_password() -> None:
    db = Database("postgresql+psycopg://catalog:hunter2-secret@127.0.0.1:9/catalog")
    with pytest.raises(DatabaseError) as raised, db.session() as session:
        session.execute(text("SELECT 1"))
    assert "hunter2-secret" not in raised.value.message
    assert raised.value.message.startswith("database postgresql+psycopg://catalog:***@127.0.0.1:9")
    assert status_for(raised.value) == 503
    db.dispose()


def test_a_pool_that_stays_exhausted_is_a_database_error_not_a_crash(database_url: str) -> None:
    # As when another process holds SQLite's lock: every pooled connection waits on it, and the
    # next session waits for the pool until its timeout.
    upgrade(database_url)
    db = Database(database_url, pool_timeout=0.2)
    held = []
    with pytest.raises(SQLAlchemyTimeoutError):  # the pool's own error, when used directly
        for _ in range(100):
            held.append(db.engine.connect())
    try:
        with pytest.raises(DatabaseError) as raised, db.session() as session:
            session.execute(text("SELECT 1"))
        assert status_for(raised.value) == 503 and raised.value.code == "database_unavailable"
        assert "busy" in raised.value.message and "pool" in raised.value.message
    finally:
        for connection in held:
            connection.close()
        db.dispose()
