"""The plans of a database copy (``copy-database``, docs/self-service.md#copy-database): the one
that adds it, and the janitor's that removes it once expired. Like ``plans``: refusals first,
then the edit as a function of the file's current bytes, on a branch named after the change.

A copy's expiry is the time of the request plus ``hours``, so the same copy asked again later
writes another ``expiresAt``: its branch is named after the copy without its expiry, and a
branch adding the same copy with another expiry counts as this request (its pull request is
answered, with the expiry it holds).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from catalog_service.actions.copy_edits import CopyEntry, add_copy, remove_copy
from catalog_service.actions.plans import FileReader, Plan, _text, branch_name
from catalog_service.actions.schemas import CopyDatabaseInput, RemoveCopyInput
from catalog_service.domain import manifests as m
from catalog_service.domain.catalog import Catalog
from catalog_service.domain.copies import utc_text
from catalog_service.domain.entities import EntityContext
from catalog_service.domain.parsing import parse_file
from catalog_service.domain.problems import ERROR
from catalog_service.domain.review import check_text
from catalog_service.errors import (
    CopyIntoProtectedError,
    InvalidRequestError,
    ManifestInvalidError,
    NotADatabaseError,
    NotFoundError,
)
from catalog_service.settings import Settings
from catalog_service.vocabulary import COPY_DATABASE


def copy_target_refusal(target: str, settings: Settings) -> str | None:
    """Why a copy may not go into ``target``: production data goes to non-production
    environments only (not the last of the order, not one in ``promotion.protected``)."""
    order = settings.environments
    if target == order[-1]:
        return f"{target!r} is the last environment of the order ({' -> '.join(order)})"
    if target in settings.promotion.protected:
        return f"{target!r} is protected (promotion.protected)"
    return None


def _checked_hours(request: CopyDatabaseInput, settings: Settings) -> int:
    """The copy's hours, once its environments are known and allowed (404, 400, 403)."""
    order = settings.environments
    source, target = request.from_, request.to
    for field, env in (("from", source), ("to", target)):
        if env not in order:
            raise NotFoundError(
                f"{field}: unknown environment {env!r}; configured: {', '.join(order)}"
            )
    if source == target:
        raise InvalidRequestError(
            f"from and to are both {source!r}: a copy goes into another environment"
        )
    refusal = copy_target_refusal(target, settings)
    if refusal is not None:
        raise CopyIntoProtectedError(
            f"to: a database copy cannot go into {refusal}; copies of production data go to"
            " non-production environments only"
        )
    limit = settings.copies.maxHours
    hours = request.hours if request.hours is not None else limit
    if hours > limit:
        raise InvalidRequestError(f"hours: at most {limit} (copies.maxHours), not {hours}")
    return hours


def plan_copy(
    request: CopyDatabaseInput,
    settings: Settings,
    context: EntityContext,
    catalog: Catalog,
    read: FileReader,
    now: datetime,
) -> tuple[Plan, list[str]]:
    """The plan adding the copy, and where the expiry it writes is (a one-item list: a retry
    answered from an open pull request puts that pull request's expiry there)."""
    order = settings.environments
    app_name, source, target = request.application, request.from_, request.to
    hours = _checked_hours(request, settings)
    path = catalog.declared.get(app_name)
    if path is None:
        raise NotFoundError(f"no application named {app_name!r} in the catalog")
    data = read(path)
    if data is None:
        raise NotFoundError(f"{path} is not in the catalog's revision; refresh and try again")
    _check_component(_application(path, data, app_name, order), request)
    expires = utc_text(now.replace(microsecond=0) + timedelta(hours=hours))
    entry = CopyEntry(request.component, source, expires)
    text = _text(path, data)
    result = add_copy(text, app_name, target, entry, path=path)
    errors = [
        p
        for p in check_text(path, result.new_text.encode(), context, catalog)
        if p.severity == ERROR
    ]
    if errors:
        raise ManifestInvalidError("\n".join(str(problem) for problem in errors))
    answered = [expires]

    def edit(current: bytes | None) -> bytes | None:
        if current is None:
            raise NotFoundError(f"{path} was removed since the catalog was read; nothing written")
        return add_copy(_text(path, current), app_name, target, entry, path=path).new_text.encode()

    equivalent = _same_copy(path, request, order, answered)
    name = m.copy_resource_name(app_name, request.component, target)
    plan = Plan(
        action=COPY_DATABASE,
        path=path,
        branch=branch_name(f"idp/copy-{name}", path, app_name, request.component, source, target),
        diff=result.diff,
        changed=True,
        edit=edit,
        title=f"Copy {app_name} {request.component} from {source} into {target}",
        summary=f"Adds the database copy `{name}`: `{request.component}` of `{app_name}` restored"
        f" from `{source}` into `{target}` until {expires} (then removed by the platform), in"
        f" `{path}`.",
        equivalent=equivalent,
    )
    return plan, answered


