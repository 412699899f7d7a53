"""Remembered state: a key's value, set and replaced, also from several threads at once."""

from __future__ import annotations

from catalog_service.db import Database, state
from tests.db.support import run_together


def test_put_get_replace_delete(database: Database) -> None:
    with database.session() as session:
        assert state.get(session, "history.lastCommit") is None
        state.put(session, "history.lastCommit", "a" * 40)
    with database.session() as session:
        assert state.get(session, "history.lastCommit") == "a" * 40
        state.put(session, "history.lastCommit", "b" * 40)
    with database.session() as session:
        assert state.get(session, "history.lastCommit") == "b" * 40
        state.delete(session, "history.lastCommit")
    with database.session() as session:
        assert state.get(session, "history.lastCommit") is None


def test_puts_from_many_threads_at_once(database: Database) -> None:
    def put(index: int) -> None:
        with database.session() as session:
            state.put(session, "backfill.done", str(index))

    run_together(8, put)
    with database.session() as session:
        assert state.get(session, "backfill.done") in {str(index) for index in range(8)}
