"""Audit entries of the self-service actions: append-only (docs/architecture.md §6.4)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from catalog_service.db import storable
from catalog_service.db.audit_application import application_of
from catalog_service.db.models import AuditEntry
from catalog_service.db.paging import DEFAULT_LIMIT, Page, newest_first
from catalog_service.logs import current_request_id
from catalog_service.vocabulary import ACTION_OUTCOMES, ActionOutcome

Outcome = ActionOutcome
MAX_MESSAGE_CHARS = 2048
# A page stops early once its entries hold this much (inputs and message): follow nextCursor.
MAX_PAGE_BYTES = 1024 * 1024


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
    """Append one entry; its ``id`` is set on return (the session is flushed, not committed).

    Every field is made storable and bounded (``storable``): what is kept can always be served.
    """
    entry = AuditEntry(
        created_at=created_at or dt.datetime.now(dt.UTC),
        actor=storable.text(actor, 255),
        action=storable.text(action, 64),
        application=_storable_application(action, inputs),
        inputs=storable.inputs(inputs),
        dry_run=dry_run,
        outcome=outcome,
        message=storable.text(message, MAX_MESSAGE_CHARS),
        branch=storable.optional_text(branch, 255),
        pull_request_url=storable.optional_text(pull_request_url, 2048),
        duration_seconds=duration_seconds,
        request_id=current_request_id(),  # the request being served, if any
    )
    session.add(entry)
    session.flush()
    return entry


def get(session: Session, entry_id: int) -> AuditEntry | None:
    return session.get(AuditEntry, entry_id)


# Outcomes after which a once-only job does not try the same branch again (all but failed).
_DONE = tuple(outcome for outcome in ACTION_OUTCOMES if outcome != "failed")


def branches_done(session: Session, actor: str, branches: Sequence[str]) -> set[str]:
    """Which of ``branches`` ``actor`` has done: pushed with success, or refused (a refusal,
    such as another change on that branch, is not tried again); one query per 500."""
    done: set[str] = set()
    for start in range(0, len(branches), 500):
        chunk = list(branches[start : start + 500])
        query = select(AuditEntry.branch).where(
            AuditEntry.actor == actor,
            AuditEntry.outcome.in_(_DONE),
            AuditEntry.branch.in_(chunk),
        )
        done.update(branch for branch in session.scalars(query) if branch is not None)
    return done


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
        session,
        query,
        AuditEntry.created_at,
        AuditEntry.id,
        cursor=cursor,
        limit=limit,
        budget=(entry_bytes, MAX_PAGE_BYTES),
    )


def entry_bytes(entry: AuditEntry) -> int:
    """About what ``entry`` weighs in a page: its inputs and text (UTF-8 JSON)."""
    fields = (entry.actor, entry.message, entry.branch or "", entry.pull_request_url or "")
    inputs = json.dumps(entry.inputs, ensure_ascii=False).encode("utf-8", "replace")
    return len(inputs) + sum(len(field.encode("utf-8", "replace")) for field in fields) + 200


def count_by_action_outcome(session: Session) -> dict[tuple[str, str], int]:
    """``{(action, outcome): calls}``, for ``idp_actions_total``."""
    query = select(AuditEntry.action, AuditEntry.outcome, func.count()).group_by(
        AuditEntry.action, AuditEntry.outcome
    )
    return {(action, outcome): count for action, outcome, count in session.execute(query)}


def complete(
    session: Session,
    entry_id: int,
    *,
    outcome: Outcome,
    message: str,
    branch: str | None,
    pull_request_url: str | None,
    duration_seconds: float,
) -> bool:
    """Complete the entry an action wrote before its first push (docs/self-service.md); False
    when there is no such entry (removed by hand meanwhile)."""
    entry = session.get(AuditEntry, entry_id)
    if entry is None:
        return False
    entry.outcome = outcome
    entry.message = message
    entry.branch = branch
    entry.pull_request_url = pull_request_url
    entry.duration_seconds = duration_seconds
    return True


def _storable_application(action: str, inputs: Mapping[str, Any]) -> str | None:
    """The application a call concerns, as the column can hold it (the inputs are the caller's)."""
    application = application_of(action, inputs)
    return storable.text(application, 255) if application is not None else None
