"""One APIRouter per concern; ``api_router`` holds them all."""

from fastapi import APIRouter

from catalog_service.http.routes import (
    adoption,
    catalog,
    health,
    metrics,
    pull_requests,
    webhooks,
)

api_router = APIRouter()
for _module in (catalog, health, adoption, metrics, webhooks, pull_requests):
    api_router.include_router(_module.router)
