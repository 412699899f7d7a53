"""The one rule engine for "these files against this catalog": ingest, ``catalog-service validate``,
``POST /api/v1/validate`` and the pull-request check all answer through it.

A review swaps changed files into the base catalog's compiled files and assembles the result with
the very rules of ingest (``assemble``, or ``reassemble`` when no path comes or goes), then tells
what the change does: the problems of the changed files, the problems it newly causes elsewhere,
the Components it removes that others still depend on, and the entities it adds, changes, removes.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from catalog_service.domain.catalog import (
    Catalog,
    CompiledFile,
    assemble,
    compile_file,
    internal_error,
    reassemble,
)
from catalog_service.domain.entities import EntityContext
from catalog_service.domain.problems import ERROR, Problem, printable

# Where a body sent without a path is checked, when no catalog file declares what it declares.
UNNAMED_PATH = "manifest.yaml"

# A change: the new file at its path, or None for a deletion.
Changes = Mapping[str, CompiledFile | None]


@dataclass(frozen=True, slots=True)
class EntityDiff:
    """Entity refs (``kind:namespace/name``), each tuple sorted."""

    added: tuple[str, ...] = ()
    changed: tuple[str, ...] = ()  # the same ref, another document
    removed: tuple[str, ...] = ()

    @property
    def empty(self) -> bool:
        return not (self.added or self.changed or self.removed)


@dataclass(frozen=True, slots=True)
class BrokenDependency:
    """An application whose Component the change removes while accepted applications still
    list it in ``dependsOn``: merging would leave them pointing at nothing."""

    name: str
    path: str  # the file that declared it in the base catalog
    dependents: tuple[str, ...]  # sorted

    @property
    def message(self) -> str:
        names = ", ".join(repr(name) for name in self.dependents)
        return f"removing {self.name!r} ({self.path}) leaves {names} depending on it"


@dataclass(frozen=True, slots=True)
class Review:
    changed_paths: tuple[str, ...]  # every path the change touches, deletions too; sorted
    deleted_paths: tuple[str, ...]
    # Everything the change is answerable for, in the catalog's order (by path, then line; a
    # file's "more problems" last): the problems of the changed files, and those it newly causes
    # in other files (a name taken, a dependsOn left dangling).
    findings: tuple[Problem, ...]
    broken: tuple[BrokenDependency, ...]  # also located, as errors, in ``findings``
    entities: EntityDiff
    catalog: Catalog  # the catalog the change leads to

    @property
    def problems(self) -> tuple[Problem, ...]:
        """The findings located in the changed files."""
        return tuple(p for p in self.findings if p.path in self.changed_paths)

    @property
    def caused(self) -> tuple[Problem, ...]:
        """The findings located in other files."""
        return tuple(p for p in self.findings if p.path not in self.changed_paths)

    @property
    def passed(self) -> bool:
        return not any(problem.severity == ERROR for problem in self.findings)


def empty_catalog(context: EntityContext) -> Catalog:
    return assemble((), context)


def compile_changes(changes: Mapping[str, bytes | None], context: EntityContext) -> Changes:
    """Files' new bytes (None: deleted) compiled as ingest compiles them."""
    return {
        path: None if data is None else compile_file(path, data, context)
        for path, data in changes.items()
    }


def review(
    base: Catalog,
    changes: Changes,
    context: EntityContext,
    *,
    appended: Sequence[CompiledFile] = (),
) -> Review:
    """What ``changes`` do to ``base`` (whose ``files`` are in path order, as ingest keeps them).

    ``appended`` files come after every other file whatever their path: a file whose place is
    unknown then never takes a name from the catalog (the smaller path wins)."""
    files, replaced, deleted = _apply(base, changes)
    files += appended
    result = reassemble(base, files, replaced, context)
    entities = entity_diff(base, result)
    broken = _broken_dependencies(base, result, entities.removed)
    touched = {printable(path) for path in changes} | {file.path for file in appended}
    findings = _with_broken(result.problems, broken, result)
    before = {problem for problem in base.problems if problem.path not in touched}
    return Review(
        changed_paths=tuple(sorted(touched)),
        deleted_paths=tuple(sorted(deleted)),
        findings=tuple(p for p in findings if p.path in touched or p not in before),
        broken=broken,
        entities=entities,
        catalog=result,
    )


