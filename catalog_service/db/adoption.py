"""The adoption history: per day, how many valid manifests of each type and system (issue 8).

A day's rows are replaced as a whole: a system that disappeared that day has no row (zero), and
walking a day again (after a force-push) gives the same rows as the first time.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from catalog_service.db.models import AdoptionDay


@dataclass(frozen=True)
class DayCount:
    day: dt.date
    type: str
    system: str
    count: int


def replace_day(session: Session, day: dt.date, counts: Mapping[tuple[str, str], int]) -> None:
    """Set the day's counts, ``{(type, system): manifests}``; pairs left out count zero."""
    session.execute(delete(AdoptionDay).where(AdoptionDay.day == day))
    rows = [
        {"day": day, "type": kind, "system": system, "count": count}
        for (kind, system), count in sorted(counts.items())
        if count > 0
    ]
    if rows:
        session.execute(insert(AdoptionDay), rows)


def delete_from(session: Session, day: dt.date) -> None:
    """Forget ``day`` and every later day (the history is walked again from there)."""
    session.execute(delete(AdoptionDay).where(AdoptionDay.day >= day))


def last_day(session: Session) -> dt.date | None:
    return session.scalar(select(func.max(AdoptionDay.day)))


def series(
    session: Session, *, start: dt.date | None = None, end: dt.date | None = None
) -> list[DayCount]:
    """Rows in day order (then type, system); ``start`` and ``end`` both inclusive."""
    query = select(AdoptionDay.day, AdoptionDay.type, AdoptionDay.system, AdoptionDay.count)
    if start is not None:
        query = query.where(AdoptionDay.day >= start)
    if end is not None:
        query = query.where(AdoptionDay.day <= end)
    query = query.order_by(AdoptionDay.day, AdoptionDay.type, AdoptionDay.system)
    return [
        DayCount(day, kind, system, count) for day, kind, system, count in session.execute(query)
    ]


def last_day_until(session: Session, day: dt.date) -> dt.date | None:
    """The last recorded day on or before ``day``: its counts still hold on ``day``."""
    return session.scalar(select(func.max(AdoptionDay.day)).where(AdoptionDay.day <= day))
