"""``GET /api/v1/adoption``: manifests, manifest pull requests and actions over time.

Expects on ``app.state`` (set where the app is assembled):

- ``database``: the service's :class:`catalog_service.db.Database`.

Without it the endpoint answers 503 ``database_unavailable``.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from catalog_service.adoption.report import report
from catalog_service.adoption.schemas import AdoptionResponse, Bucket
from catalog_service.db import Database
from catalog_service.errors import DatabaseError
from catalog_service.http.schemas import ErrorResponse

DEFAULT_DAYS = 90

router = APIRouter()


def get_database(request: Request) -> Database:
    database = getattr(request.app.state, "database", None)
    if not isinstance(database, Database):
        raise DatabaseError("no database is set up for the adoption figures")
    return database


DatabaseDep = Annotated[Database, Depends(get_database)]


@router.get(
    "/api/v1/adoption",
    response_model=AdoptionResponse,
    response_model_by_alias=True,
    responses={400: {"model": ErrorResponse}, 422: {"model": ErrorResponse}},
    summary="Adoption over time",
)
def get_adoption(
    database: DatabaseDep,
    from_: Annotated[
        dt.date | None,
        Query(alias="from", description=f"First day (UTC); default: {DEFAULT_DAYS} days ago"),
    ] = None,
    to: Annotated[dt.date | None, Query(description="Last day (UTC); default: today")] = None,
    bucket: Annotated[Bucket, Query(description="day, week (from Monday) or month")] = "day",
) -> AdoptionResponse:
    """Manifests at each bucket's end; merged manifest pull requests, autonomous or by the
    platform team; actions by outcome; the create-to-merge median; the latest newcomers."""
    end = to or dt.datetime.now(dt.UTC).date()
    start = from_ or end - dt.timedelta(days=DEFAULT_DAYS - 1)
    with database.session() as session:
        return report(session, start, end, bucket)
