"""The FastAPI application (docs/architecture.md §6.3): ``create_app`` only assembles it.

The parts live in :class:`~catalog_service.service.Services`, the routes in ``http/routes/`` (one
router per concern), what they share in ``http/deps.py``, and the error mapping in
``http/errors.py``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from fastapi import FastAPI

from catalog_service import __version__
from catalog_service.argocd.client import ArgoCD
from catalog_service.db import Database
from catalog_service.db.migrate import migrate_at_start
from catalog_service.github.client import GitHubClient
from catalog_service.http.docs import install_docs
from catalog_service.http.errors import install_error_handlers
from catalog_service.http.request_log import RequestLogMiddleware
from catalog_service.http.routes import api_router
from catalog_service.http.validation import RequestLimits
from catalog_service.ingest.ingestor import Ingestor
from catalog_service.pull_requests.jobs import reconcile_forever
from catalog_service.service import Services, build_services
from catalog_service.settings import Settings

logger = logging.getLogger(__name__)


def create_app(
    settings: Settings,
    ingestor: Ingestor | None = None,
    *,
    poll: bool = True,
    limits: RequestLimits | None = None,
    database: Database | None = None,
    github: GitHubClient | None = None,
    argocd: ArgoCD | None = None,
) -> FastAPI:
    """The service. With ``poll``, it ingests at start and then every ``source.pollSeconds``
    (and at once when triggered). The database is migrated at start.

    An ingestor built here is closed at shutdown (its git processes killed); one passed in
    belongs to the caller."""
    services = build_services(
        settings, ingestor, database=database, limits=limits, github=github, argocd=argocd
    )

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        migrating = await migrate_at_start(services.database)
        tasks = [asyncio.create_task(services.refresher.run())] if poll else []
        tasks += [migrating] if migrating is not None else []
        # Deliveries' work, also without polling: what an earlier process accepted, too.
        worker = asyncio.create_task(services.webhooks.worker.run())
        tasks += _jobs(services) if poll else []
        try:
            yield
        finally:
            # Deliveries' work: a moment to finish, then handed back for the next process.
            await services.webhooks.worker.close()
            worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await worker
            # First: an ingest blocked on git ends now, not at git's timeout.
            services.close()
            for task in tasks:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    app = FastAPI(
        title="IDP catalog service",
        version=__version__,
        description="Application manifests from a GitOps repository, as Backstage entities.",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
    )
    app.state.services = services
    install_error_handlers(app)
    app.add_middleware(RequestLogMiddleware)
    install_docs(app)
    app.include_router(api_router)
    return app


def _jobs(services: Services) -> list[asyncio.Task[None]]:
    """The once-only jobs, apart from HTTP: the pull-request reconcile, the copy janitor."""
    tasks = []
    recorder = services.recorder()
    if recorder is not None and services.github is not None:
        minutes = services.settings.github.reconcileMinutes
        tasks.append(asyncio.create_task(reconcile_forever(recorder, minutes, services.leases)))
    if services.janitor is not None:
        check = services.settings.copies.checkSeconds
        tasks.append(asyncio.create_task(services.janitor.run_forever(check)))
    return tasks


def app_services(app: FastAPI) -> Services:
    """The parts of an app ``create_app`` made (for tests and the command line)."""
    services: Services = app.state.services
    return services


__all__ = ["app_services", "create_app"]
