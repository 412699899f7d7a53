"""The catalog: entities (JSON, YAML), problems, validate, refresh (docs/architecture.md §6.3)."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse

from catalog_service.domain.catalog import copy_warnings
from catalog_service.domain.parsing import MAX_FILE_BYTES
from catalog_service.domain.problems import Problem
from catalog_service.http.bodies import accepts_gzip, serve_encoded, stream
from catalog_service.http.deps import (
    CurrentSnapshot,
    ManifestChecker,
    ServicesDep,
    TokenRequired,
)
from catalog_service.http.schemas import (
    EntitiesResponse,
    ErrorResponse,
    HeldBackOut,
    ProblemOut,
    ProblemsResponse,
    RefreshResponse,
    ValidateResponse,
)
from catalog_service.http.validation import read_body

YAML_MEDIA_TYPE = "application/yaml"
ERROR: dict[str, Any] = {"model": ErrorResponse}
# How long a refresh request waits for one already running before it answers 409.
REFRESH_WAIT_SECONDS = 5.0

router = APIRouter(tags=["catalog"])


@router.get(
    "/api/v1/entities",
    summary="All entities, as JSON",
    response_model=None,
    responses={
        200: {
            "model": EntitiesResponse,
            "description": "With a strong ETag; gzip-compressed if Accept-Encoding allows",
        },
        304: {"description": "Not modified: If-None-Match holds the current ETag"},
        503: ERROR,
    },
)
async def entities(request: Request, current: CurrentSnapshot) -> Response:
    # The reads are async: on the event loop, they never wait for a thread another kind of
    # work holds (catalog_service/pools.py).
    return serve_encoded(request, current.json_form, "application/json")


@router.get(
    "/api/v1/entities.yaml",
    summary="All entities, as YAML",
    response_model=None,
    responses={
        200: {
            "content": {YAML_MEDIA_TYPE: {"schema": {"type": "string"}}},
            "description": "Multi-document YAML, one entity a document",
        },
        304: {"description": "Not modified: If-None-Match holds the current ETag"},
        503: ERROR,
    },
)
async def entities_yaml(request: Request, current: CurrentSnapshot) -> Response:
    return serve_encoded(request, current.yaml_form, YAML_MEDIA_TYPE)


# HEAD as well (a separate route: one route for both would list two operations with the same
# operationId in /openapi.json, which makes the document invalid).
for _path, _endpoint in (("/api/v1/entities", entities), ("/api/v1/entities.yaml", entities_yaml)):
    router.add_api_route(_path, _endpoint, methods=["HEAD"], include_in_schema=False)


@router.get(
    "/api/v1/problems",
    summary="The manifests that were rejected",
    response_model=ProblemsResponse,
)
async def problems(request: Request, services: ServicesDep) -> Response:
    ingestor = services.ingestor
    current = services.served.get()
    held = HeldBackOut.of(ingestor.held_back)
    if current is None:
        return JSONResponse(
            ProblemsResponse(
                revision=None, problems=[], heldBack=held, sourceError=ingestor.last_error
            ).model_dump(),
            headers={"Vary": "Accept-Encoding"},
        )
    # The list is rendered and compressed once per snapshot; only the ending is not.
    ending = {
        "heldBack": held.model_dump() if held else None,
        "sourceError": ingestor.last_error,
    }
    warnings = copy_warnings(current.catalog, services.clock())
    if warnings:  # time-dependent: not in the snapshot's rendered list, merged here
        found = sorted([*current.catalog.problems, *warnings], key=_place)
        body = {"revision": current.revision, "problems": [p.to_json() for p in found], **ending}
        return JSONResponse(body, headers={"Vary": "Accept-Encoding", "Cache-Control": "no-cache"})
    tail = b"," + json.dumps(ending, ensure_ascii=False, separators=(",", ":"))[1:].encode()
    head = current.problems_head
    headers = {"Vary": "Accept-Encoding", "Cache-Control": "no-cache"}
    if accepts_gzip(request.headers.get("accept-encoding")):
        headers["Content-Encoding"] = "gzip"
        return stream(request, [head.gzip, head.gzip_ending(tail)], "application/json", headers)
    return stream(request, [head.body, tail], "application/json", headers)


def _place(problem: Problem) -> tuple[str, int, int]:
    return problem.path, problem.line, problem.column


@router.post(
    "/api/v1/validate",
    summary="Check manifest YAML (the body) without storing it",
    openapi_extra={"requestBody": {"content": {YAML_MEDIA_TYPE: {"schema": {"type": "string"}}}}},
    responses={408: ERROR, 413: ERROR, 429: ERROR},
)
async def validate(
    request: Request,
    services: ServicesDep,
    check: ManifestChecker,
    path: Annotated[
        str | None,
        Query(
            max_length=1024,
            description="The file's path in the GitOps repository: problems name it, and"
            " an application name declared in another file is then a problem too",
        ),
    ] = None,
) -> ValidateResponse:
    data = await read_body(request, MAX_FILE_BYTES, services.validations.limits)
    current = services.ingestor.snapshot
    found = await services.validations.run(
        lambda: check(path, data, current.catalog if current else None)
    )
    return ValidateResponse(
        valid=all(p.severity != "error" for p in found),  # warnings alone are valid
        problems=[ProblemOut.of(p) for p in found],
    )


@router.post(
    "/api/v1/refresh",
    summary="Ingest now",
    dependencies=[TokenRequired],
    responses={401: ERROR, 409: ERROR, 502: ERROR},
)
async def refresh(services: ServicesDep, force: bool = False) -> RefreshResponse:
    outcome = await services.refresher.refresh(force, wait=REFRESH_WAIT_SECONDS)
    return RefreshResponse(
        status=outcome.status,
        revision=outcome.revision,
        entities=outcome.entities,
        problems=outcome.problems,
        changedFiles=outcome.changed_files,
        durationSeconds=round(outcome.duration_seconds, 4),
        reason=outcome.reason,
    )
