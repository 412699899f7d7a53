"""The FastAPI application: DESIGN section 3."""

import asyncio
import contextlib
import hmac
import logging
import time
from collections.abc import AsyncIterator, Callable
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Query, Request, Response
from fastapi.responses import JSONResponse, StreamingResponse

from catalog_service import __version__
from catalog_service.domain.parsing import MAX_FILE_BYTES
from catalog_service.domain.review import check_text
from catalog_service.errors import (
    AuthenticationError,
    CatalogError,
    NotReadyError,
    PayloadTooLargeError,
)
from catalog_service.http.errors import install_error_handlers
from catalog_service.http.schemas import (
    EntitiesResponse,
    ErrorResponse,
    HealthResponse,
    HeldBackOut,
    ProblemOut,
    ProblemsResponse,
    ReadinessResponse,
    RefreshResponse,
    ValidateResponse,
)
from catalog_service.ingest import Ingestor, IngestOutcome, Snapshot
from catalog_service.service import build_ingestor, entity_context
from catalog_service.settings import Settings

logger = logging.getLogger(__name__)

YAML_MEDIA_TYPE = "application/yaml"
ERROR: dict[str, Any] = {"model": ErrorResponse}


def create_app(
    settings: Settings, ingestor: Ingestor | None = None, *, poll: bool = True
) -> FastAPI:
    """The service. With ``poll``, it ingests at start and then every ``source.pollSeconds``.

    An ingestor built here is closed at shutdown (its git processes killed); one passed in
    belongs to the caller."""
    owned = ingestor is None
    ingestor = ingestor or build_ingestor(settings)
    context = entity_context(settings)
    tokens = [token.get_secret_value().encode() for token in settings.auth.tokens]

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        task = asyncio.create_task(_poll(ingestor, settings.source.pollSeconds)) if poll else None
        yield
        if owned:
            ingestor.close()  # first: a poll blocked on git ends now, not at git's timeout
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    app = FastAPI(
        title="IDP catalog service",
        version=__version__,
        description="Application manifests from a GitOps repository, as Backstage entities.",
        lifespan=lifespan,
    )
    install_error_handlers(app)

    def snapshot() -> Snapshot:
        current = ingestor.snapshot
        if current is None:
            reason = ingestor.last_error or "the first ingest has not finished yet"
            raise NotReadyError(f"no catalog yet: {reason}")
        return current

    def require_token(request: Request) -> None:
        scheme, _, presented = request.headers.get("authorization", "").partition(" ")
        if not tokens:
            raise AuthenticationError("write endpoints are disabled: no auth.tokens are configured")
        if scheme.lower() != "bearer" or not presented:
            raise AuthenticationError("send Authorization: Bearer <token>")
        if not any(hmac.compare_digest(presented.encode(), token) for token in tokens):
            raise AuthenticationError("the bearer token is not one of the configured auth.tokens")

    Current = Annotated[Snapshot, Depends(snapshot)]  # noqa: N806

    @app.get(
        "/api/v1/entities",
        tags=["catalog"],
        summary="All entities, as JSON",
        response_model=None,
        responses={
            200: {"model": EntitiesResponse, "description": "With a strong ETag"},
            304: {"description": "Not modified: If-None-Match holds the current ETag"},
            503: ERROR,
        },
    )
    def entities(request: Request, current: Current) -> Response:
        return _conditional(request, current.etag, lambda: current.body, "application/json")

    @app.get(
        "/api/v1/entities.yaml",
        tags=["catalog"],
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
    def entities_yaml(request: Request, current: Current) -> Response:
        return _conditional(request, current.yaml_etag, lambda: current.yaml_body, YAML_MEDIA_TYPE)

    # HEAD as well (a separate route: one route for both would list two operations with the same
    # operationId in /openapi.json, which makes the document invalid).
    for path, endpoint in (
        ("/api/v1/entities", entities),
        ("/api/v1/entities.yaml", entities_yaml),
    ):
        app.add_api_route(path, endpoint, methods=["HEAD"], include_in_schema=False)

    @app.get("/api/v1/problems", tags=["catalog"], summary="The manifests that were rejected")
    def problems() -> ProblemsResponse:
        current = ingestor.snapshot
        return ProblemsResponse(
            revision=current.revision if current else None,
            problems=[ProblemOut.of(p) for p in current.catalog.problems] if current else [],
            heldBack=HeldBackOut.of(ingestor.held_back),
            sourceError=ingestor.last_error,
        )

    @app.post(
        "/api/v1/validate",
        tags=["catalog"],
        summary="Check manifest YAML (the body) without storing it",
        openapi_extra={
            "requestBody": {"content": {YAML_MEDIA_TYPE: {"schema": {"type": "string"}}}}
        },
    )
    async def validate(
        request: Request,
        path: Annotated[
            str | None,
            Query(
                max_length=1024,
                description="The file's path in the GitOps repository: problems name it, and"
                " an application name declared in another file is then a problem too",
            ),
        ] = None,
    ) -> ValidateResponse:
        data = await _read_body(request, MAX_FILE_BYTES)
        current = ingestor.snapshot
        found = check_text(path, data, context, current.catalog if current else None)
        return ValidateResponse(
            valid=all(p.severity != "error" for p in found),  # warnings alone are valid
            problems=[ProblemOut.of(p) for p in found],
        )

    @app.post(
        "/api/v1/refresh",
        tags=["catalog"],
        summary="Ingest now",
        dependencies=[Depends(require_token)],
        responses={401: ERROR, 409: ERROR, 502: ERROR},
    )
    async def refresh(force: bool = False) -> RefreshResponse:
        outcome = await _ingest(ingestor, force, wait=REFRESH_WAIT_SECONDS)
        return RefreshResponse(
            status=outcome.status,
            revision=outcome.revision,
            entities=outcome.entities,
            problems=outcome.problems,
            changedFiles=outcome.changed_files,
            durationSeconds=round(outcome.duration_seconds, 4),
            reason=outcome.reason,
        )

    @app.get("/healthz", tags=["health"], summary="Liveness")
    def healthz() -> HealthResponse:
        return HealthResponse(status="ok")

    @app.get(
        "/readyz",
        tags=["health"],
        summary="Readiness: a first ingest has succeeded",
        response_model=ReadinessResponse,
        responses={503: {"model": ReadinessResponse, "description": "No catalog yet"}},
    )
    def readyz() -> JSONResponse:
        current = ingestor.snapshot
        success = ingestor.last_success_at
        body = ReadinessResponse(
            ready=current is not None,
            revision=current.revision if current else None,
            entities=current.catalog.entity_count if current else 0,
            appliedAt=current.created_at if current else None,
            lastSuccessAt=success,
            secondsSinceLastSuccess=round(time.time() - success, 3) if success else None,
            lastError=ingestor.last_error,
            heldBack=HeldBackOut.of(ingestor.held_back),
        )
        return JSONResponse(body.model_dump(), status_code=200 if current is not None else 503)

    return app


# How long a refresh request waits for one already running before it answers 409.
REFRESH_WAIT_SECONDS = 5.0


async def _ingest(
    ingestor: Ingestor, force: bool = False, wait: float | None = None
) -> IngestOutcome:
    outcome = await asyncio.to_thread(ingestor.refresh, force, wait)
    current = ingestor.snapshot
    if outcome.status == "applied" and current is not None:
        # Render the JSON and YAML forms now rather than in the first reader's request.
        await asyncio.to_thread(current.warm)
    return outcome


async def _poll(ingestor: Ingestor, interval: float) -> None:
    while True:
        try:
            await _ingest(ingestor)
        except CatalogError:
            pass  # logged by the ingestor, shown in /readyz; the last good catalog stays
        except Exception:
            logger.exception("unexpected error while ingesting")
        await asyncio.sleep(interval)


SEND_CHUNK_BYTES = 256 * 1024


def _conditional(
    request: Request, etag: str, body: Callable[[], bytes], media_type: str
) -> Response:
    headers = {"ETag": etag, "Cache-Control": "no-cache"}
    if _matches(request.headers.get("if-none-match"), etag):
        return Response(status_code=304, headers=headers)
    content = body()
    headers["Content-Length"] = str(len(content))
    # Sent in slices of the one shared body: a large catalog handed to the transport whole is
    # copied into its buffer for every slow reader.
    view = memoryview(content)
    chunks = (view[i : i + SEND_CHUNK_BYTES] for i in range(0, len(content), SEND_CHUNK_BYTES))
    return StreamingResponse(chunks, media_type=media_type, headers=headers)


def _matches(if_none_match: str | None, etag: str) -> bool:
    if not if_none_match:
        return False
    candidates = [tag.strip().removeprefix("W/") for tag in if_none_match.split(",")]
    return "*" in candidates or etag in candidates


async def _read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLargeError(f"the body is over {limit:,} bytes, the limit for a manifest")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise PayloadTooLargeError(
                f"the body is over {limit:,} bytes, the limit for a manifest"
            )
        chunks.append(chunk)
    return b"".join(chunks)


__all__ = ["create_app"]
