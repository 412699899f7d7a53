"""docs/manifest-reference.md must document exactly the fields of the manifest JSON Schema.

The schema (``catalog-service schema``) is generated from the pydantic models, so a field added,
renamed or removed in the models without the same change in the reference fails here.

Field paths are dotted from the document root: ``spec.components[].type`` for the items of a list,
``spec.environments.<environment>.version`` for the values of a mapping whose keys are free.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from catalog_service.domain.manifests import manifest_json_schema

REFERENCE = Path(__file__).resolve().parents[2] / "docs" / "manifest-reference.md"

# The placeholder the reference uses for the keys of each free-keyed mapping.
MAP_KEY_NAMES = {"spec.environments": "environment"}
DEFAULT_MAP_KEY_NAME = "key"

TABLE_HEADER = ["field", "type", "required", "description and rules"]
KIND_HEADING = re.compile(r"^##\s+`kind:\s*(?P<kind>[A-Za-z]+)`")
CELL_SPLIT = re.compile(r"(?<!\\)\|")
FIELD_CELL = re.compile(r"^`(?P<path>[^`\s]+)`$")


# -- the schema ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SchemaField:
    path: str
    required: bool


def _resolve(node: Mapping[str, Any], defs: Mapping[str, Any]) -> Mapping[str, Any]:
    while "$ref" in node:
        ref = str(node["$ref"])
        prefix = "#/$defs/"
        assert ref.startswith(prefix), f"unexpected $ref {ref!r} in the manifest schema"
        node = defs[ref.removeprefix(prefix)]
    return node


def _object_fields(
    node: Mapping[str, Any], prefix: str, defs: Mapping[str, Any], depth: int = 0
) -> Iterator[SchemaField]:
    """Every property of an object schema, and of the objects inside it."""
    assert depth < 20, f"the manifest schema nests deeper than expected at {prefix!r}"
    node = _resolve(node, defs)
    required = set(node.get("required", []))
    for name, child in node.get("properties", {}).items():
        path = f"{prefix}.{name}" if prefix else name
        yield SchemaField(path, name in required)
        yield from _value_fields(child, path, defs, depth + 1)


def _value_fields(
    node: Mapping[str, Any], path: str, defs: Mapping[str, Any], depth: int
) -> Iterator[SchemaField]:
    """The fields inside one value: an object's properties, list items, mapping values."""
    node = _resolve(node, defs)
    for combinator in ("anyOf", "oneOf", "allOf"):
        for variant in node.get(combinator, []):
            yield from _value_fields(variant, path, defs, depth)
    if "properties" in node:
        yield from _object_fields(node, path, defs, depth)
    items = node.get("items")
    if isinstance(items, dict):
        yield from _value_fields(items, f"{path}[]", defs, depth)
    values = node.get("additionalProperties")
    if isinstance(values, dict):
        key = MAP_KEY_NAMES.get(path, DEFAULT_MAP_KEY_NAME)
        yield from _value_fields(values, f"{path}.<{key}>", defs, depth)


def schema_fields() -> dict[str, dict[str, SchemaField]]:
    """Kind → field path → field, for every kind of the manifest format."""
    schema = manifest_json_schema()
    defs: Mapping[str, Any] = schema["$defs"]
    kinds: dict[str, dict[str, SchemaField]] = {}
    for variant in schema["oneOf"]:
        definition = _resolve(variant, defs)
        kind = str(definition["properties"]["kind"]["const"])
        kinds[kind] = {}
        for found in _object_fields(definition, "", defs):
            kinds[kind].setdefault(found.path, found)  # the first way to reach a field decides
    return kinds


def schema_literals() -> set[str]:
    """Every enum and const value in the schema: the words a manifest must spell exactly."""
    literals: set[str] = set()

    def visit(node: Any) -> None:
        if isinstance(node, dict):
            for value in node.get("enum", []):
                literals.add(str(value))
            if "const" in node:
                literals.add(str(node["const"]))
            for child in node.values():
                visit(child)
        elif isinstance(node, list):
            for child in node:
                visit(child)

    visit(manifest_json_schema())
    return literals


# -- the reference -------------------------------------------------------------------------------


@dataclass
class DocumentedFields:
    by_kind: dict[str, dict[str, str]] = field(default_factory=dict)  # path → required cell
    problems: list[str] = field(default_factory=list)


def _cells(line: str) -> list[str]:
    return [cell.strip() for cell in CELL_SPLIT.split(line.strip().strip("|"))]


