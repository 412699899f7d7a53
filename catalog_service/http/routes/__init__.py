"""One APIRouter per concern; ``api_router`` holds them all."""

from fastapi import APIRouter

from catalog_service.http.routes import (
    actions,
    adoption,
    applications,
    audit,
    catalog,
    dashboard,
    health,
    metrics,
    pull_requests,
    webhooks,
)

api_router = APIRouter()
_routers = (
    catalog,
    health,
    adoption,
    dashboard,
    metrics,
    actions,
    audit,
    webhooks,
    pull_requests,
    applications,
)
for _module in _routers:
    api_router.include_router(_module.router)
