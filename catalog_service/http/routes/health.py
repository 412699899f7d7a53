"""Liveness and readiness."""

from __future__ import annotations

import time

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from catalog_service.http.deps import ServicesDep
from catalog_service.http.schemas import (
    DatabaseReadiness,
    HealthResponse,
    HeldBackOut,
    ReadinessResponse,
)

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="Liveness")
async def healthz() -> HealthResponse:  # on the event loop: it answers while it turns
    return HealthResponse(status="ok")


@router.get(
    "/readyz",
    summary="Readiness: a first ingest has succeeded",
    response_model=ReadinessResponse,
    responses={503: {"model": ReadinessResponse, "description": "No catalog yet"}},
)
async def readyz(services: ServicesDep) -> JSONResponse:  # never waits for a thread
    ingestor = services.ingestor
    current = services.served.get()  # ready once the bodies are rendered, not merely applied
    success = ingestor.last_success_at
    health = services.database.health
    body = ReadinessResponse(
        ready=current is not None,
        revision=current.revision if current else None,
        entities=current.catalog.entity_count if current else 0,
        appliedAt=current.created_at if current else None,
        lastSuccessAt=success,
        secondsSinceLastSuccess=round(time.time() - success, 3) if success else None,
        lastError=ingestor.last_error,
        heldBack=HeldBackOut.of(ingestor.held_back),
        database=DatabaseReadiness(
            migrated=health.migrated, error=health.error, failingSince=health.failing_since
        ),
    )
    return JSONResponse(body.model_dump(), status_code=200 if current is not None else 503)
