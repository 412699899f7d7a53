"""The figures of ``GET /api/v1/adoption``, computed from the database.

Buckets: a day; an ISO week, starting on Monday; a calendar month, starting on the 1st. The first
and last buckets are those holding ``from`` and ``to``, and only the days from ``from`` to ``to``
(both included, UTC) are counted in them. A source with no data yet gives zeros and empty lists,
never figures made up.
"""

from __future__ import annotations

import datetime as dt
import statistics
from bisect import bisect_right
from collections import Counter, defaultdict

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog_service.adoption.schemas import (
    ActionsBucket,
    AdoptionResponse,
    Bucket,
    LeadTime,
    ManifestsBucket,
    Newcomer,
    PullRequestsBucket,
)
from catalog_service.db import adoption
from catalog_service.db.models import AuditEntry, PullRequestRecord
from catalog_service.errors import InvalidRequestError
from catalog_service.vocabulary import CREATE_APPLICATION

# The longest range per bucket size, in days: about 3 years of days, 10 years otherwise.
MAX_RANGE_DAYS: dict[str, int] = {"day": 3 * 366, "week": 10 * 366, "month": 10 * 366}
NEWCOMERS = 10
CREATE_ACTION = CREATE_APPLICATION
# The last day a range may end on: a bucket past it (the day after, the next week or month)
# would fall beyond the calendar's last year, 9999.
LAST_DAY = dt.date(9998, 12, 31)


def validate_range(start: dt.date, end: dt.date, bucket: Bucket) -> None:
    if end > LAST_DAY:
        raise InvalidRequestError(f"to ({end}) is too far ahead: at most {LAST_DAY}")
    if start > end:
        raise InvalidRequestError(f"from ({start}) is after to ({end})")
    days = (end - start).days + 1
    if days > MAX_RANGE_DAYS[bucket]:
        raise InvalidRequestError(
            f"from {start} to {end} is {days} days; at most {MAX_RANGE_DAYS[bucket]} days"
            f" with bucket={bucket} (a larger bucket allows a longer range)"
        )


def bucket_start(day: dt.date, bucket: Bucket) -> dt.date:
    if bucket == "week":
        return day - dt.timedelta(days=day.weekday())
    if bucket == "month":
        return day.replace(day=1)
    return day


def buckets(start: dt.date, end: dt.date, bucket: Bucket) -> list[tuple[dt.date, dt.date]]:
    """(bucket start, last day counted in it) from ``start`` to ``end``."""
    spans = []
    first = bucket_start(start, bucket)
    while first <= end:
        if bucket == "day":
            following = first + dt.timedelta(days=1)
        elif bucket == "week":
            following = first + dt.timedelta(days=7)
        else:
            following = (first + dt.timedelta(days=32)).replace(day=1)
        spans.append((first, min(following - dt.timedelta(days=1), end)))
        first = following
    return spans


def report(session: Session, start: dt.date, end: dt.date, bucket: Bucket) -> AdoptionResponse:
    validate_range(start, end, bucket)
    spans = buckets(start, end, bucket)
    since = _midnight(start)
    until = _midnight(end + dt.timedelta(days=1))
    return AdoptionResponse(
        from_=start,
        to=end,
        bucket=bucket,
        manifests=_manifests(session, spans, start, end),
        pullRequests=_pull_requests(session, spans, bucket, since, until),
        actions=_actions(session, spans, bucket, since, until),
        createToMerge=_create_to_merge(session, since, until),
        newcomers=_newcomers(session, since, until),
    )


def _midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), dt.UTC)


def _manifests(
    session: Session, spans: list[tuple[dt.date, dt.date]], start: dt.date, end: dt.date
) -> list[ManifestsBucket]:
    # A day without a row carries the last recorded day before it.
    carried = adoption.last_day_until(session, start)
    by_day: dict[dt.date, list[tuple[str, str, int]]] = defaultdict(list)
    for row in adoption.series(session, start=carried or start, end=end):
        by_day[row.day].append((row.type, row.system, row.count))
    days = sorted(by_day)
    answer = []
    for first, last in spans:
        index = bisect_right(days, last)
        rows = by_day[days[index - 1]] if index else []
        by_type: Counter[str] = Counter()
        by_system: Counter[str] = Counter()
        for kind, system, count in rows:
            by_type[kind] += count
            by_system[system] += count
        answer.append(
            ManifestsBucket(
                start=first,
                end=last,
                total=sum(by_type.values()),
                byType=dict(sorted(by_type.items())),
                bySystem=dict(sorted(by_system.items())),
            )
        )
    return answer


