"""Merged manifest pull requests (docs/architecture.md §6.5): recorded once per repository and
number.

The webhook, the reconcile job and ``backfill-prs`` may all see the same pull request, at the
same time: the first record wins and the others change nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from catalog_service.db.insert import insert_ignoring_conflicts
from catalog_service.db.models import PullRequestRecord
from catalog_service.db.paging import DEFAULT_LIMIT, Page, newest_first


def record_if_absent(
    session: Session,
    *,
    repository: str,
    number: int,
    title: str,
    author: str,
    merged_at: dt.datetime,
    paths: Sequence[str],
    autonomous: bool,
    approved_by_platform: bool,
    merge_commit_sha: str | None = None,
    url: str | None = None,
    recorded_at: dt.datetime | None = None,
) -> bool:
    """Record the pull request unless it is recorded already; True if this call recorded it."""
    values = {
        "repository": repository,
        "number": number,
        "title": title,
        "author": author,
        "url": url,
        "merged_at": merged_at,
        "merge_commit_sha": merge_commit_sha,
        "paths": list(paths),
        "autonomous": autonomous,
        "approved_by_platform": approved_by_platform,
        "recorded_at": recorded_at or dt.datetime.now(dt.UTC),
    }
    return insert_ignoring_conflicts(session, PullRequestRecord, values, ["repository", "number"])


def get(session: Session, repository: str, number: int) -> PullRequestRecord | None:
    return session.scalar(
        select(PullRequestRecord).where(
            PullRequestRecord.repository == repository, PullRequestRecord.number == number
        )
    )


def recorded_numbers(session: Session, repository: str) -> set[int]:
    """The numbers recorded for ``repository``: what reconcile and backfill may skip."""
    query = select(PullRequestRecord.number).where(PullRequestRecord.repository == repository)
    return set(session.scalars(query))


def list_records(
    session: Session,
    *,
    repository: str | None = None,
    author: str | None = None,
    autonomous: bool | None = None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    cursor: str | None = None,
    limit: int = DEFAULT_LIMIT,
) -> Page[PullRequestRecord]:
    """Most recently merged first; ``since`` (inclusive) and ``until`` (exclusive) on merged_at."""
    query = select(PullRequestRecord)
    if repository is not None:
        query = query.where(PullRequestRecord.repository == repository)
    if author is not None:
        query = query.where(PullRequestRecord.author == author)
    if autonomous is not None:
        query = query.where(PullRequestRecord.autonomous == autonomous)
    if since is not None:
        query = query.where(PullRequestRecord.merged_at >= since)
    if until is not None:
        query = query.where(PullRequestRecord.merged_at < until)
    return newest_first(
        session,
        query,
        PullRequestRecord.merged_at,
        PullRequestRecord.id,
        cursor=cursor,
        limit=limit,
    )


def count_by_autonomous(session: Session) -> dict[bool, int]:
    """``{autonomous: pull requests}``, both keys present: ``idp_manifest_pull_requests_total``."""
    query = select(PullRequestRecord.autonomous, func.count()).group_by(
        PullRequestRecord.autonomous
    )
    counts = {False: 0, True: 0}
    counts.update({bool(autonomous): count for autonomous, count in session.execute(query)})
    return counts