def _apply(
    base: Catalog, changes: Changes
) -> tuple[list[CompiledFile], dict[str, tuple[CompiledFile, CompiledFile]], list[str]]:
    """The base files with the changes made, still in path order; the files replaced in place
    (for ``reassemble``); the paths deleted."""
    files, paths = list(base.files), list(base.paths)
    replaced: dict[str, tuple[CompiledFile, CompiledFile]] = {}
    deleted = []
    for path, new in sorted(changes.items()):
        if new is not None and new.path != path:
            raise ValueError(f"the change to {path!r} holds the file {new.path!r}")
        index = bisect_left(paths, path)
        present = index < len(paths) and paths[index] == path
        if new is None:
            if present:
                del files[index], paths[index]
                deleted.append(path)
        elif present:
            replaced[path] = (files[index], new)
            files[index] = new
        else:
            files.insert(index, new)
            paths.insert(index, path)
    return files, replaced, deleted


def entity_diff(base: Catalog, result: Catalog) -> EntityDiff:
    """Entities added, changed, removed. Applications kept as they were (the very same objects:
    every file the change leaves alone) cannot differ, so only the others are looked at."""
    kept = {id(app) for app in base.applications}.intersection(
        id(app) for app in result.applications
    )
    before, after = _system_documents(base), _system_documents(result)
    for catalog, documents in ((base, before), (result, after)):
        for app in catalog.applications:
            if id(app) not in kept:
                documents.update(zip(app.refs, app.documents, strict=True))
    return EntityDiff(
        added=tuple(sorted(after.keys() - before.keys())),
        changed=tuple(sorted(ref for ref, doc in after.items() if before.get(ref, doc) != doc)),
        removed=tuple(sorted(before.keys() - after.keys())),
    )


def _system_documents(catalog: Catalog) -> dict[str, bytes]:
    systems = catalog.system_refs
    return dict(zip(systems, catalog.documents[: len(systems)], strict=True))


def _broken_dependencies(
    base: Catalog, result: Catalog, removed: Iterable[str]
) -> tuple[BrokenDependency, ...]:
    gone = {ref.split("/", 1)[1] for ref in removed if ref.startswith("component:")}
    if not gone:
        return ()
    dependents: dict[str, list[str]] = {name: [] for name in gone}
    for app in result.applications:
        if not gone.isdisjoint(app.depends_on):
            for name in gone.intersection(app.depends_on):
                dependents[name].append(app.name)
    return tuple(
        BrokenDependency(name, base.declared.get(name, "?"), tuple(sorted(names)))
        for name, names in sorted(dependents.items())
        if names
    )


def _with_broken(
    problems: Iterable[Problem], broken: Sequence[BrokenDependency], result: Catalog
) -> list[Problem]:
    """The catalog's problems, with an error at each ``dependsOn`` item that names a removed
    application: it stands in for the warning the same item may have there."""
    if not broken:
        return list(problems)
    by_name = {item.name: item for item in broken}
    located = []
    for app in result.applications:
        for index, name in enumerate(app.depends_on):
            if name in by_name:
                line, column = app.depends_on_at[index]
                message = f"spec.dependsOn[{index}]: {by_name[name].message}"
                located.append(Problem(app.path, line, column, message))
    at = {(p.path, p.line, p.column) for p in located}
    kept = [p for p in problems if (p.path, p.line, p.column) not in at or p.severity == ERROR]
    # By path only (a stable sort): each file keeps its order, its "more problems" last.
    return sorted(kept + sorted(located), key=lambda problem: problem.path)


def check_text(
    path: str | None, data: bytes, context: EntityContext, base: Catalog | None = None
) -> list[Problem]:
    """What ``validate`` answers: the findings of the review of ``data`` as the file at ``path``
    against ``base`` (an empty catalog when None). See :func:`review_text`."""
    try:
        return list(review_text(path, data, context, base).findings)
    except Exception as error:  # as in compile_file: a bug is this text's problem, no 500
        return [Problem(path or UNNAMED_PATH, 1, 1, internal_error(error))]


def review_text(
    path: str | None, data: bytes, context: EntityContext, base: Catalog | None = None
) -> Review:
    """The review of one file's text. Without ``path``, the text is taken as the catalog file
    that declares the first application (else system) it declares; failing that, as a new file
    ``manifest.yaml`` that comes after every catalog file."""
    base = base if base is not None else empty_catalog(context)
    if path is not None:
        return review(base, {path: compile_file(path, data, context)}, context)
    unnamed = compile_file(UNNAMED_PATH, data, context)
    known = _declaring_path(base, unnamed)
    if known is None:
        return review(base, {}, context, appended=(unnamed,))
    return review(base, {known: compile_file(known, data, context)}, context)


def _declaring_path(base: Catalog, file: CompiledFile) -> str | None:
    for name in [app.name for app in file.applications] + list(file.rejected_names):
        if name in base.declared:
            return base.declared[name]
    wanted = {system.name for system in file.systems}
    if wanted:
        for known in base.files:
            if any(system.name in wanted for system in known.systems):
                return known.path
    return None
