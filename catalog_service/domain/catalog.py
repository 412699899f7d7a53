"""Files become a catalog: compile each file on its own, then assemble them with the rules that span
files (unique names, dependencies that exist, implied systems).

Compiling is the expensive part and depends on one file only, so callers cache compiled files by
content and recompile just the files that changed; assembling is a cheap pass over all of them.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass

from catalog_service.domain import manifests as m
from catalog_service.domain.entities import (
    Entity,
    EntityContext,
    application_entities,
    declared_system_entity,
    implied_system_entity,
)
from catalog_service.domain.parsing import ParsedApplication, ParsedSystem, parse_file
from catalog_service.domain.problems import Problem


def encode_entity(entity: Entity) -> bytes:
    """The compact JSON of one entity, as served inside ``/api/v1/entities``."""
    return json.dumps(entity, ensure_ascii=False, separators=(",", ":")).encode()


@dataclass(frozen=True, slots=True)
class CompiledApplication:
    parsed: ParsedApplication
    # The Component then its Resources, encoded once here rather than on every request.
    documents: tuple[bytes, ...]
    resource_names: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class CompiledSystem:
    parsed: ParsedSystem
    document: bytes


@dataclass(frozen=True, slots=True)
class CompiledFile:
    path: str
    applications: tuple[CompiledApplication, ...]
    systems: tuple[CompiledSystem, ...]
    problems: tuple[Problem, ...]
    digest: bytes  # of the documents, so a catalog's ETag needs no pass over all its bytes

    @property
    def manifest_count(self) -> int:
        return len(self.applications) + len(self.systems) + len(self.problems)


def compile_file(path: str, data: bytes, context: EntityContext) -> CompiledFile:
    """Parse, validate, convert and encode one manifest file."""
    parsed = parse_file(path, data, context.environments)
    compiled_apps = []
    for app in parsed.applications:
        documents = tuple(
            encode_entity(entity)
            for entity in application_entities(app.manifest, app.path, context)
        )
        components = app.manifest.spec.components
        names = tuple(m.resource_name(app.manifest.metadata.name, c.name) for c in components)
        compiled_apps.append(CompiledApplication(app, documents, names))
    compiled_systems = [
        CompiledSystem(
            system, encode_entity(declared_system_entity(system.manifest, system.path, context))
        )
        for system in parsed.systems
    ]
    parts = [document for app in compiled_apps for document in app.documents]
    parts += [system.document for system in compiled_systems]
    parts += [str(problem).encode() for problem in parsed.problems]
    return CompiledFile(
        path, tuple(compiled_apps), tuple(compiled_systems), parsed.problems, _digest(path, parts)
    )


def rejected(path: str, message: str) -> CompiledFile:
    """A file refused as a whole: too large, a symbolic link, unreadable."""
    problem = Problem(path, 1, 1, message)
    return CompiledFile(path, (), (), (problem,), _digest(path, [message.encode()]))


@dataclass(frozen=True, slots=True)
class Catalog:
    """The entities and problems of one set of files."""

    documents: tuple[bytes, ...]
    refs: frozenset[str]
    problems: tuple[Problem, ...]
    applications: tuple[m.Application, ...]
    manifest_files: int
    digest: str

    @property
    def entity_count(self) -> int:
        return len(self.documents)


def assemble(files: Iterable[CompiledFile], context: EntityContext) -> Catalog:
    """Apply the rules that span files. ``files`` come in path order: the smaller path wins."""
    files = list(files)
    problems: list[Problem] = [problem for file in files for problem in file.problems]
    winners: dict[str, CompiledApplication] = {}
    candidates: list[CompiledApplication] = []
    for file in files:
        for app in file.applications:
            name = app.parsed.manifest.metadata.name
            first = winners.get(name)
            if first is None:
                winners[name] = app
                candidates.append(app)
            else:
                problems.append(
                    _problem(
                        app.parsed.path,
                        app.parsed.name_at,
                        f"metadata.name: an application named {name!r} is already declared in"
                        f" {first.parsed.path}; names are unique in the catalog",
                    )
                )

    accepted: list[CompiledApplication] = []
    resource_owner: dict[str, str] = {}
    for app in candidates:
        manifest = app.parsed.manifest
        app_problems = [
            _missing_dependency(app.parsed.path, position, index, name)
            for index, (name, position) in enumerate(
                zip(manifest.spec.depends_on, app.parsed.depends_on_at, strict=True)
            )
            if name not in winners
        ]
        for index, resource in enumerate(app.resource_names):
            holder = resource_owner.get(resource)
            if holder is not None:
                app_problems.append(
                    _problem(
                        app.parsed.path,
                        app.parsed.components_at[index],
                        f"spec.components[{index}].name: the resource name {resource!r} is"
                        f" already taken by application {holder!r}",
                    )
                )
        if app_problems:
            problems.extend(app_problems)
            continue
        for resource in app.resource_names:
            resource_owner[resource] = manifest.metadata.name
        accepted.append(app)

    declared: dict[str, CompiledSystem] = {}
    for file in files:
        for system in file.systems:
            name = system.parsed.manifest.metadata.name
            if name in declared:
                problems.append(
                    _problem(
                        system.parsed.path,
                        system.parsed.name_at,
                        f"metadata.name: a system named {name!r} is already declared in"
                        f" {declared[name].parsed.path}",
                    )
                )
            else:
                declared[name] = system

    by_system: dict[str, list[tuple[m.Application, str]]] = defaultdict(list)
    for app in accepted:
        manifest = app.parsed.manifest
        by_system[manifest.metadata.system].append((manifest, app.parsed.path))

    documents: list[bytes] = []
    refs: set[str] = set()
    for name in sorted(set(declared) | set(by_system)):
        refs.add(f"system:default/{name}")
        if name in declared:
            documents.append(declared[name].document)
        else:
            documents.append(encode_entity(implied_system_entity(name, by_system[name], context)))
    for app in accepted:
        documents.extend(app.documents)
        refs.add(f"component:default/{app.parsed.manifest.metadata.name}")
        refs.update(f"resource:default/{name}" for name in app.resource_names)
    # The output is a function of the files and the context: hashing their digests is enough.
    digest = hashlib.blake2b(repr(context).encode(), digest_size=16)
    for file in files:
        digest.update(file.digest)
    problems.sort()
    return Catalog(
        documents=tuple(documents),
        refs=frozenset(refs),
        problems=tuple(problems),
        applications=tuple(app.parsed.manifest for app in accepted),
        manifest_files=len(files),
        digest=digest.hexdigest(),
    )


def _digest(path: str, parts: Iterable[bytes]) -> bytes:
    digest = hashlib.blake2b(path.encode(), digest_size=16)
    for part in parts:
        digest.update(b"\0" + part)
    return digest.digest()


def _missing_dependency(path: str, position: tuple[int, int], index: int, name: str) -> Problem:
    return _problem(
        path, position, f"spec.dependsOn[{index}]: no application named {name!r} in the catalog"
    )


def _problem(path: str, position: tuple[int, int], message: str) -> Problem:
    return Problem(path, position[0], position[1], message)


def check_text(
    path: str, data: bytes, context: EntityContext, known_applications: Collection[str]
) -> list[Problem]:
    """The problems of one file on its own, its dependencies checked against known names too.

    What a GitOps repository's CI asks before merging a change to ``path``.
    """
    compiled = compile_file(path, data, context)
    names = set(known_applications) | {
        app.parsed.manifest.metadata.name for app in compiled.applications
    }
    problems = list(compiled.problems)
    for app in compiled.applications:
        for index, (name, position) in enumerate(
            zip(app.parsed.manifest.spec.depends_on, app.parsed.depends_on_at, strict=True)
        ):
            if name not in names:
                problems.append(_missing_dependency(app.parsed.path, position, index, name))
    return sorted(problems)
