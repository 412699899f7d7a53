"""``POST /api/v1/actions/{action}``: the self-service actions (docs/self-service.md).

The behaviour lives in ``catalog_service.actions.service``; these routes only take the request.
A call refused before the action ran with a valid bearer token (its body refused by the schema,
a Backstage token that does not check out) is audited by :class:`AuditedActionRoute`, so that
every such call leaves exactly one audit entry. A call without a valid bearer token leaves none:
it is only counted (``idp_actions_total{outcome="rejected"}``), so that a flood of them costs no
database write and does not fill the log.

Who asks is established here (``X-Backstage-Token``, the bearer token's trust) and handed to the
action as a :class:`~catalog_service.actions.requester.Requester`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute

from catalog_service.actions.refusals import record_refusal
from catalog_service.actions.requester import Requester
from catalog_service.actions.schemas import (
    ActionResult,
    CopyDatabaseInput,
    CopyDatabaseResult,
    CreateApplicationInput,
    PromoteImageInput,
    RestartApplicationInput,
    RestartResult,
    SetVersionInput,
)
from catalog_service.actions.service import ACTIONS, ActionService
from catalog_service.errors import (
    AuthenticationError,
    CatalogError,
    ForbiddenError,
    NotFoundError,
    NotReadyError,
)
from catalog_service.http.deps import (
    CiTokenRequired,
    ServicesDep,
    TokenRequired,
    presents_trusted_token,
    require_ci_token,
    require_token,
    services_of,
)
from catalog_service.http.errors import status_for, validation_message
from catalog_service.http.schemas import ErrorResponse
from catalog_service.identity.backstage import HEADER as BACKSTAGE_TOKEN_HEADER
from catalog_service.identity.verifier import VerifiedIdentity
from catalog_service.service import Services

Handler = Callable[[Request], Coroutine[Any, Any, Response]]
# What an action answers: a git action's result (or a subclass), or a restart's.
R = TypeVar("R", bound=ActionResult | RestartResult)


class AuditedActionRoute(APIRoute):
    """An action route whose refusals before the action ran are audited too (the action audits
    its own calls: it marks the request, and then nothing more is written here)."""

    def get_route_handler(self) -> Handler:
        handler = super().get_route_handler()
        action = self.path.rsplit("/", 1)[-1]
        if action not in ACTIONS:  # an unknown action is not audited: its name is anything
            return handler

        async def audited(request: Request) -> Response:
            started = time.monotonic()
            try:
                return await handler(request)
            except (RequestValidationError, CatalogError) as error:
                if not getattr(request.state, "action_audited", False):
                    await _audit_refusal(request, action, error, time.monotonic() - started)
                raise

        return audited


async def _audit_refusal(request: Request, action: str, error: Exception, duration: float) -> None:
    services = services_of(request)
    if not _authenticated(request, services, action):
        services.metrics.unauthenticated_refusals.count(action)  # counted, not stored
        return
    if isinstance(error, RequestValidationError):
        status, message = 422, validation_message(error)
    else:
        assert isinstance(error, CatalogError)
        status, message = status_for(error), error.message
    try:
        body = await request.body()  # already read (and kept) by FastAPI before the checks
    except Exception:  # the client went away mid-body: nothing of it is kept
        body = b""
    await run_in_threadpool(
        record_refusal,
        services.database,
        action=action,
        body=body,
        outcome="rejected" if status < 500 else "failed",
        message=message,
        duration_seconds=duration,
    )


def _authenticated(request: Request, services: Services, action: str) -> bool:
    """Whether the token is one of ours; checked here too, since a body that is not JSON is
    refused before the token is looked at. A CI token calling another action than set-version is
    one of ours, refused (403): that call is audited like any refused call with a valid token."""
    check = require_ci_token if action == "set-version" else require_token
    try:
        check(request, services)
    except ForbiddenError:
        return True
    except AuthenticationError:
        return False
    return True


@dataclass(frozen=True, slots=True)
class Caller:
    """What the headers prove about who calls: a checked Backstage user, a trusted token."""

    identity: VerifiedIdentity | None
    trusted_token: bool

    def requester(
        self,
        request: CreateApplicationInput
        | PromoteImageInput
        | CopyDatabaseInput
        | RestartApplicationInput,
    ) -> Requester:
        return Requester.of(request, self.identity, trusted_token=self.trusted_token)


def caller(http: Request, services: ServicesDep) -> Caller:
    """The Backstage token is checked only when ``auth.backstage`` is configured; without it the
    header proves nothing and is ignored. (A sync dependency: fetching the keys may block.)"""
    token = http.headers.get(BACKSTAGE_TOKEN_HEADER)
    identity = None
    if token and services.identity is not None:
        identity = services.identity.verify(token)
    return Caller(identity, presents_trusted_token(http, services))


CallerDep = Annotated[Caller, Depends(caller)]


router = APIRouter(route_class=AuditedActionRoute)

_ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorResponse} for status in (400, 401, 403, 404, 409, 422, 429, 502, 503)
}


async def action_service(services: ServicesDep) -> ActionService:
    if services.actions is None:
        raise NotReadyError("the self-service actions are not set up in this service")
    return services.actions


Actions = Annotated[ActionService, Depends(action_service)]


@router.post(
    "/api/v1/actions/create-application",
    response_model=ActionResult,
    responses=_ERRORS,
    dependencies=[TokenRequired],
    summary="Create an application: a new manifest on a branch, and a pull request",
)
async def create_application(
    request: CreateApplicationInput,
    actions: Actions,
    asking: CallerDep,
    services: ServicesDep,
    http: Request,
) -> ActionResult:
    """Writes the manifest at ``actions.manifestPath`` after the rule engine passed it."""
    requester = asking.requester(request)  # refused here (403): audited by the route class
    return await _in_action_pool(
        services, http, lambda: actions.create_application(request, requester)
    )


@router.post(
    "/api/v1/actions/promote-image",
    response_model=ActionResult,
    responses=_ERRORS,
    dependencies=[TokenRequired],
    summary="Promote an image: copy a version one environment along, as a pull request",
)
async def promote_image(
    request: PromoteImageInput,
    actions: Actions,
    asking: CallerDep,
    services: ServicesDep,
    http: Request,
) -> ActionResult:
    """Copies ``from``'s version into the next environment (or ``to``)."""
    requester = asking.requester(request)  # refused here (403): audited by the route class
    return await _in_action_pool(services, http, lambda: actions.promote_image(request, requester))


