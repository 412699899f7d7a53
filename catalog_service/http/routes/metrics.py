"""``GET /metrics``: the service's Prometheus metrics (DESIGN section 5).

Wiring (done where the app is built): ``app.state.metrics`` holds the app's own
:class:`~catalog_service.metrics.ServiceMetrics`, e.g.
``ServiceMetrics.for_ingest(ingestor, database)``, and the app calls its
``observe_ingest(outcome.duration_seconds)`` after each completed refresh.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response

from catalog_service.errors import ConfigurationError
from catalog_service.metrics import ServiceMetrics

router = APIRouter()

STATE_ATTRIBUTE = "metrics"


def service_metrics(request: Request) -> ServiceMetrics:
    """The app's metrics, from ``app.state.metrics``."""
    metrics = getattr(request.app.state, STATE_ATTRIBUTE, None)
    if not isinstance(metrics, ServiceMetrics):
        raise ConfigurationError(
            "the app has no metrics: app.state.metrics must hold its ServiceMetrics"
        )
    return metrics


# A plain def: FastAPI runs it in a worker thread, so a database read never blocks the loop.
@router.get(
    "/metrics",
    response_class=Response,
    responses={200: {"content": {"text/plain": {}}, "description": "Prometheus' text format"}},
    tags=["health"],
    summary="Prometheus metrics",
)
def metrics(
    request: Request, current: Annotated[ServiceMetrics, Depends(service_metrics)]
) -> Response:
    """Every metric of the service, in Prometheus' text format (OpenMetrics if asked for)."""
    body, content_type = current.exposition(request.headers.get("accept"))
    return Response(body, media_type=content_type)
