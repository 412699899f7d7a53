"""``GET /dashboard``: the adoption dashboard, server-rendered HTML (no script)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import HTMLResponse

from catalog_service.dashboard import view
from catalog_service.dashboard.render import render
from catalog_service.http.deps import DatabaseSession, ServicesDep

TITLE = "Platform adoption"

router = APIRouter(tags=["dashboard"])


def today() -> dt.date:
    """The UTC day the figures end on (tests override it)."""
    return dt.datetime.now(dt.UTC).date()


Today = Annotated[dt.date, Depends(today)]


@router.get("/dashboard", response_class=HTMLResponse, summary="The adoption dashboard")
def get_dashboard(
    services: ServicesDep,
    session: DatabaseSession,
    day: Today,
    period: Annotated[
        Literal["30d", "90d", "1y"], Query(description="The charts' range: 30d, 90d or 1y")
    ] = "90d",
) -> HTMLResponse:
    """Headline figures, charts of manifests, pull requests and actions, the current problems
    and the latest audit entries, as one HTML page."""
    current = services.served.get()
    catalog = current.catalog if current is not None else None
    dashboard = view.build(session, catalog, services.context, day, period)
    return HTMLResponse(render(dashboard, title=TITLE))
