"""Suggestions for unknown keys, shared by the manifest and the configuration: both are strict
pydantic models, and a typo deserves the key it was meant to be."""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from typing import get_args, get_origin

from pydantic import BaseModel


def unknown_key_hint(model: type[BaseModel], loc: Sequence[str | int]) -> str:
    """``; did you mean X?`` for the unknown key at the end of ``loc``, or the keys allowed."""
    known = keys_at(model, loc[:-1])
    guess = difflib.get_close_matches(str(loc[-1]), known, n=1, cutoff=0.6)
    if guess:
        return f"; did you mean {guess[0]}?"
    return f"; known keys here: {', '.join(known)}" if known else ""


def keys_at(model: type[BaseModel], loc: Sequence[str | int]) -> list[str]:
    """The keys ``model`` accepts at ``loc`` (the path of keys and list indexes from the top)."""
    parts = list(loc)
    current: type[BaseModel] = model
    while parts:
        part = parts.pop(0)
        if isinstance(part, int):
            continue
        field = next(
            (f for name, f in current.model_fields.items() if (f.alias or name) == part), None
        )
        if field is None:
            return []
        nested = _model_in(field.annotation)
        if nested is None:
            return []
        if _is_mapping(field.annotation) and parts:
            parts.pop(0)  # a key of the mapping (an environment name), not a field
        current = nested
    return [field.alias or name for name, field in current.model_fields.items()]


def _model_in(annotation: object) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for argument in get_args(annotation):
        found = _model_in(argument)
        if found is not None:
            return found
    return None


def _is_mapping(annotation: object) -> bool:
    if get_origin(annotation) is dict:
        return True
    return any(_is_mapping(argument) for argument in get_args(annotation))
