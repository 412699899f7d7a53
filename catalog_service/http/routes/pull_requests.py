"""``GET /api/v1/pull-requests``: the recorded merged manifest pull requests, newest first."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from catalog_service.db import pull_requests
from catalog_service.db.models import PullRequestRecord
from catalog_service.db.paging import DEFAULT_LIMIT, MAX_LIMIT
from catalog_service.http.deps import DatabaseSession
from catalog_service.http.query import QueryText, QueryTime
from catalog_service.http.schemas import ErrorResponse

router = APIRouter(tags=["pull requests"])


class PullRequestOut(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)

    repository: str
    number: int
    title: str
    author: str
    merged_at: dt.datetime
    merge_commit_sha: str | None
    url: str | None
    paths: list[str]
    autonomous: bool
    approved_by_platform: bool

    @classmethod
    def of(cls, record: PullRequestRecord) -> PullRequestOut:
        return cls(
            repository=record.repository,
            number=record.number,
            title=record.title,
            author=record.author,
            merged_at=record.merged_at,
            merge_commit_sha=record.merge_commit_sha,
            url=record.url,
            paths=list(record.paths),
            autonomous=record.autonomous,
            approved_by_platform=record.approved_by_platform,
        )


class PullRequestsResponse(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)

    items: list[PullRequestOut]
    next_cursor: str | None = Field(description="pass as `cursor` for the next page; null: last")


@router.get(
    "/api/v1/pull-requests",
    response_model=PullRequestsResponse,
    response_model_by_alias=True,
    responses={400: {"model": ErrorResponse}, 422: {"model": ErrorResponse}},
    summary="Merged manifest pull requests",
)
def list_pull_requests(
    session: DatabaseSession,
    since: Annotated[QueryTime | None, Query(description="merged at or after (UTC)")] = None,
    until: Annotated[QueryTime | None, Query(description="merged before (UTC)")] = None,
    author: Annotated[QueryText | None, Query(description="GitHub login")] = None,
    autonomous: Annotated[bool | None, Query()] = None,
    cursor: Annotated[str | None, Query(description="nextCursor of the previous page")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
) -> PullRequestsResponse:
    """Most recently merged first; cursor paging (a page already served never shifts)."""
    page = pull_requests.list_records(
        session,
        author=author,
        autonomous=autonomous,
        since=since,
        until=until,
        cursor=cursor,
        limit=limit,
    )
    return PullRequestsResponse(
        items=[PullRequestOut.of(record) for record in page.items], next_cursor=page.next_cursor
    )
