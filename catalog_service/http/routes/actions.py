"""``POST /api/v1/actions/{action}``: the self-service actions (docs/self-service.md).

The behaviour lives in ``catalog_service.actions.service``; these routes only take the request.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends

from catalog_service.actions.schemas import (
    ActionResult,
    CreateApplicationInput,
    PromoteImageInput,
)
from catalog_service.actions.service import ACTIONS, ActionService
from catalog_service.errors import NotFoundError, NotReadyError
from catalog_service.http.deps import ServicesDep, TokenRequired
from catalog_service.http.schemas import ErrorResponse

router = APIRouter()

_ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorResponse} for status in (400, 401, 403, 404, 409, 422, 502, 503)
}


def action_service(services: ServicesDep) -> ActionService:
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
def create_application(request: CreateApplicationInput, actions: Actions) -> ActionResult:
    """Writes the manifest at ``actions.manifestPath`` after the rule engine passed it."""
    return actions.create_application(request)


@router.post(
    "/api/v1/actions/promote-image",
    response_model=ActionResult,
    responses=_ERRORS,
    dependencies=[TokenRequired],
    summary="Promote an image: copy a version one environment along, as a pull request",
)
def promote_image(request: PromoteImageInput, actions: Actions) -> ActionResult:
    """Copies ``from``'s version into the next environment (or ``to``)."""
    return actions.promote_image(request)


@router.post(
    "/api/v1/actions/{action}",
    responses={404: {"model": ErrorResponse}},
    dependencies=[TokenRequired],
    include_in_schema=False,
)
def unknown_action(action: str) -> None:
    raise NotFoundError(f"no action {action!r}; the actions are: {', '.join(ACTIONS)}")
