"""Every error answered over HTTP is ``{"error": {"code": ..., "message": ...}}``.

This is the one place that maps the exception tree (``catalog_service.errors``) to status codes.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from catalog_service.errors import (
    ArgoCDApplicationMissingError,
    ArgoCDError,
    ArgoCDNotConfiguredError,
    ArgoCDUnavailableError,
    AuthenticationError,
    BranchMovedError,
    BusyError,
    CatalogError,
    ConfigurationError,
    ConflictError,
    CopyIntoProtectedError,
    DatabaseError,
    ForbiddenError,
    GitHubError,
    GitHubNotFoundError,
    GitHubPermissionError,
    GitHubRateLimitError,
    GitHubUnavailableError,
    GitWriteError,
    IdentityUnavailableError,
    IngestError,
    InvalidRequestError,
    ManifestEditError,
    ManifestInvalidError,
    NoDeploymentError,
    NotADatabaseError,
    NotFoundError,
    NotReadyError,
    PayloadTooLargeError,
    RefreshInProgressError,
    RequestError,
    RequestTimeoutError,
    SourceError,
)

logger = logging.getLogger(__name__)

# Most specific first; the first class an error is an instance of decides.
STATUS_CODES: tuple[tuple[type[CatalogError], int], ...] = (
    (AuthenticationError, 401),
    (CopyIntoProtectedError, 403),
    (ForbiddenError, 403),
    (PayloadTooLargeError, 413),
    (RequestTimeoutError, 408),
    (BusyError, 429),
    (NotADatabaseError, 400),
    (InvalidRequestError, 400),
    (NotFoundError, 404),
    (ArgoCDApplicationMissingError, 409),
    (NoDeploymentError, 409),
    (ConflictError, 409),
    (ManifestEditError, 422),
    (ManifestInvalidError, 422),
    (RequestError, 400),
    (RefreshInProgressError, 409),
    (IngestError, 500),  # a bug, not the caller's doing; the last good catalog stays
    (NotReadyError, 503),
    (DatabaseError, 503),
    (IdentityUnavailableError, 503),
    (SourceError, 502),
    (BranchMovedError, 502),  # the action looks again first; answered only if it persists
    (GitWriteError, 502),
    (GitHubPermissionError, 502),
    (GitHubNotFoundError, 502),
    (GitHubRateLimitError, 503),
    (GitHubUnavailableError, 503),
    (GitHubError, 502),
    (ArgoCDUnavailableError, 503),
    (ArgoCDNotConfiguredError, 503),
    (ArgoCDError, 502),
    (ConfigurationError, 500),
    (CatalogError, 500),
)


def error_body(code: str, message: str) -> dict[str, dict[str, str]]:
    return {"error": {"code": code, "message": message}}


def status_for(error: CatalogError) -> int:
    return next(status for kind, status in STATUS_CODES if isinstance(error, kind))


def validation_message(error: RequestValidationError) -> str:
    """A 422's message: ``loc: msg`` for each problem the schema found."""
    return "; ".join(
        f"{'.'.join(str(part) for part in detail['loc'])}: {detail['msg']}"
        for detail in error.errors()
    )


def _headers_for(error: CatalogError) -> dict[str, str] | None:
    if isinstance(error, AuthenticationError):
        return {"WWW-Authenticate": "Bearer"}
    if isinstance(error, BusyError):
        return {"Retry-After": str(error.retry_after_seconds)}
    if isinstance(error, RequestTimeoutError):
        return {"Connection": "close"}  # the rest of the body is not read
    return None


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(CatalogError)
    async def catalog_error(request: Request, error: CatalogError) -> JSONResponse:
        headers = _headers_for(error)
        return JSONResponse(
            error_body(error.code, error.message), status_code=status_for(error), headers=headers
        )

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, error: RequestValidationError) -> JSONResponse:
        return JSONResponse(error_body("invalid_request", validation_message(error)), 422)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: StarletteHTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed"}.get(error.status_code, "http_error")
        return JSONResponse(
            error_body(code, str(error.detail)),
            status_code=error.status_code,
            headers=error.headers,
        )

    @app.exception_handler(Exception)
    async def unexpected(request: Request, error: Exception) -> JSONResponse:
        logger.exception("unexpected error on %s %s", request.method, request.url.path)
        return JSONResponse(
            error_body("internal_error", "unexpected error; the service log has the details"),
            status_code=500,
        )