@router.post(
    "/api/v1/actions/set-version",
    response_model=ActionResult,
    responses=_ERRORS,
    dependencies=[CiTokenRequired],
    summary="Set the version of the first environment (what CI does after a build)",
)
async def set_version(
    request: SetVersionInput, actions: Actions, services: ServicesDep, http: Request
) -> ActionResult:
    """A commit on the GitOps branch, or a pull request with ``actions.setVersion.pullRequest``;
    ``auth.ciTokens`` may call this action and nothing else."""
    return await _in_action_pool(services, http, lambda: actions.set_version(request))


@router.post(
    "/api/v1/actions/copy-database",
    response_model=CopyDatabaseResult,
    responses=_ERRORS,
    dependencies=[TokenRequired],
    summary="Copy a database into another environment until it expires, as a pull request",
)
async def copy_database(
    request: CopyDatabaseInput,
    actions: Actions,
    asking: CallerDep,
    services: ServicesDep,
    http: Request,
) -> CopyDatabaseResult:
    """Adds ``spec.environments.<to>.copies: [{component, from, expiresAt}]``; the platform
    removes it once ``expiresAt`` passed. Never into the last environment or a protected one."""
    requester = asking.requester(request)  # refused here (403): audited by the route class
    return await _in_action_pool(services, http, lambda: actions.copy_database(request, requester))


@router.post(
    "/api/v1/actions/restart-application",
    response_model=RestartResult,
    responses=_ERRORS,
    dependencies=[TokenRequired],
    summary="Restart an application: Argo CD's restart of each Deployment in one environment",
)
async def restart_application(
    request: RestartApplicationInput,
    actions: Actions,
    asking: CallerDep,
    services: ServicesDep,
    http: Request,
) -> RestartResult:
    """Reads the Argo CD application's resource tree (``argocd.applicationName``) and runs the
    resource action ``restart`` on each Deployment in it; ``restart.protected`` applies."""
    requester = asking.requester(request)  # refused here (403): audited by the route class
    return await _in_action_pool(
        services, http, lambda: actions.restart_application(request, requester)
    )


async def _in_action_pool(services: Services, http: Request, action: Callable[[], R]) -> R:
    """The action in the actions' own pool (it may wait on git and GitHub for minutes); no
    turn in time is a 429, audited as a refusal by the route class."""

    def run() -> R:
        http.state.action_audited = True  # from here on the action audits the call itself
        return action()

    return await services.pools.actions.run(run)


@router.post(
    "/api/v1/actions/{action}",
    responses={404: {"model": ErrorResponse}},
    dependencies=[TokenRequired],
    include_in_schema=False,
)
async def unknown_action(action: str) -> None:
    raise NotFoundError(f"no action {action!r}; the actions are: {', '.join(ACTIONS)}")
