"""``GET /api/v1/applications/{name}/status``: per environment the version in git and what
Argo CD reports (docs/api.md, docs/argocd.md). The behaviour lives in
``catalog_service.argocd.status``; this route only shapes the answer."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, Path
from pydantic import BaseModel, Field

from catalog_service.argocd.status import ApplicationStatus, EnvironmentStatus
from catalog_service.domain.manifests import DNS_LABEL
from catalog_service.errors import NotReadyError
from catalog_service.http.deps import ServicesDep
from catalog_service.http.schemas import ErrorResponse

router = APIRouter(tags=["applications"])


class ArgoCDStateOut(BaseModel):
    state: Literal["ok", "not-configured", "unavailable"] = Field(
        description="ok: Argo CD answered; not-configured: no argocd section; unavailable:"
        " Argo CD could not be asked (the message says why): git's view only"
    )
    message: str | None


class PodOut(BaseModel):
    name: str
    namespace: str
    health: str = Field(description="Argo CD's health of the pod: Degraded, Progressing, ...")
    reason: str | None = Field(description="Argo CD's Status Reason, e.g. CrashLoopBackOff")
    message: str | None
    restartCount: int | None


class CopyOut(BaseModel):
    component: str
    from_: str = Field(alias="from", serialization_alias="from")
    expiresAt: dt.datetime


class EnvironmentStatusOut(BaseModel):
    environment: str
    version: str = Field(description="The version in git (the served catalog)")
    argocdApplication: str
    sync: str | None = Field(description="Argo CD's sync status; null when not known")
    health: str | None = Field(description="Argo CD's health status; null when not known")
    pods: list[PodOut] = Field(description="The pods that are not Healthy")
    copies: list[CopyOut] = Field(description="The live database copies, with their expiry")


class ApplicationStatusOut(BaseModel):
    application: str
    argocd: ArgoCDStateOut
    environments: list[EnvironmentStatusOut]
    observedAt: dt.datetime = Field(description="When Argo CD was asked (now, without it)")


ApplicationName = Annotated[str, Path(max_length=63, pattern=DNS_LABEL)]


@router.get(
    "/api/v1/applications/{name}/status",
    response_model=ApplicationStatusOut,
    response_model_by_alias=True,
    responses={404: {"model": ErrorResponse}, 422: {"model": ErrorResponse}},
    summary="An application's versions in git and its health in Argo CD, per environment",
)
async def application_status(name: ApplicationName, services: ServicesDep) -> ApplicationStatusOut:
    """Argo CD's part is cached per application for ``argocd.statusCacheSeconds``; Argo CD slow
    or down answers git's view with ``argocd.state = "unavailable"``, never an error."""
    if services.application_status is None:
        raise NotReadyError("the status endpoint is not set up in this service")
    return _out(await services.application_status.status(name))


def _out(status: ApplicationStatus) -> ApplicationStatusOut:
    return ApplicationStatusOut(
        application=status.application,
        argocd=ArgoCDStateOut(state=status.state, message=status.message),
        environments=[_environment(env) for env in status.environments],
        observedAt=status.observed_at,
    )


def _environment(env: EnvironmentStatus) -> EnvironmentStatusOut:
    return EnvironmentStatusOut(
        environment=env.environment,
        version=env.version,
        argocdApplication=env.argocd_application,
        sync=env.sync,
        health=env.health,
        pods=[
            PodOut(
                name=pod.name,
                namespace=pod.namespace,
                health=pod.health,
                reason=pod.reason,
                message=pod.message,
                restartCount=pod.restart_count,
            )
            for pod in env.pods
        ],
        copies=[
            CopyOut.model_validate(
                {
                    "component": copy.component,
                    "from": copy.source_environment,
                    "expiresAt": copy.expires_at,
                }
            )
            for copy in env.copies
        ],
    )
