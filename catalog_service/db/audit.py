"""Audit entries of the self-service actions: append-only (DESIGN section 4, issue 7)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any, Literal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from catalog_service.db.audit_application import application_of
from catalog_service.db.models import AuditEntry
from catalog_service.db.paging import DEFAULT_LIMIT, Page, newest_first

Outcome = Literal["succeeded", "failed", "rejected"]


def add(
    session: Session,
    *,
    actor: str,
    action: str,
    inputs: Mapping[str, Any],
    dry_run: bool,
    outcome: Outcome,
    duration_seconds: float,
    message: str = "",
    branch: str | None = None,
    pull_request_url: str | None = None,
    created_at: dt.datetime | None = None,
) -> AuditEntry:
    """Append one entry; its ``id`` is set on return (the session is flushed, not committed)."""
    entry = AuditEntry(
        created_at=created_at or dt.datetime.now(dt.UTC),
        actor=actor,
        action=action,
        application=application_of(action, inputs),
        inputs=dict(inputs),
        dry_run=dry_run,
        outcome=outcome,
        message=message,
        branch=branch,
        pull_request_url=pull_request_url,
        duration_seconds=duration_seconds,
    )
    session.add(entry)
    session.flush()
    return entry


def get(session: Session, entry_id: int) -> AuditEntry | None:
    return session.get(AuditEntry, entry_id)


def list_entries(
    session: Session,
    *,
    action: str | None = None,
    actor: str | None = None,
    application: str | None = None,
    outcome: Outcome | None = None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    cursor: str | None = None,
    limit: int = DEFAULT_LIMIT,
) -> Page[AuditEntry]:
    """Newest first; ``since`` is inclusive, ``until`` exclusive."""
    query = select(AuditEntry)
    if action is not None:
        query = query.where(AuditEntry.action == action)
    if actor is not None:
        query = query.where(AuditEntry.actor == actor)
    if application is not None:
        query = query.where(AuditEntry.application == application)
    if outcome is not None:
        query = query.where(AuditEntry.outcome == outcome)
    if since is not None:
        query = query.where(AuditEntry.created_at >= since)
    if until is not None:
        query = query.where(AuditEntry.created_at < until)
    return newest_first(
        session, query, AuditEntry.created_at, AuditEntry.id, cursor=cursor, limit=limit
    )


def count_by_action_outcome(session: Session) -> dict[tuple[str, str], int]:
    """``{(action, outcome): calls}``, for ``idp_actions_total``."""
    query = select(AuditEntry.action, AuditEntry.outcome, func.count()).group_by(
        AuditEntry.action, AuditEntry.outcome
    )
    return {(action, outcome): count for action, outcome, count in session.execute(query)}
