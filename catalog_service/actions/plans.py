"""What an action would change, worked out against the served catalog before any git work: the
refusals (409, 403, 404, 422) come from here, and so does the diff a dry run answers.

A plan carries its edit as a function of the file's current bytes: the writer applies it again on
whatever tip it builds on, so an edit never overwrites a change made since the catalog was read.

A plan's branch is named after what it changes (a short hash of the path and the content), so two
different requests never share a branch, and the same request again finds its own.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from catalog_service.actions.git_paths import check_path
from catalog_service.actions.git_writer import BranchChange
from catalog_service.actions.manifest_edits import (
    NewApplication,
    promote_version,
    render_new_manifest,
    set_version,
    unified_diff,
)
from catalog_service.actions.requester import Requester, check_protected
from catalog_service.actions.schemas import (
    CreateApplicationInput,
    PromoteImageInput,
    SetVersionInput,
)
from catalog_service.domain.catalog import Catalog
from catalog_service.domain.entities import EntityContext
from catalog_service.domain.problems import ERROR, Problem
from catalog_service.domain.review import check_text
from catalog_service.errors import (
    ConflictError,
    InvalidRequestError,
    ManifestEditError,
    ManifestInvalidError,
    NotFoundError,
    RequestError,
)
from catalog_service.settings import Settings

# The bytes of a file at the catalog's revision (None: no such file).
FileReader = Callable[[str], bytes | None]
_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")
_HASH_LENGTH = 10  # hex digits: 40 bits, no collision among a repository's branches


@dataclass(frozen=True, slots=True)
class Plan:
    action: str
    path: str
    branch: str
    diff: str  # against the catalog's revision
    changed: bool
    edit: Callable[[bytes | None], bytes | None]  # the current file -> the new one
    title: str
    summary: str  # what the pull request does, for its body
    direct: bool = False  # committed on the GitOps branch itself, no pull request
    # Whether a branch's change (before, after) is this request's all the same, when its edit
    # depends on the time (a database copy's expiry).
    equivalent: Callable[[bytes | None, bytes | None], bool] | None = None


def plan_create(
    request: CreateApplicationInput,
    settings: Settings,
    context: EntityContext,
    catalog: Catalog,
    requester: Requester,
) -> Plan:
    """A new manifest at ``actions.manifestPath``: refused when it puts a version in a protected
    environment the requester may not promote into (403: that is a promotion into it), when the
    name is taken (409), when the path leaves the manifest roots (400) or when the rule engine
    finds errors (422)."""
    check_protected(
        requester,
        list(request.environments),
        settings.promotion.protected,
        what="put a version in it (a new application with a version there is a promotion into it)",
    )
    path = check_path(
        settings.actions.manifestPath.format(system=request.system, name=request.name),
        settings.source.roots,
    )
    if request.name in catalog.declared:
        raise ConflictError(
            f"an application named {request.name!r} exists already"
            f" ({catalog.declared[request.name]})"
        )
    if path in catalog.paths:
        raise ConflictError(f"{path} exists already; choose another name or system")
    text = render_new_manifest(new_application(request), settings.environments)
    data = text.encode()
    errors = [p for p in check_text(path, data, context, catalog) if p.severity == ERROR]
    if errors:
        raise ManifestInvalidError("\n".join(str(problem) for problem in errors))

    def edit(current: bytes | None) -> bytes | None:
        if current is None or current == data:
            return data
        raise ConflictError(f"{path} exists already with other content; nothing was written")

    return Plan(
        action="create-application",
        path=path,
        branch=branch_name(f"idp/create-{request.name}", path, text),
        diff=unified_diff(path, "", text),
        changed=True,
        edit=edit,
        title=f"Add application {request.name}",
        summary=f"Adds the application `{request.name}` (system `{request.system}`,"
        f" owner `{request.owner}`) in `{path}`.",
    )


def new_application(request: CreateApplicationInput) -> NewApplication:
    return NewApplication(
        name=request.name,
        system=request.system,
        owner=request.owner,
        type=request.type,
        description=request.description,
        lifecycle=request.lifecycle,
        tags=tuple(request.tags),
        links=tuple(link.model_dump(exclude_none=True) for link in request.links),
        source_repository=request.sourceRepository,
        image=request.image,
        chart=request.chart.model_dump() if request.chart else None,
        schedule=request.schedule,
        components=tuple(item.model_dump() for item in request.components),
        secrets=tuple(item.model_dump(exclude_none=True) for item in request.secrets),
        depends_on=tuple(request.dependsOn),
        environments={
            env: spec.model_dump(exclude_none=True) for env, spec in request.environments.items()
        },
    )


def plan_promote(
    request: PromoteImageInput,
    settings: Settings,
    catalog: Catalog,
    read: FileReader,
    requester: Requester,
) -> Plan:
    """Copy the version of ``from`` into the next environment: refused when the step is not one
    along the order (409), the requester may not (403), the version differs (409), or the
    application or environment is not there (404)."""
    order = settings.environments
    source, target = _step(request, order)
    check_protected(requester, [target], settings.promotion.protected)
    path = catalog.declared.get(request.application)
    if path is None:
        raise NotFoundError(f"no application named {request.application!r} in the catalog")
    data = read(path)
    if data is None:
        raise NotFoundError(f"{path} is not in the catalog's revision; refresh and try again")
    text = _text(path, data)
    result = promote_version(text, request.application, source, target, order, path=path)
    version = result.version
    if request.version is not None and request.version != version:
        raise ConflictError(
            f"{request.application!r} runs {version!r} in {source!r}, not {request.version!r}:"
            f" only the version in {source!r} can be promoted"
        )
    app = request.application

    def edit(current: bytes | None) -> bytes | None:
        if current is None:
            raise ConflictError(f"{path} was removed since the catalog was read; nothing written")
        now = promote_version(_text(path, current), app, source, target, order, path=path)
        if now.version != version:
            raise ConflictError(
                f"{app!r} no longer runs {version!r} in {source!r} (it changed since the catalog"
                " was read); refresh and try again"
            )
        return now.new_text.encode()

    return Plan(
        action="promote-image",
        path=path,
        branch=branch_name(
            f"idp/promote-{app}-{target}-{_UNSAFE.sub('-', version)[:48]}",
            path,
            app,
            source,
            target,
            version,
        ),
        diff=result.diff,
        changed=result.changed,
        edit=edit,
        title=f"Promote {app} {version} to {target}",
        summary=f"Promotes `{app}` version `{version}` from `{source}` to `{target}` in `{path}`.",
    )


def plan_set_version(
    request: SetVersionInput, settings: Settings, catalog: Catalog, read: FileReader
) -> Plan:
    """Set the version of the first environment of the order (what CI does after a build):
    refused for any other environment (400), or when the application or its first environment
    is not there (404)."""
    first = settings.environments[0]
    if request.environment is not None and request.environment != first:
        raise InvalidRequestError(
            f"set-version sets the first environment only ({first!r}), not"
            f" {request.environment!r}; promote from {first!r} with promote-image"
        )
    app, version = request.application, request.version
    path = catalog.declared.get(app)
    if path is None:
        raise NotFoundError(f"no application named {app!r} in the catalog")
    data = read(path)
    if data is None:
        raise NotFoundError(f"{path} is not in the catalog's revision; refresh and try again")
    result = set_version(_text(path, data), app, first, version, path=path)

    def edit(current: bytes | None) -> bytes | None:
        if current is None:
            raise ConflictError(f"{path} was removed since the catalog was read; nothing written")
        return set_version(_text(path, current), app, first, version, path=path).new_text.encode()

    pull_request = settings.actions.setVersion.pullRequest
    return Plan(
        action="set-version",
        path=path,
        branch=(
            branch_name(
                f"idp/set-version-{app}-{first}-{_UNSAFE.sub('-', version)[:48]}",
                path,
                app,
                first,
                version,
            )
            if pull_request
            else settings.source.branch
        ),
        diff=result.diff,
        changed=result.changed,
        edit=edit,
        title=f"Set {app} {version} in {first}",
        summary=f"Sets `{app}` to version `{version}` in `{first}` in `{path}`.",
        direct=not pull_request,
    )


def _step(request: PromoteImageInput, order: Sequence[str]) -> tuple[str, str]:
    source = request.from_
    if source not in order:
        raise NotFoundError(f"unknown environment {source!r}; configured: {', '.join(order)}")
    index = order.index(source)
    following = order[index + 1] if index + 1 < len(order) else None
    target = request.to or following
    if target is None:
        raise ConflictError(f"{source!r} is the last environment: there is nothing to promote to")
    if target not in order:
        raise NotFoundError(f"unknown environment {target!r}; configured: {', '.join(order)}")
    if target != following:
        raise ConflictError(
            f"a promotion moves one step along {' -> '.join(order)}: from {source!r} the next"
            f" environment is {following or 'none'}, not {target!r}"
        )
    return source, target


def refuse_new_errors(
    plan: Plan, before: bytes | None, context: EntityContext, catalog: Catalog
) -> None:
    """An edit never gives its file an error the rule engine did not find there before (422):
    CI's set-version with a version the manifest cannot hold (``1.0+build`` for an image) would
    commit a manifest that leaves the catalog, and with it every deployment render writes."""
    if not plan.changed or before is None:
        return  # nothing written, or a new file (create-application checked it whole)
    after = plan.edit(before)
    if after is None:
        return
    had = Counter(problem.message for problem in _errors(plan.path, before, context, catalog))
    new = []
    for problem in _errors(plan.path, after, context, catalog):
        if had[problem.message] > 0:
            had[problem.message] -= 1
        else:
            new.append(problem)
    if new:
        raise ManifestInvalidError(
            "the change would give the manifest new errors, so nothing was written:\n"
            + "\n".join(str(problem) for problem in new)
        )


def _errors(path: str, data: bytes, context: EntityContext, catalog: Catalog) -> list[Problem]:
    return [p for p in check_text(path, data, context, catalog) if p.severity == ERROR]


def branch_difference(plan: Plan, found: BranchChange) -> str | None:
    """None when the branch changes exactly what ``plan`` would, from where it left the base
    (the same request again); otherwise what differs, for a 409."""
    if found.merge_base is None:
        return "it shares no history with the base branch"
    others = [path for path in found.paths if path != plan.path]
    if others:
        shown = ", ".join(others[:3]) + (f" and {len(others) - 3} more" if len(others) > 3 else "")
        return f"it also changes {shown}"
    before, after = found.before.get(plan.path), found.after.get(plan.path)
    try:
        wanted = plan.edit(before)
    except RequestError as error:
        return f"this request cannot be applied where it left {plan.path}: {error.message}"
    if wanted != after and not (plan.equivalent is not None and plan.equivalent(before, after)):
        return f"its {plan.path} is not what this request writes"
    return None


def branch_name(readable: str, *content: str) -> str:
    """``readable`` and a short hash of ``content``: versions that read alike (``1.0.0+rc.1``,
    ``1.0.0-rc.1``) or one name in two systems give two branches, never one."""
    digest = hashlib.sha256("\0".join(content).encode("utf-8", "surrogatepass")).hexdigest()
    readable = re.sub(r"\.{2,}", ".", readable).rstrip(".-")
    return f"{readable}-{digest[:_HASH_LENGTH]}"


def _text(path: str, data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise ManifestEditError(f"{path}:{line}:1: the file is not UTF-8 text") from None
