"""What the routes share, as ``Annotated`` dependencies: the service's parts, the snapshot being
served, the bearer token check, a database session.

Everything comes from ``app.state.services`` (a :class:`~catalog_service.service.Services`), set
where the app is assembled; tests swap parts through ``app.dependency_overrides``.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable, Iterator, Sequence
from typing import Annotated

from fastapi import Depends, Request
from pydantic import SecretStr
from sqlalchemy.orm import Session

from catalog_service.domain.catalog import Catalog
from catalog_service.domain.problems import Problem
from catalog_service.domain.review import check_text
from catalog_service.errors import AuthenticationError, ForbiddenError, NotReadyError
from catalog_service.ingest.ingestor import Snapshot
from catalog_service.service import Services


def services_of(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


# The dependencies the reads and health checks use are async: a sync one would wait for a thread
# of the shared pool, which other work may be holding.
async def get_services(request: Request) -> Services:
    return services_of(request)


ServicesDep = Annotated[Services, Depends(get_services)]


async def current_snapshot(services: ServicesDep) -> Snapshot:
    """The snapshot being served; 503 before the first one is ready."""
    current = services.served.get()
    if current is None:
        reason = services.ingestor.last_error or "the first ingest has not finished yet"
        raise NotReadyError(f"no catalog yet: {reason}")
    return current


CurrentSnapshot = Annotated[Snapshot, Depends(current_snapshot)]


def require_token(request: Request, services: ServicesDep) -> None:
    """``Authorization: Bearer <token>`` with one of ``auth.tokens`` or ``auth.trustedTokens``
    (a token of ``auth.ciTokens`` is refused with 403: it may call set-version only)."""
    auth = services.settings.auth
    _require_presented(request, bool(auth.all_tokens()))
    if _matches(request, auth.all_tokens()):
        return
    if _matches(request, auth.ciTokens):
        raise ForbiddenError("this token is one of auth.ciTokens: it may call set-version only")
    raise AuthenticationError("the bearer token is not one of the configured auth.tokens")


def require_ci_token(request: Request, services: ServicesDep) -> None:
    """``Authorization: Bearer <token>`` with one of ``auth.tokens``, ``auth.trustedTokens`` or
    ``auth.ciTokens``."""
    auth = services.settings.auth
    tokens = [*auth.all_tokens(), *auth.ciTokens]
    _require_presented(request, bool(tokens))
    if not _matches(request, tokens):
        raise AuthenticationError(
            "the bearer token is not one of the configured auth.tokens or auth.ciTokens"
        )


def _require_presented(request: Request, configured: bool) -> None:
    if not configured:
        raise AuthenticationError("write endpoints are disabled: no auth.tokens are configured")
    if _presented(request) is None:
        raise AuthenticationError("send Authorization: Bearer <token>")


def presents_trusted_token(request: Request, services: Services) -> bool:
    """Whether the bearer token is one of ``auth.trustedTokens`` (automation vouched for)."""
    return _matches(request, services.settings.auth.trustedTokens)


def _presented(request: Request) -> bytes | None:
    scheme, _, presented = request.headers.get("authorization", "").partition(" ")
    return presented.encode() if scheme.lower() == "bearer" and presented else None


def _matches(request: Request, tokens: Sequence[SecretStr]) -> bool:
    presented = _presented(request)
    if presented is None:
        return False
    # Every token is compared (no early exit): the time taken says nothing about which matched.
    found = [hmac.compare_digest(presented, t.get_secret_value().encode()) for t in tokens]
    return any(found)


TokenRequired = Depends(require_token)
CiTokenRequired = Depends(require_ci_token)


def database_session(services: ServicesDep) -> Iterator[Session]:
    """One transaction per request, committed when the route returns."""
    with services.database.session() as session:
        yield session


DatabaseSession = Annotated[Session, Depends(database_session)]

# What POST /api/v1/validate runs: (path, body, catalog) -> problems.
Checker = Callable[[str | None, bytes, Catalog | None], Sequence[Problem]]


def manifest_checker(services: ServicesDep) -> Checker:
    """The one rule engine, with the service's entity context."""
    return lambda path, data, catalog: check_text(path, data, services.context, catalog)


ManifestChecker = Annotated[Checker, Depends(manifest_checker)]
