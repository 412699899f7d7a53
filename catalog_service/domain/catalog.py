"""Files become a catalog: compile each file on its own, then assemble them with the rules that span
files (unique names, dependencies that exist, implied systems).

Compiling is the expensive part and depends on one file only, so callers cache compiled files by
content and recompile just the files that changed; assembling is a cheap pass over all of them.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections import defaultdict
from collections.abc import Callable, Container, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from itertools import chain
from operator import attrgetter

from catalog_service.domain import manifests as m
from catalog_service.domain.copies import LocatedCopy, expiry_warnings
from catalog_service.domain.entities import (
    Entity,
    EntityContext,
    application_entities,
    declared_system_entity,
    implied_system_entity,
    live_copy_names,
)
from catalog_service.domain.parsing import (
    MAX_FILE_BYTES,
    ParsedApplication,
    ParsedFile,
    Position,
    parse_file,
)
from catalog_service.domain.problems import WARNING, Problem, cap, is_utf8, printable


def encode_entity(entity: Entity) -> bytes:
    """The compact JSON of one entity, as served inside ``/api/v1/entities``."""
    return json.dumps(entity, ensure_ascii=False, separators=(",", ":")).encode()


@dataclass(frozen=True, slots=True)
class CompiledApplication:
    """An application ready to assemble. Only what assembling and reporting read is kept (the
    validated model is not: it would be most of the memory of a large catalog)."""

    path: str
    name: str
    type: str
    system: str
    owner: str
    depends_on: tuple[str, ...]
    # The Component then its Resources, encoded once here rather than on every request.
    documents: tuple[bytes, ...]
    resource_names: tuple[str, ...]
    refs: tuple[str, ...]  # of the documents, for the held-back check
    # Where the cross-file rules point: metadata.name, each dependsOn item, each component name.
    name_at: Position
    depends_on_at: tuple[Position, ...]
    components_at: tuple[Position, ...]
    # Its database copies, live or not (the janitor removes those expired), located.
    copies: tuple[LocatedCopy, ...] = ()

    @property
    def shape(self) -> tuple[object, ...]:
        """What the rules across files read of this application (not its documents)."""
        return (
            self.name,
            self.system,
            self.owner,
            self.depends_on,
            self.resource_names,
            self.name_at,
            self.depends_on_at,
            self.components_at,
        )


@dataclass(frozen=True, slots=True)
class CompiledSystem:
    path: str
    name: str
    name_at: Position
    document: bytes


@dataclass(frozen=True, slots=True)
class CompiledFile:
    path: str
    applications: tuple[CompiledApplication, ...]
    systems: tuple[CompiledSystem, ...]
    problems: tuple[Problem, ...]
    digest: bytes  # of the documents, so a catalog's ETag needs no pass over all its bytes
    rejected_names: tuple[str, ...] = ()
    omitted: int = 0  # problems past the cap per file: counted, not kept

    @property
    def manifest_count(self) -> int:
        return len(self.applications) + len(self.systems) + len(self.problems)

    @property
    def shape(self) -> tuple[object, ...]:
        """What the rules across files read of this file: two versions of a file with the same
        shape differ only in their own documents (a version bump, a description, a link)."""
        return (
            tuple(app.shape for app in self.applications),
            tuple((system.name, system.name_at, system.document) for system in self.systems),
            self.problems,
            self.rejected_names,
            self.omitted,
        )


def compile_file(
    path: str,
    data: bytes,
    context: EntityContext,
    *,
    parse: Callable[[str, bytes, Sequence[str]], ParsedFile] = parse_file,
) -> CompiledFile:
    """Parse, validate, convert and encode one manifest file. Never raises: whatever the bytes
    and the name, the file ends as manifests and located problems (``parse`` is the parser)."""
    if not is_utf8(path):  # git hands such names decoded with surrogateescape
        return rejected(path, "the file name is not valid UTF-8; rename the file")
    try:
        return _compile(path, data, context, parse)
    except Exception as error:
        # A bug met by one file must not stop the catalog from changing: that file is left out.
        return rejected(path, internal_error(error))


def internal_error(error: Exception) -> str:
    return (
        f"internal error while reading this file ({type(error).__name__}); it is left out,"
        " the rest of the catalog is not affected; please report it"
    )


def _compile(
    path: str,
    data: bytes,
    context: EntityContext,
    parse: Callable[[str, bytes, Sequence[str]], ParsedFile],
) -> CompiledFile:
    parsed = parse(path, data, context.environments)
    applications = tuple(_compile_application(app, context) for app in parsed.applications)
    systems = tuple(
        CompiledSystem(
            system.path,
            system.manifest.metadata.name,
            system.name_at,
            encode_entity(declared_system_entity(system.manifest, system.path, context)),
        )
        for system in parsed.systems
    )
    parts = [document for app in applications for document in app.documents]
    parts += [system.document for system in systems]
    parts += [str(problem).encode() for problem in parsed.problems]
    parts.append(b"omitted:%d" % parsed.omitted)
    # Rejected names satisfy other files' dependencies: renaming one changes the catalog.
    parts += [b"rejected:" + name.encode() for name in parsed.rejected_names]
    return CompiledFile(
        path,
        applications,
        systems,
        parsed.problems,
        _digest(path, parts),
        parsed.rejected_names,
        parsed.omitted,
    )


def _compile_application(app: ParsedApplication, context: EntityContext) -> CompiledApplication:
    manifest = app.manifest
    name = manifest.metadata.name
    now = context.clock()
    resources = tuple(m.resource_name(name, c.name) for c in manifest.spec.components)
    resources += tuple(live_copy_names(manifest, now))
    return CompiledApplication(
        path=app.path,
        name=name,
        type=manifest.spec.type,
        system=manifest.metadata.system,
        owner=manifest.metadata.owner,
        depends_on=tuple(manifest.spec.depends_on),
        documents=tuple(
            encode_entity(entity)
            for entity in application_entities(manifest, app.path, context, now)
        ),
        resource_names=resources,
        refs=(f"component:default/{name}", *(f"resource:default/{r}" for r in resources)),
        name_at=app.name_at,
        depends_on_at=app.depends_on_at,
        components_at=app.components_at,
        copies=app.copies,
    )


def rejected(path: str, message: str) -> CompiledFile:
    """A file refused as a whole: too large, a symbolic link, unreadable."""
    problem = Problem(path, 1, 1, message)
    return CompiledFile(path, (), (), (problem,), _digest(path, [message.encode()]))


def rejected_symlink(path: str) -> CompiledFile:
    """A symbolic link where a manifest should be: never followed, wherever it points."""
    return rejected(path, "is a symbolic link; manifests must be regular files")


def rejected_too_large(path: str) -> CompiledFile:
    """A file over the limit, refused before it is read."""
    return rejected(path, f"file is larger than {MAX_FILE_BYTES:,} bytes, the limit")


@dataclass(frozen=True, slots=True)
class Catalog:
    """The entities and problems of one set of files."""

    documents: tuple[bytes, ...]
    refs: frozenset[str]
    problems: tuple[Problem, ...]
    applications: tuple[CompiledApplication, ...]
    # Every application name a manifest declares, valid or not, and the path declaring it.
    declared: Mapping[str, str]
    paths: tuple[str, ...]  # of the files, in order
    digest: str
    # Per path: where its accepted applications' documents, and the applications, stand in
    # ``documents`` and ``applications`` (start, end, start, end), for ``reassemble``.
    spans: Mapping[str, tuple[int, int, int, int]] = field(default_factory=dict)
    # The compiled files themselves, in ``paths`` order: what a review of changes starts from.
    files: tuple[CompiledFile, ...] = ()
    # The refs of the Systems, which come first in ``documents``, in that order (by name).
    system_refs: tuple[str, ...] = ()

    @property
    def entity_count(self) -> int:
        return len(self.documents)

    @property
    def manifest_files(self) -> int:
        return len(self.paths)


def copy_warnings(catalog: Catalog, now: datetime) -> list[Problem]:
    """A warning at each database copy's ``expiresAt`` from one hour before it expires (until
    its removal is merged); not part of the catalog's rendered problems, since it depends on
    the time."""
    located = (copy for app in catalog.applications if app.copies for copy in app.copies)
    return list(expiry_warnings(located, now))


def assemble(files: Iterable[CompiledFile], context: EntityContext) -> Catalog:
    """Apply the rules that span files. ``files`` come in path order: the smaller path wins."""
    files = list(files)
    problems: list[Problem] = [problem for file in files for problem in file.problems]
    winners = _first_of_each_name(files, problems)
    # A dependency must be declared, not valid: one broken manifest must not take every
    # application that depends on it out of the catalog along with it (Backstage shows the
    # relation to a missing entity; its own problem is reported where it is).
    declared_names = {name: app.path for name, app in winners.items()}
    for file in files:
        for name in file.rejected_names:
            declared_names.setdefault(name, file.path)
    accepted = _accepted(winners, declared_names, problems)
    declared = _declared_systems(files, problems)
    documents, system_refs = _system_documents(declared, accepted, context)
    spans: dict[str, tuple[int, int, int, int]] = {}
    for index, app in enumerate(accepted):
        start = len(documents)
        documents.extend(app.documents)
        doc_start, _, app_start, _ = spans.get(app.path, (start, 0, index, 0))
        spans[app.path] = (doc_start, len(documents), app_start, index + 1)
    refs = frozenset(chain(system_refs, chain.from_iterable(app.refs for app in accepted)))
    omitted = {printable(file.path): file.omitted for file in files if file.omitted}
    return Catalog(
        documents=tuple(documents),
        refs=refs,
        problems=tuple(cap(problems, omitted)),
        applications=tuple(accepted),
        declared=declared_names,
        paths=tuple(file.path for file in files),
        digest=_catalog_digest(files, context),
        spans=spans,
        files=tuple(files),
        system_refs=tuple(system_refs),
    )


def _first_of_each_name(
    files: list[CompiledFile], problems: list[Problem]
) -> dict[str, CompiledApplication]:
    """Each application name's first declaration; a later one is a problem."""
    winners: dict[str, CompiledApplication] = {}
    for file in files:
        for app in file.applications:
            first = winners.setdefault(app.name, app)
            if first is not app:
                problems.append(_duplicate_application(app, first.path))
    return winners


