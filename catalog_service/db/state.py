"""Small remembered state (a key and a text value), such as the last commit a walk reached."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete as sql_delete
from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog_service.db.insert import upsert
from catalog_service.db.models import StateEntry


def get(session: Session, key: str) -> str | None:
    return session.scalar(select(StateEntry.value).where(StateEntry.key == key))


def put(session: Session, key: str, value: str) -> None:
    """Set ``key`` to ``value``, whether it was set before or not (two sessions at once too)."""
    upsert(
        session,
        StateEntry,
        {"key": key, "value": value, "updated_at": dt.datetime.now(dt.UTC)},
        ["key"],
    )


def delete(session: Session, key: str) -> None:
    session.execute(sql_delete(StateEntry).where(StateEntry.key == key))
