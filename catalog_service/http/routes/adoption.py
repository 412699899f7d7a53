"""``GET /api/v1/adoption``: manifests, manifest pull requests and actions over time.

From the service's database (``Services.database``).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query

from catalog_service.adoption.report import report
from catalog_service.adoption.schemas import AdoptionResponse, Bucket
from catalog_service.http.deps import DatabaseSession
from catalog_service.http.schemas import ErrorResponse

DEFAULT_DAYS = 90

router = APIRouter()


@router.get(
    "/api/v1/adoption",
    response_model=AdoptionResponse,
    response_model_by_alias=True,
    responses={400: {"model": ErrorResponse}, 422: {"model": ErrorResponse}},
    summary="Adoption over time",
)
def get_adoption(
    session: DatabaseSession,
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
    # Never before the calendar's first day, even for a `to` in year 1.
    start = from_ or dt.date.fromordinal(max(1, end.toordinal() - (DEFAULT_DAYS - 1)))
    return report(session, start, end, bucket)
