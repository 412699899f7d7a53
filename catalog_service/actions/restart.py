"""restart-application (docs/self-service.md#restart-application): the resource action
``restart`` on each Deployment of the application's Argo CD application in one environment.

The application and environment are checked against the served catalog (404), the requester
against ``restart.protected`` (403, the promotion rule), then Argo CD's resource tree is read and
each Deployment in it restarted, with its name and namespace from the tree (none: 409
``no_deployment``). A dry run reads the tree and restarts nothing. One audit entry per call: it
is written before the first restart (``failed``, "started") and completed with the outcome, so a
service stopped mid-way leaves a true entry. A retry restarts again: that is what it asks for.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from catalog_service.actions.requester import Requester, check_protected
from catalog_service.actions.schemas import (
    RestartApplicationInput,
    RestartedResource,
    RestartResult,
)
from catalog_service.argocd.client import ArgoCD
from catalog_service.argocd.settings import argocd_name
from catalog_service.argocd.tree import ResourceRef
from catalog_service.db import Database, audit
from catalog_service.db.audit import Outcome
from catalog_service.domain.versions import ApplicationIndex, versions_of
from catalog_service.errors import (
    ArgoCDNotConfiguredError,
    CatalogError,
    NoDeploymentError,
    NotFoundError,
    NotReadyError,
    RequestError,
)
from catalog_service.ingest.ingestor import Snapshot
from catalog_service.settings import Settings
from catalog_service.vocabulary import RESTART_APPLICATION

Redact = Callable[[Any], Any]


@dataclass
class Restarter:
    settings: Settings
    database: Database
    snapshot: Callable[[], Snapshot | None]
    argocd: ArgoCD | None  # None: no argocd: section (503 argocd_not_configured)
    redact: Redact
    index: ApplicationIndex = field(default_factory=ApplicationIndex)

    def restart(self, request: RestartApplicationInput, requester: Requester) -> RestartResult:
        started = time.monotonic()
        run = _Run(request, started)
        outcome: Outcome = "failed"
        message = "unexpected error; the service log has the details"
        try:
            self._check(request, requester)
            name = argocd_name(self.settings.argocd, request.application, request.environment)
            run.argocd_name = name
            argocd = self._client()
            deployments = argocd.resource_tree(name).deployments
            if not deployments:
                raise NoDeploymentError(
                    f"Argo CD's application {name!r} holds no Deployment: nothing to restart"
                    " (is it synced, and is the application a service rather than a job?)"
                )
            run.found = list(deployments)
            if not request.dryRun:
                run.entry_id = self._write(run, "failed", _started(name, deployments))
                for deployment in deployments:
                    argocd.restart(name, deployment)
                    run.restarted.append(deployment)
            outcome, message = "succeeded", _summary(name, run)
        except RequestError as error:  # refused; "failed" once something was restarted
            outcome = "failed" if run.restarted else "rejected"
            message = _partial(run) + error.message
            raise
        except CatalogError as error:
            message = _partial(run) + error.message
            raise
        finally:
            run.entry_id = self._write(run, outcome, message)
        assert run.entry_id is not None
        shown = run.found if request.dryRun else run.restarted
        return RestartResult(
            auditId=run.entry_id,
            changed=bool(run.restarted),
            dryRun=request.dryRun,
            argocdApplication=run.argocd_name,
            restarted=[RestartedResource(name=d.name, namespace=d.namespace) for d in shown],
        )

    def _check(self, request: RestartApplicationInput, requester: Requester) -> None:
        """404 for an environment or application the catalog does not have, 403 protected."""
        order = self.settings.environments
        if request.environment not in order:
            raise NotFoundError(
                f"unknown environment {request.environment!r}; configured: {', '.join(order)}"
            )
        snap = self.snapshot()
        if snap is None:
            raise NotReadyError("no catalog yet: the first ingest has not finished")
        app = self.index.get(snap.catalog, request.application)
        if app is None and request.application not in snap.catalog.declared:
            raise NotFoundError(f"no application named {request.application!r} in the catalog")
        # Declared but refused for a problem: it may run all the same, so it may be restarted.
        listed = versions_of(app) if app is not None else {request.environment: ""}
        if request.environment not in listed:
            raise NotFoundError(
                f"{request.application!r} does not run in {request.environment!r}: its manifest"
                f" lists {', '.join(listed) or 'no environment'}"
            )
        check_protected(
            requester,
            [request.environment],
            self.settings.restart.protected,
            what="restart an application there",
            setting="restart.protected",
        )

    def _client(self) -> ArgoCD:
        if self.argocd is None:
            raise ArgoCDNotConfiguredError(
                "Argo CD is not configured: set argocd.url and argocd.token (docs/argocd.md)"
            )
        return self.argocd

    def _write(self, run: _Run, outcome: Outcome, message: str) -> int:
        duration = time.monotonic() - run.started
        request = run.request
        with self.database.session() as session:
            if run.entry_id is not None and audit.complete(
                session,
                run.entry_id,
                outcome=outcome,
                message=message,
                branch=None,
                pull_request_url=None,
                duration_seconds=duration,
            ):
                return run.entry_id
            entry = audit.add(
                session,
                actor=request.requestedBy,
                action=RESTART_APPLICATION,
                inputs=self.redact(request.model_dump(mode="json", exclude_none=True)),
                dry_run=request.dryRun,
                outcome=outcome,
                message=message,
                duration_seconds=duration,
            )
            return entry.id


@dataclass
class _Run:
    request: RestartApplicationInput
    started: float
    argocd_name: str = ""
    entry_id: int | None = None
    found: list[ResourceRef] = field(default_factory=list)
    restarted: list[ResourceRef] = field(default_factory=list)


def _names(deployments: list[ResourceRef] | tuple[ResourceRef, ...]) -> str:
    return ", ".join(f"{d.namespace}/{d.name}" for d in deployments)


def _started(name: str, deployments: tuple[ResourceRef, ...]) -> str:
    return (
        f"started: restarting {_names(deployments)} of {name}; not completed (the service"
        " stopped or could not record the outcome); some may have been restarted"
    )


def _summary(name: str, run: _Run) -> str:
    if run.request.dryRun:
        return f"dry run: would restart {_names(run.found)} of {name}; nothing restarted"
    return f"restarted {_names(run.restarted)} of {name}"


def _partial(run: _Run) -> str:
    """What a failure had already done, before its message."""
    if not run.restarted:
        return ""
    return f"restarted {_names(run.restarted)} before this failure: "
