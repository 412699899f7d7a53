"""The dashboard's reads: aggregated in the database, so that a page over a year of history, a
10,000-manifest catalog and thousands of pull requests and calls reads a few thousand rows."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from catalog_service.db.models import AdoptionDay, AuditEntry, PullRequestRecord


def recorded_days(session: Session, start: dt.date, end: dt.date) -> list[dt.date]:
    """The days of the history from ``start`` to ``end`` (inclusive), in order."""
    query = (
        select(AdoptionDay.day)
        .where(AdoptionDay.day >= start, AdoptionDay.day <= end)
        .distinct()
        .order_by(AdoptionDay.day)
    )
    return list(session.scalars(query))


def manifests_by_type(session: Session, days: Sequence[dt.date]) -> dict[dt.date, dict[str, int]]:
    """``{day: {type: valid manifests}}`` for each of ``days`` that has rows."""
    if not days:
        return {}
    query = (
        select(AdoptionDay.day, AdoptionDay.type, func.sum(AdoptionDay.count))
        .where(AdoptionDay.day.in_(sorted(set(days))))
        .group_by(AdoptionDay.day, AdoptionDay.type)
    )
    answer: dict[dt.date, dict[str, int]] = defaultdict(dict)
    for day, kind, count in session.execute(query):
        answer[day][kind] = int(count)
    return dict(answer)


def merged_pull_requests(
    session: Session, since: dt.datetime, until: dt.datetime
) -> list[tuple[dt.datetime, bool]]:
    """(merged at, autonomous) of the manifest pull requests merged in ``[since, until)``."""
    query = select(PullRequestRecord.merged_at, PullRequestRecord.autonomous).where(
        PullRequestRecord.merged_at >= since, PullRequestRecord.merged_at < until
    )
    return [(merged_at, autonomous) for merged_at, autonomous in session.execute(query)]


def action_calls(
    session: Session, since: dt.datetime, until: dt.datetime
) -> list[tuple[dt.datetime, str]]:
    """(called at, outcome) of the action calls in ``[since, until)``."""
    query = select(AuditEntry.created_at, AuditEntry.outcome).where(
        AuditEntry.created_at >= since, AuditEntry.created_at < until
    )
    return [(created_at, outcome) for created_at, outcome in session.execute(query)]