def removal_branch(request: RemoveCopyInput, path: str) -> str:
    """The janitor's branch for one expired copy: named after the copy and its expiry, so
    every replica and every restart finds the same one."""
    name = m.copy_resource_name(request.application, request.component, request.to)
    return branch_name(
        f"idp/remove-copy-{name}",
        path,
        request.application,
        request.component,
        request.from_,
        request.to,
        request.expiresAt,
    )


def plan_remove_copy(request: RemoveCopyInput, text: str, path: str) -> Plan:
    """The janitor's plan: the expired copy out of its manifest. A file that no longer holds
    the application (removed or moved meanwhile) is left as it is: nothing to remove."""
    app_name, target = request.application, request.to
    entry = CopyEntry(request.component, request.from_, request.expiresAt)
    result = remove_copy(text, app_name, target, entry, path=path)

    def edit(current: bytes | None) -> bytes | None:
        if current is None:
            return None  # the application's file went away: nothing left to remove
        try:
            edited = remove_copy(_text(path, current), app_name, target, entry, path=path)
        except NotFoundError:  # the application or its environment is gone from the file
            return current
        return edited.new_text.encode()

    name = m.copy_resource_name(app_name, request.component, target)
    return Plan(
        action=COPY_DATABASE,
        path=path,
        branch=removal_branch(request, path),
        diff=result.diff,
        changed=result.changed,
        edit=edit,
        title=f"Remove the expired database copy {name}",
        summary=f"Removes the database copy `{name}` (`{request.component}` of `{app_name}` from"
        f" `{request.from_}` into `{target}`), expired at {request.expiresAt}, from `{path}`: its"
        " database is no longer deployed.",
    )


def _same_copy(
    path: str, request: CopyDatabaseInput, order: Sequence[str], answered: list[str]
) -> Callable[[bytes | None, bytes | None], bool]:
    """Whether a branch's ``after`` is ``before`` with this copy added, whatever its expiry;
    the expiry found is put in ``answered``."""
    app_name, source, target = request.application, request.from_, request.to

    def equivalent(before: bytes | None, after: bytes | None) -> bool:
        if before is None or after is None:
            return False
        found = _copy_in(path, after, app_name, target, request.component, source, order)
        if found is None:
            return False
        other = CopyEntry(request.component, source, found)
        added = add_copy(_text(path, before), app_name, target, other, path=path)
        if added.new_text.encode() != after:
            return False
        answered[0] = found
        return True

    return equivalent


def _application(path: str, data: bytes, name: str, order: Sequence[str]) -> m.Application:
    parsed = parse_file(path, data, order)
    for app in parsed.applications:
        if app.manifest.metadata.name == name:
            return app.manifest
    raise ManifestInvalidError(
        "\n".join(str(p) for p in parsed.problems) or f"{path}: {name!r} cannot be read"
    )


def _check_component(app: m.Application, request: CopyDatabaseInput) -> None:
    types = {component.name: component.type for component in app.spec.components}
    kind = types.get(request.component)
    if kind is None:
        have = ", ".join(types) or "none"
        raise NotFoundError(
            f"component: {request.application!r} has no component {request.component!r}"
            f" (it has: {have})"
        )
    if kind not in m.DATABASE_TYPES:
        raise NotADatabaseError(
            f"component: {request.component!r} is a {kind}, not a database: only"
            f" {' or '.join(m.DATABASE_TYPES)} components can be copied"
        )
    for field, env in (("from", request.from_), ("to", request.to)):
        if env not in app.spec.environments:
            have = ", ".join(app.spec.environments) or "none"
            raise NotFoundError(
                f"{field}: {request.application!r} does not run in {env!r} (it lists: {have})"
            )


def _copy_in(
    path: str, data: bytes, app: str, env: str, component: str, source: str, order: Sequence[str]
) -> str | None:
    """The expiry of the copy of ``component`` from ``source`` in ``env`` that ``data`` holds."""
    try:
        manifest = _application(path, data, app, order)
    except ManifestInvalidError:
        return None
    environment = manifest.spec.environments.get(env)
    for copy in environment.copies if environment else ():
        if copy.component == component and copy.source_environment == source:
            return utc_text(copy.expires_at)
    return None
