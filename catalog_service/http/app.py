"""The FastAPI application: DESIGN section 3."""

import asyncio
import contextlib
import hmac
import json
import logging
import time
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Query, Request, Response
from fastapi.responses import JSONResponse

from catalog_service import __version__
from catalog_service.domain.parsing import MAX_FILE_BYTES
from catalog_service.domain.review import check_text
from catalog_service.errors import AuthenticationError, CatalogError, NotReadyError
from catalog_service.http.bodies import ServedSnapshot, accepts_gzip, serve_encoded, stream
from catalog_service.http.docs import install_docs
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
from catalog_service.http.validation import RequestLimits, WorkGate, read_body
from catalog_service.ingest import Ingestor, IngestOutcome, Snapshot
from catalog_service.service import build_ingestor, entity_context
from catalog_service.settings import Settings

logger = logging.getLogger(__name__)

YAML_MEDIA_TYPE = "application/yaml"
ERROR: dict[str, Any] = {"model": ErrorResponse}


def create_app(
    settings: Settings,
    ingestor: Ingestor | None = None,
    *,
    poll: bool = True,
    limits: RequestLimits | None = None,
) -> FastAPI:
    """The service. With ``poll``, it ingests at start and then every ``source.pollSeconds``.

    An ingestor built here is closed at shutdown (its git processes killed); one passed in
    belongs to the caller."""
    owned = ingestor is None
    ingestor = ingestor or build_ingestor(settings)
    context = entity_context(settings)
    tokens = [token.get_secret_value().encode() for token in settings.auth.tokens]
    limits = limits or RequestLimits()
    served = ServedSnapshot(ingestor)
    validations = WorkGate(limits, "validate")

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        task = (
            asyncio.create_task(_poll(ingestor, served, settings.source.pollSeconds))
            if poll
            else None
        )
        yield
        if owned:
            ingestor.close()  # first: a poll blocked on git ends now, not at git's timeout
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        validations.close()

    app = FastAPI(
        title="IDP catalog service",
        version=__version__,
        description="Application manifests from a GitOps repository, as Backstage entities.",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
    )
    install_error_handlers(app)
    install_docs(app)

    def snapshot() -> Snapshot:
        current = served.get()
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
            200: {
                "model": EntitiesResponse,
                "description": "With a strong ETag; gzip-compressed if Accept-Encoding allows",
            },
            304: {"description": "Not modified: If-None-Match holds the current ETag"},
            503: ERROR,
        },
    )
    def entities(request: Request, current: Current) -> Response:
        return serve_encoded(request, current.json_form, "application/json")

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
        return serve_encoded(request, current.yaml_form, YAML_MEDIA_TYPE)

    # HEAD as well (a separate route: one route for both would list two operations with the same
    # operationId in /openapi.json, which makes the document invalid).
    for path, endpoint in (
        ("/api/v1/entities", entities),
        ("/api/v1/entities.yaml", entities_yaml),
    ):
        app.add_api_route(path, endpoint, methods=["HEAD"], include_in_schema=False)

    @app.get(
        "/api/v1/problems",
        tags=["catalog"],
        summary="The manifests that were rejected",
        response_model=ProblemsResponse,
    )
    def problems(request: Request) -> Response:
        current = served.get()
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
        tail = b"," + json.dumps(ending, ensure_ascii=False, separators=(",", ":"))[1:].encode()
        head = current.problems_head
        headers = {"Vary": "Accept-Encoding", "Cache-Control": "no-cache"}
        if accepts_gzip(request.headers.get("accept-encoding")):
            headers["Content-Encoding"] = "gzip"
            return stream(request, [head.gzip, head.gzip_ending(tail)], "application/json", headers)
        return stream(request, [head.body, tail], "application/json", headers)

    @app.post(
        "/api/v1/validate",
        tags=["catalog"],
        summary="Check manifest YAML (the body) without storing it",
        openapi_extra={
            "requestBody": {"content": {YAML_MEDIA_TYPE: {"schema": {"type": "string"}}}}
        },
        responses={408: ERROR, 413: ERROR, 429: ERROR},
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
        data = await read_body(request, MAX_FILE_BYTES, limits)
        current = ingestor.snapshot
        found = await validations.run(
            lambda: check_text(path, data, context, current.catalog if current else None)
        )
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
        outcome = await _ingest(ingestor, served, force, wait=REFRESH_WAIT_SECONDS)
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
    async def healthz() -> HealthResponse:  # on the event loop: it answers while it turns
        return HealthResponse(status="ok")

    @app.get(
        "/readyz",
        tags=["health"],
        summary="Readiness: a first ingest has succeeded",
        response_model=ReadinessResponse,
        responses={503: {"model": ReadinessResponse, "description": "No catalog yet"}},
    )
    def readyz() -> JSONResponse:
        current = served.get()  # ready once the bodies are rendered, not merely applied
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
    ingestor: Ingestor, served: ServedSnapshot, force: bool = False, wait: float | None = None
) -> IngestOutcome:
    outcome = await asyncio.to_thread(ingestor.refresh, force, wait)
    current = ingestor.snapshot
    if current is not None:
        # Rendered here, off the event loop; served (and ready) only once rendered.
        if not current.rendered:
            await asyncio.to_thread(current.warm)
        served.promote(current)
    return outcome


async def _poll(ingestor: Ingestor, served: ServedSnapshot, interval: float) -> None:
    while True:
        try:
            await _ingest(ingestor, served)
        except CatalogError:
            pass  # logged by the ingestor, shown in /readyz; the last good catalog stays
        except Exception:
            logger.exception("unexpected error while ingesting")
        await asyncio.sleep(interval)


__all__ = ["create_app"]
