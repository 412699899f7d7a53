"""Helpers shared by the domain tests: manifest builders and one-call parsing/compiling.

Builders (``application``, ``system``) make valid manifests as plain data, to be changed with
keyword overrides and dumped with :func:`dump`. Tests that assert a ``line:column`` write literal
YAML instead, so the expected line can be read off the test.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

import yaml

from catalog_service.domain import manifests as m
from catalog_service.domain.catalog import Catalog, CompiledFile, assemble, compile_file
from catalog_service.domain.entities import Entity, EntityContext, LinkTemplate
from catalog_service.domain.parsing import ParsedFile, parse_file

ENVIRONMENTS = ("dev", "staging", "prod")
PATH = "apps/app.yaml"
LOCATION_PREFIX = "url:https://github.com/acme/gitops/blob/main/"
EDIT_URL_PREFIX = "https://github.com/acme/gitops/edit/main/"

# Drop a key from a builder's result: ``application(image=DROP)``.
DROP: Any = object()


def context(
    *,
    environments: tuple[str, ...] = ENVIRONMENTS,
    links: tuple[LinkTemplate, ...] = (),
    location_prefix: str = LOCATION_PREFIX,
    edit_url_prefix: str | None = EDIT_URL_PREFIX,
) -> EntityContext:
    return EntityContext(
        environments=environments,
        links=links,
        location_prefix=location_prefix,
        edit_url_prefix=edit_url_prefix,
    )


def _merge(base: dict[str, Any], overrides: Mapping[str, Any]) -> dict[str, Any]:
    result = dict(base)
    for key, value in overrides.items():
        if value is DROP:
            result.pop(key, None)
        else:
            result[key] = value
    return result


def application(
    name: str = "payments-api",
    *,
    system: str = "payments",
    owner: str = "team-payments",
    metadata: Mapping[str, Any] | None = None,
    **spec: Any,
) -> dict[str, Any]:
    """A valid service ``Application``; ``spec`` keywords (``dependsOn`` too) replace spec fields.

    ``type="vendor"`` or ``type="etl"`` switch the type-specific fields to valid ones for that type.
    """
    kind = spec.get("type", "service")
    base_spec: dict[str, Any] = {"type": kind}
    if kind in ("service", "etl"):
        base_spec["source"] = {"repository": f"acme/{name}"}
        base_spec["image"] = f"registry.example.com/acme/{name}"
    if kind == "vendor":
        base_spec["chart"] = {"repository": "https://charts.example.com", "name": name}
    if kind == "etl":
        base_spec["schedule"] = "0 2 * * *"
    base_metadata: dict[str, Any] = {"name": name, "system": system, "owner": owner}
    return {
        "apiVersion": m.API_VERSION,
        "kind": "Application",
        "metadata": _merge(base_metadata, metadata or {}),
        "spec": _merge(base_spec, spec),
    }


def system(name: str = "payments", *, owner: str = "team-payments", **extra: Any) -> dict[str, Any]:
    """A valid ``System``; ``extra`` keywords add or replace metadata fields."""
    return {
        "apiVersion": m.API_VERSION,
        "kind": "System",
        "metadata": _merge({"name": name, "owner": owner}, extra),
    }


def dump(*documents: Mapping[str, Any]) -> bytes:
    """The documents as one multi-document YAML file."""
    return yaml.safe_dump_all(documents, sort_keys=False).encode()


def model(document: Mapping[str, Any]) -> m.Application:
    return m.Application.model_validate(document)


def parse(data: str | bytes, *, path: str = PATH) -> ParsedFile:
    raw = data.encode() if isinstance(data, str) else data
    return parse_file(path, raw, ENVIRONMENTS)


def problems(data: str | bytes, *, path: str = PATH) -> list[str]:
    """Every problem of one file, as ``path:line:column: message``."""
    return [str(problem) for problem in parse(data, path=path).problems]


def only_problem(data: str | bytes, *, path: str = PATH) -> str:
    """The one problem of a file that must have exactly one; the file must yield no manifest."""
    parsed = parse(data, path=path)
    assert not parsed.applications and not parsed.systems, parsed
    assert len(parsed.problems) == 1, [str(problem) for problem in parsed.problems]
    return str(parsed.problems[0])


def assert_valid(data: str | bytes) -> ParsedFile:
    parsed = parse(data)
    assert [str(problem) for problem in parsed.problems] == []
    assert len(parsed.applications) + len(parsed.systems) >= 1
    return parsed


def compile_files(
    files: Mapping[str, str | bytes], entity_context: EntityContext | None = None
) -> list[CompiledFile]:
    """Each file compiled, in path order (the order the ingest hands them to ``assemble``)."""
    ctx = entity_context or context()
    return [
        compile_file(path, data.encode() if isinstance(data, str) else data, ctx)
        for path, data in sorted(files.items())
    ]


def catalog_of(
    files: Mapping[str, str | bytes], entity_context: EntityContext | None = None
) -> Catalog:
    ctx = entity_context or context()
    return assemble(compile_files(files, ctx), ctx)


def entities_of(catalog: Catalog) -> list[Entity]:
    return [json.loads(document) for document in catalog.documents]


def names(entities: Iterable[Entity], kind: str | None = None) -> list[str]:
    return [e["metadata"]["name"] for e in entities if kind is None or e["kind"] == kind]


def by_ref(entities: Iterable[Entity]) -> dict[str, Entity]:
    return {f"{e['kind'].lower()}:default/{e['metadata']['name']}": e for e in entities}
