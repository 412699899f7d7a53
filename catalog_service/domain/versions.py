"""An application's environments and the version git gives each, read from the served catalog
(the Component's ``idp/version.<environment>`` annotations, in the configured order), and the
lookup by name the day-2 actions and the status endpoint share. No I/O."""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping

from catalog_service.domain.catalog import Catalog, CompiledApplication
from catalog_service.domain.entities import VERSION_ANNOTATION_PREFIX


def versions_of(app: CompiledApplication) -> dict[str, str]:
    """``{environment: version}`` in the configured order: the environments ``app`` lists."""
    if not app.documents:
        return {}
    component = json.loads(app.documents[0])
    annotations = component.get("metadata", {}).get("annotations", {})
    return {
        key.removeprefix(VERSION_ANNOTATION_PREFIX): value
        for key, value in annotations.items()
        if key.startswith(VERSION_ANNOTATION_PREFIX)
    }


class ApplicationIndex:
    """The served catalog's applications by name, built once per catalog (a lookup in a catalog
    of 10,000 applications is one dictionary access)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._catalog: Catalog | None = None
        self._by_name: Mapping[str, CompiledApplication] = {}

    def get(self, catalog: Catalog, name: str) -> CompiledApplication | None:
        with self._lock:
            if self._catalog is not catalog:
                self._by_name = {app.name: app for app in catalog.applications}
                self._catalog = catalog
            return self._by_name.get(name)
