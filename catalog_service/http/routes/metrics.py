"""``GET /metrics``: the service's Prometheus metrics (docs/architecture.md §6.5).

The service's own :class:`~catalog_service.metrics.ServiceMetrics` (``Services.metrics``); the
refresher calls its ``observe_ingest`` after each completed ingest.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from catalog_service.http.deps import ServicesDep

router = APIRouter()


# A plain def: FastAPI runs it in a worker thread, so a database read never blocks the loop.
@router.get(
    "/metrics",
    response_class=Response,
    responses={200: {"content": {"text/plain": {}}, "description": "Prometheus' text format"}},
    tags=["health"],
    summary="Prometheus metrics",
)
def metrics(request: Request, services: ServicesDep) -> Response:
    """Every metric of the service, in Prometheus' text format (OpenMetrics if asked for)."""
    body, content_type = services.metrics.exposition(request.headers.get("accept"))
    return Response(body, media_type=content_type)
