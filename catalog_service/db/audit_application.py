"""Which application an action's call concerns, from its inputs (docs/architecture.md §6.4)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

MAX_LENGTH = 255


def application_of(action: str, inputs: Mapping[str, Any] | None) -> str | None:
    """``application`` in every action's inputs but create-application's, where it is ``name``
    (the application being created); None when it is missing or not a short string."""
    if not isinstance(inputs, Mapping):
        return None
    value = inputs.get("name" if action == "create-application" else "application")
    if isinstance(value, str) and 0 < len(value) <= MAX_LENGTH:
        return value
    return None
