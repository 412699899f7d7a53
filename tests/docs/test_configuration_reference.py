"""docs/configuration.md's key table names exactly the keys of the settings model: a key added,
renamed or removed in ``catalog_service/settings.py`` without its row (or a row without its key)
fails here, so the page cannot drift from the code."""

from __future__ import annotations

import re
import types
import typing
from collections.abc import Iterator
from pathlib import Path

from pydantic import BaseModel

from catalog_service.settings import Settings

REFERENCE = Path(__file__).resolve().parents[2] / "docs" / "configuration.md"
ROW = re.compile(r"^\|\s*`(?P<key>[A-Za-z.]+)`\s*\|")


def _section(annotation: object) -> type[BaseModel] | None:
    """The settings section an annotation holds (``X``, ``X | None``), or None for a leaf: a
    list of sections (``links``) or a mapping is one key."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        sections = [arg for arg in typing.get_args(annotation) if _section(arg) is not None]
        return _section(sections[0]) if sections else None
    return None


def settings_keys(model: type[BaseModel] = Settings, prefix: str = "") -> Iterator[str]:
    for name, field in model.model_fields.items():
        section = _section(field.annotation)
        if section is None:
            yield prefix + name
        else:
            yield from settings_keys(section, f"{prefix}{name}.")


def documented_keys() -> list[str]:
    text = REFERENCE.read_text(encoding="utf-8")
    table = text.split("## Keys", 1)[1].split("\n## ", 1)[0]
    return [match["key"] for line in table.splitlines() if (match := ROW.match(line))]


def test_every_settings_key_has_a_row() -> None:
    keys = set(settings_keys())
    assert {"source.url", "github.app.privateKey", "backstage.eventsUrl", "links"} <= keys
    missing = sorted(keys - set(documented_keys()))
    assert missing == [], f"docs/configuration.md has no row for {missing}"


def test_every_row_is_a_settings_key_once() -> None:
    rows = documented_keys()
    assert len(rows) == len(set(rows)), "a key has two rows"
    unknown = sorted(set(rows) - set(settings_keys()))
    assert unknown == [], f"docs/configuration.md documents keys the settings lack: {unknown}"


def test_nothing_built_is_called_coming() -> None:
    assert "(coming)" not in REFERENCE.read_text(encoding="utf-8")