def _accepted(
    winners: dict[str, CompiledApplication],
    declared_names: dict[str, str],
    problems: list[Problem],
) -> list[CompiledApplication]:
    """The applications that enter the catalog: all but those whose Resources' names clash;
    a missing dependency is a warning."""
    all_resources = [name for app in winners.values() for name in app.resource_names]
    resources_clash = len(set(all_resources)) != len(all_resources)
    accepted: list[CompiledApplication] = []
    resource_owner: dict[str, str] = {}
    for app in winners.values():
        # The fast paths (C-level set checks) keep this loop cheap for the usual, valid catalog.
        if not declared_names.keys() >= set(app.depends_on):
            # A warning: deleting one manifest never takes its dependents out of the catalog.
            problems += _missing_dependencies(app, declared_names)
        if resources_clash:
            # A rejected application's Resources are not in the catalog: it holds no name.
            clashes = _resource_clashes(app, resource_owner)
            if clashes:
                problems.extend(clashes)
                continue
        accepted.append(app)
    return accepted


def _declared_systems(
    files: list[CompiledFile], problems: list[Problem]
) -> dict[str, CompiledSystem]:
    """Each system name's first declaration; a later one is a problem."""
    declared: dict[str, CompiledSystem] = {}
    for file in files:
        for system in file.systems:
            name = system.name
            if name in declared:
                problems.append(
                    _problem(
                        system.path,
                        system.name_at,
                        f"metadata.name: a system named {name!r} is already declared in"
                        f" {declared[name].path}",
                    )
                )
            else:
                declared[name] = system
    return declared