def _pull_requests(
    session: Session,
    spans: list[tuple[dt.date, dt.date]],
    bucket: Bucket,
    since: dt.datetime,
    until: dt.datetime,
) -> list[PullRequestsBucket]:
    query = select(
        PullRequestRecord.merged_at,
        PullRequestRecord.autonomous,
        PullRequestRecord.approved_by_platform,
    ).where(PullRequestRecord.merged_at >= since, PullRequestRecord.merged_at < until)
    counts: dict[dt.date, Counter[str]] = defaultdict(Counter)
    for merged_at, autonomous, approved in session.execute(query):
        tally = counts[bucket_start(merged_at.date(), bucket)]
        tally["autonomous" if autonomous else "platform"] += 1
        tally["unapproved"] += bool(autonomous and not approved)
    return [
        PullRequestsBucket(
            start=first,
            autonomous=counts[first]["autonomous"],
            platformTeam=counts[first]["platform"],
            autonomousWithoutPlatformApproval=counts[first]["unapproved"],
        )
        for first, _ in spans
    ]


def _actions(
    session: Session,
    spans: list[tuple[dt.date, dt.date]],
    bucket: Bucket,
    since: dt.datetime,
    until: dt.datetime,
) -> list[ActionsBucket]:
    query = select(AuditEntry.created_at, AuditEntry.action, AuditEntry.outcome).where(
        AuditEntry.created_at >= since, AuditEntry.created_at < until
    )
    counts: dict[dt.date, dict[str, Counter[str]]] = defaultdict(lambda: defaultdict(Counter))
    for created_at, action, outcome in session.execute(query):
        counts[bucket_start(created_at.date(), bucket)][action][outcome] += 1
    return [
        ActionsBucket(
            start=first,
            counts={
                action: dict(sorted(outcomes.items()))
                for action, outcomes in sorted(counts[first].items())
            },
        )
        for first, _ in spans
    ]


def _create_to_merge(session: Session, since: dt.datetime, until: dt.datetime) -> LeadTime:
    """Pull requests merged in the range that a create-application call opened; a call retried
    answers the same pull request, so the first call counts."""
    query = (
        select(AuditEntry.pull_request_url, AuditEntry.created_at, PullRequestRecord.merged_at)
        .join(PullRequestRecord, PullRequestRecord.url == AuditEntry.pull_request_url)
        .where(
            AuditEntry.action == CREATE_ACTION,
            AuditEntry.outcome == "succeeded",
            AuditEntry.dry_run.is_(False),
            PullRequestRecord.merged_at >= since,
            PullRequestRecord.merged_at < until,
        )
    )
    first_call: dict[str | None, tuple[dt.datetime, dt.datetime]] = {}
    for url, created_at, merged_at in session.execute(query):
        known = first_call.get(url)
        if known is None or created_at < known[0]:
            first_call[url] = (created_at, merged_at)
    seconds = [
        (merged - created).total_seconds()
        for created, merged in first_call.values()
        if merged >= created
    ]
    median = statistics.median(seconds) if seconds else None
    return LeadTime(medianSeconds=median, pairs=len(seconds))


def _newcomers(session: Session, since: dt.datetime, until: dt.datetime) -> list[Newcomer]:
    """Authors whose first recorded manifest pull request was merged in the range."""
    query = (
        select(
            PullRequestRecord.author,
            PullRequestRecord.number,
            PullRequestRecord.title,
            PullRequestRecord.merged_at,
        )
        .where(PullRequestRecord.merged_at < until)
        .order_by(PullRequestRecord.merged_at, PullRequestRecord.number)
    )
    first: dict[str, Newcomer] = {}
    for author, number, title, merged_at in session.execute(query):
        if author not in first:
            first[author] = Newcomer(login=author, number=number, title=title, mergedAt=merged_at)
    recent = [newcomer for newcomer in first.values() if newcomer.mergedAt >= since]
    recent.sort(key=lambda newcomer: (newcomer.mergedAt, newcomer.number), reverse=True)
    return recent[:NEWCOMERS]
