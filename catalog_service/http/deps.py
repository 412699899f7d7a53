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
from sqlalchemy.orm import Session

from catalog_service.domain.catalog import Catalog
from catalog_service.domain.problems import Problem
from catalog_service.domain.review import check_text
from catalog_service.errors import AuthenticationError, NotReadyError
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
    """``Authorization: Bearer <token>`` with one of ``auth.tokens``."""
    tokens = [token.get_secret_value().encode() for token in services.settings.auth.tokens]
    scheme, _, presented = request.headers.get("authorization", "").partition(" ")
    if not tokens:
        raise AuthenticationError("write endpoints are disabled: no auth.tokens are configured")
    if scheme.lower() != "bearer" or not presented:
        raise AuthenticationError("send Authorization: Bearer <token>")
    if not any(hmac.compare_digest(presented.encode(), token) for token in tokens):
        raise AuthenticationError("the bearer token is not one of the configured auth.tokens")


TokenRequired = Depends(require_token)


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