def documented_fields(text: str) -> DocumentedFields:
    """The field tables of the reference: the first column of every table headed ``Field``."""
    found = DocumentedFields()
    kind: str | None = None
    lines = text.splitlines()
    index = 0
    while index < len(lines):
        line = lines[index]
        if line.startswith("## "):
            match = KIND_HEADING.match(line)
            kind = match["kind"] if match else None
            if kind is not None:
                found.by_kind.setdefault(kind, {})
        is_table_start = (
            line.lstrip().startswith("|")
            and index + 1 < len(lines)
            and re.fullmatch(r"\s*\|?\s*:?-{3,}.*", lines[index + 1]) is not None
        )
        if not is_table_start:
            index += 1
            continue
        header = [cell.lower() for cell in _cells(line)]
        index += 2
        rows = []
        while index < len(lines) and lines[index].lstrip().startswith("|"):
            rows.append((index + 1, _cells(lines[index])))
            index += 1
        if header[0] != "field":
            continue
        if header != TABLE_HEADER:
            found.problems.append(
                f"line {index - len(rows) - 1}: a field table's columns are {TABLE_HEADER}, not"
                f" {header}"
            )
        if kind is None:
            found.problems.append(
                f"line {index - len(rows) - 1}: a field table outside a '## `kind: ...`' section"
            )
            continue
        for line_number, cells in rows:
            match = FIELD_CELL.match(cells[0])
            if match is None or len(cells) != len(TABLE_HEADER):
                found.problems.append(
                    f"line {line_number}: a row needs {len(TABLE_HEADER)} cells, the first one"
                    f" a field path in backticks: {cells!r}"
                )
                continue
            path = match["path"]
            if path in found.by_kind[kind]:
                found.problems.append(f"line {line_number}: {kind} field {path} is listed twice")
            found.by_kind[kind][path] = cells[2].lower()
    return found


@pytest.fixture(scope="module")
def reference_text() -> str:
    assert REFERENCE.is_file(), f"{REFERENCE} is missing"
    return REFERENCE.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def documented(reference_text: str) -> DocumentedFields:
    return documented_fields(reference_text)


# -- the checks ----------------------------------------------------------------------------------


def test_the_field_tables_are_well_formed(documented: DocumentedFields) -> None:
    assert not documented.problems, "docs/manifest-reference.md:\n  " + "\n  ".join(
        documented.problems
    )


def test_every_kind_has_a_section(documented: DocumentedFields) -> None:
    schema_kinds = set(schema_fields())
    doc_kinds = set(documented.by_kind)
    assert doc_kinds == schema_kinds, (
        f"docs/manifest-reference.md has '## `kind: ...`' sections for {sorted(doc_kinds)};"
        f" the schema has the kinds {sorted(schema_kinds)}"
    )


@pytest.mark.parametrize("kind", sorted(schema_fields()))
def test_the_reference_lists_exactly_the_schema_fields(
    kind: str, documented: DocumentedFields
) -> None:
    in_schema = set(schema_fields()[kind])
    in_doc = set(documented.by_kind.get(kind, {}))
    undocumented = sorted(in_schema - in_doc)
    stale = sorted(in_doc - in_schema)
    message = [f"docs/manifest-reference.md, '## `kind: {kind}`', drifted from the JSON Schema:"]
    if undocumented:
        message.append("  in the schema, missing from the reference (add a row):")
        message += [f"    + {path}" for path in undocumented]
    if stale:
        message.append("  in the reference, not in the schema (remove or rename the row):")
        message += [f"    - {path}" for path in stale]
    assert not undocumented and not stale, "\n".join(message)


@pytest.mark.parametrize("kind", sorted(schema_fields()))
def test_the_required_column_matches_the_schema(kind: str, documented: DocumentedFields) -> None:
    rows = documented.by_kind.get(kind, {})
    wrong = [
        f"  {path}: the schema says {'required' if found.required else 'optional'},"
        f" the reference says {rows[path]!r}"
        for path, found in sorted(schema_fields()[kind].items())
        if path in rows and (rows[path] == "yes") != found.required
    ]
    assert not wrong, (
        f"docs/manifest-reference.md, '## `kind: {kind}`': the Required column (exactly 'yes'"
        " for a field the schema requires, anything else otherwise) drifted:\n" + "\n".join(wrong)
    )


def test_every_allowed_value_is_documented(reference_text: str) -> None:
    missing = sorted(value for value in schema_literals() if f"`{value}`" not in reference_text)
    assert not missing, (
        "values the schema allows that docs/manifest-reference.md does not show in backticks: "
        + ", ".join(missing)
    )


def test_the_walk_finds_nested_fields() -> None:
    """Guard the walk itself: lists, mappings and references must all be followed."""
    fields = schema_fields()
    assert {
        "spec.components[].type",
        "spec.environments.<environment>.version",
        "metadata.links[].url",
        "spec.chart.name",
    } <= set(fields["Application"])
    assert "metadata.links[].title" in fields["System"]
    assert {"service", "vendor", "etl", "experimental", "production", "deprecated"} <= (
        schema_literals()
    )
