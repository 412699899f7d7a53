"""``GET /api/v1/audit``: the audit log of the self-service actions, newest first (read-only)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from catalog_service.db import audit, storable
from catalog_service.db.audit import Outcome
from catalog_service.db.models import AuditEntry
from catalog_service.db.paging import DEFAULT_LIMIT, MAX_LIMIT
from catalog_service.http.deps import DatabaseSession
from catalog_service.http.query import QueryText, QueryTime
from catalog_service.http.schemas import ErrorResponse

router = APIRouter()


class AuditEntryOut(BaseModel):
    id: int
    time: dt.datetime
    actor: str = Field(description="requestedBy")
    action: str
    inputs: dict[str, Any] = Field(description="The request, values under secret-like keys ***")
    dryRun: bool
    outcome: Outcome
    message: str
    branch: str | None
    pullRequestUrl: str | None
    durationSeconds: float
    requestId: str | None = Field(
        description="The X-Request-Id of the call (the caller's, or the one the service made):"
        " the same id is in the service's log lines of that request"
    )


class AuditPage(BaseModel):
    items: list[AuditEntryOut]
    nextCursor: str | None = Field(description="Pass as `cursor` for the next page; null: last")


@router.get(
    "/api/v1/audit",
    response_model=AuditPage,
    responses={400: {"model": ErrorResponse}, 422: {"model": ErrorResponse}},
    summary="The audit log of the self-service actions",
)
def get_audit(
    session: DatabaseSession,
    action: Annotated[
        QueryText | None, Query(description="create-application, promote-image, set-version")
    ] = None,
    actor: Annotated[QueryText | None, Query(description="requestedBy, exactly")] = None,
    application: Annotated[
        QueryText | None,
        Query(description="The application the call concerns, exactly (its `name` when created)"),
    ] = None,
    outcome: Annotated[Outcome | None, Query()] = None,
    since: Annotated[QueryTime | None, Query(description="Inclusive (ISO 8601)")] = None,
    until: Annotated[QueryTime | None, Query(description="Exclusive (ISO 8601)")] = None,
    cursor: Annotated[str | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
) -> AuditPage:
    """Newest first; every call of an action, also refused ones and dry runs."""
    page = audit.list_entries(
        session,
        action=action,
        actor=actor,
        application=application,
        outcome=outcome,
        since=since,
        until=until,
        cursor=cursor,
        limit=limit,
    )
    return AuditPage(items=[_out(entry) for entry in page.items], nextCursor=page.next_cursor)


def _out(entry: AuditEntry) -> AuditEntryOut:
    # Rows are made storable on the way in; a row written before that was is made so here.
    return AuditEntryOut(
        id=entry.id,
        time=entry.created_at,
        actor=storable.text(entry.actor, 255),
        action=storable.text(entry.action, 64),
        inputs=storable.inputs(entry.inputs),
        dryRun=entry.dry_run,
        outcome=entry.outcome,
        message=storable.text(entry.message, audit.MAX_MESSAGE_CHARS),
        branch=storable.optional_text(entry.branch, 255),
        pullRequestUrl=storable.optional_text(entry.pull_request_url, 2048),
        durationSeconds=entry.duration_seconds,
        requestId=storable.optional_text(entry.request_id, 128),
    )
