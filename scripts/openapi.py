"""Print the service's OpenAPI document, as it serves it at /openapi.json.

    .venv/bin/python scripts/openapi.py > catalog-info/openapi.json

The app is built on the demo's settings (the document does not depend on them) in a temporary
folder, and is never started: nothing is ingested or served.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path
from typing import Any

from catalog_service.demo import prepare_demo
from catalog_service.http.app import create_app


def openapi_document() -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="catalog-openapi-") as workdir:
        app = create_app(prepare_demo(Path(workdir)), poll=False)
        return app.openapi()


def render(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    sys.stdout.write(render(openapi_document()))
