"""The ``/docs`` page, with Swagger UI's files served by the service itself: a page that loads
them from a CDN is blank in an air-gapped cluster."""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse

from catalog_service.errors import ConfigurationError

ASSETS_PATH = "/docs/assets"
# The files the page needs, and Swagger UI's license (Apache-2.0), from the swagger-ui-py package.
ASSETS = {
    "swagger-ui-bundle.js": "text/javascript",
    "swagger-ui.css": "text/css",
    "favicon-32x32.png": "image/png",
    "LICENSE": "text/plain",
}


def swagger_ui_dir() -> Path:
    # Found without importing the package: its __init__ loads web-framework helpers unused here.
    spec = importlib.util.find_spec("swagger_ui")
    locations = spec.submodule_search_locations if spec else None
    if not locations:
        raise ConfigurationError("the swagger-ui-py package is not installed")
    return Path(next(iter(locations))) / "static"


def install_docs(app: FastAPI) -> None:
    """``/docs`` and its assets; create the app with ``docs_url=None`` and ``redoc_url=None``."""
    static = swagger_ui_dir()

    @app.get("/docs", include_in_schema=False)
    def docs(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "").rstrip("/")
        return get_swagger_ui_html(
            openapi_url=f"{root}{app.openapi_url}",
            title=f"{app.title} - API",
            swagger_js_url=f"{root}{ASSETS_PATH}/swagger-ui-bundle.js",
            swagger_css_url=f"{root}{ASSETS_PATH}/swagger-ui.css",
            swagger_favicon_url=f"{root}{ASSETS_PATH}/favicon-32x32.png",
            # The default validator badge is an image from swagger.io.
            swagger_ui_parameters={"validatorUrl": None},
        )

    for name, media_type in ASSETS.items():
        app.add_api_route(
            f"{ASSETS_PATH}/{name}",
            _asset(static / name, media_type),
            methods=["GET", "HEAD"],
            include_in_schema=False,
        )


def _asset(path: Path, media_type: str) -> Callable[[], FileResponse]:
    # A closure, not default arguments: FastAPI would read those as query parameters.
    def asset() -> FileResponse:
        return FileResponse(
            path, media_type=media_type, headers={"Cache-Control": "public, max-age=86400"}
        )

    return asset