def _system_documents(
    declared: dict[str, CompiledSystem],
    accepted: list[CompiledApplication],
    context: EntityContext,
) -> tuple[list[bytes], list[str]]:
    """Every system's document, declared or implied by its applications, by name; and refs."""
    by_system: dict[str, list[CompiledApplication]] = defaultdict(list)
    for app in accepted:
        by_system[app.system].append(app)
    documents: list[bytes] = []
    system_refs = []
    for name in sorted(declared.keys() | by_system.keys()):
        system_refs.append(f"system:default/{name}")
        if name in declared:
            documents.append(declared[name].document)
        else:
            members = by_system[name]
            owners = tuple(app.owner for app in members)
            documents.append(_implied_system(name, owners, members[0].path, context))
    return documents, system_refs


def reassemble(
    previous: Catalog,
    files: Sequence[CompiledFile],
    replaced: Mapping[str, tuple[CompiledFile, CompiledFile]],
    context: EntityContext,
) -> Catalog:
    """``assemble(files)``, given the catalog of the same paths before some files were
    ``replaced`` (path: old, new). When every replaced file keeps its shape, no rule across
    files can answer differently: only those files' documents are swapped in, which keeps a
    refresh after a version bump from redoing the work of every other file."""
    same_paths = tuple(map(_path_of, files)) == previous.paths
    if not same_paths or any(old.shape != new.shape for old, new in replaced.values()):
        return assemble(files, context)
    documents = list(previous.documents)
    applications = list(previous.applications)
    for path, (_, new) in replaced.items():
        if path not in previous.spans:
            continue  # none of its applications is in the catalog, and none will be
        doc_start, doc_end, app_start, app_end = previous.spans[path]
        accepted = {app.name for app in previous.applications[app_start:app_end]}
        now = [app for app in new.applications if app.name in accepted]
        documents[doc_start:doc_end] = [document for app in now for document in app.documents]
        applications[app_start:app_end] = now
    if len(documents) != len(previous.documents):  # the spans no longer hold: start over
        return assemble(files, context)
    return replace(
        previous,
        documents=tuple(documents),
        applications=tuple(applications),
        digest=_catalog_digest(files, context),
        files=tuple(files),
    )


