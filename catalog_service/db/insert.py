"""``INSERT ... ON CONFLICT`` on SQLite and PostgreSQL alike.

Two callers recording the same key at once (a webhook and the reconcile job, two replicas) must
both succeed with one row: the conflict is settled by the database, never raised.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import inspect
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import DeclarativeBase, Session


def insert_statement(session: Session, model: type[DeclarativeBase]) -> Any:
    """The dialect's INSERT (with ``on_conflict_do_update``/``_nothing``) for ``model``."""
    return _insert(session, model)


def _insert(session: Session, model: type[DeclarativeBase]) -> Any:
    dialect = session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(model)


def insert_ignoring_conflicts(
    session: Session,
    model: type[DeclarativeBase],
    values: Mapping[str, Any],
    conflict_columns: Sequence[str],
) -> bool:
    """Insert one row unless a row with the same ``conflict_columns`` exists; True if inserted."""
    statement = (
        _insert(session, model)
        .values(dict(values))
        .on_conflict_do_nothing(index_elements=list(conflict_columns))
        # A row comes back only when one was inserted (rowcount is not reliable on every driver).
        .returning(*inspect(model).primary_key)
    )
    return session.execute(statement).first() is not None


def upsert(
    session: Session,
    model: type[DeclarativeBase],
    values: Mapping[str, Any],
    conflict_columns: Sequence[str],
) -> None:
    """Insert one row, or set the other columns of the row with the same ``conflict_columns``."""
    statement = _insert(session, model).values(dict(values))
    statement = statement.on_conflict_do_update(
        index_elements=list(conflict_columns),
        set_={name: statement.excluded[name] for name in values if name not in conflict_columns},
    )
    session.execute(statement)
