"""One APIRouter per concern; ``api_router`` holds them all."""

from fastapi import APIRouter

from catalog_service.http.routes import (
    actions,
    adoption,
    audit,
    catalog,
    dashboard,
    health,
    metrics,
)

api_router = APIRouter()
for _module in (catalog, health, adoption, dashboard, metrics, actions, audit):
    api_router.include_router(_module.router)