# C-level reads of every file's path and digest: a one-file refresh reads them all.
_path_of = attrgetter("path")
_digest_of = attrgetter("digest")


def _catalog_digest(files: Sequence[CompiledFile], context: EntityContext) -> str:
    # The output is a function of the files and the context: hashing their digests is enough.
    digest = hashlib.blake2b(repr(context).encode(), digest_size=16)
    digest.update(b"".join(map(_digest_of, files)))
    return digest.hexdigest()


@functools.lru_cache(maxsize=4096)
def _implied_system(
    name: str, owners: tuple[str, ...], first_path: str, context: EntityContext
) -> bytes:
    # Cached: assembling runs on every refresh, and a refresh rarely changes a system's members.
    return encode_entity(implied_system_entity(name, owners, first_path, context))


def _resource_clashes(app: CompiledApplication, resource_owner: dict[str, str]) -> list[Problem]:
    """Resource names an earlier application took; records this one's when there are none."""
    clashes = []
    for index, resource in enumerate(app.resource_names):
        holder = resource_owner.get(resource)
        if holder is not None:
            clashes.append(
                _problem(
                    app.path,
                    app.components_at[index],
                    f"spec.components[{index}].name: the resource name {resource!r} is"
                    f" already taken by application {holder!r}",
                )
            )
    if not clashes:
        resource_owner.update(dict.fromkeys(app.resource_names, app.name))
    return clashes


def _digest(path: str, parts: Iterable[bytes]) -> bytes:
    digest = hashlib.blake2b(path.encode("utf-8", "surrogateescape"), digest_size=16)
    for part in parts:
        digest.update(b"\0" + part)
    return digest.digest()


def _missing_dependencies(app: CompiledApplication, names: Container[str]) -> list[Problem]:
    """A warning per ``dependsOn`` item that names no application in ``names``."""
    return [
        Problem(
            app.path,
            *app.depends_on_at[index],
            f"spec.dependsOn[{index}]: no application named {name!r} in the catalog",
            WARNING,
        )
        for index, name in enumerate(app.depends_on)
        if name not in names
    ]


def _problem(path: str, position: tuple[int, int], message: str) -> Problem:
    return Problem(path, position[0], position[1], message)


def _duplicate_application(app: CompiledApplication, first_path: str) -> Problem:
    return _problem(
        app.path,
        app.name_at,
        f"metadata.name: an application named {app.name!r} is already declared in"
        f" {first_path}; names are unique in the catalog",
    )
