"""Manifests become Backstage entities (``backstage.io/v1alpha1``): docs/architecture.md §6.2.

Component per application, Resource per component inside it, System per declared or implied system.
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from catalog_service.domain import manifests as m

BACKSTAGE_API_VERSION = "backstage.io/v1alpha1"
MANAGED_BY_LOCATION = "backstage.io/managed-by-location"
MANAGED_BY_ORIGIN_LOCATION = "backstage.io/managed-by-origin-location"
SOURCE_LOCATION = "backstage.io/source-location"
VIEW_URL = "backstage.io/view-url"
EDIT_URL = "backstage.io/edit-url"
PROJECT_SLUG = "github.com/project-slug"
VERSION_ANNOTATION_PREFIX = "idp/version."
PLACEHOLDERS = ("{name}", "{system}", "{environment}")
EXPIRES_AT = "idp/expires-at"


def utc_now() -> datetime:
    return datetime.now(UTC)


Entity = dict[str, Any]


@dataclass(frozen=True, slots=True)
class LinkTemplate:
    """A link added to every application, with ``{name}``, ``{system}``, ``{environment}``."""

    title: str
    url: str

    @property
    def per_environment(self) -> bool:
        return "{environment}" in self.url or "{environment}" in self.title


@dataclass(frozen=True, slots=True)
class EntityContext:
    """What entity building needs from the configuration."""

    environments: tuple[str, ...]
    links: tuple[LinkTemplate, ...]
    # The location annotation of a manifest is this prefix plus its path in the repository.
    location_prefix: str
    github_web_url: str = "https://github.com"
    # Where a manifest is edited in the browser (GitHub's /edit/<branch>/), when known.
    edit_url_prefix: str | None = None
    # The time a file is compiled at: a database copy expired by then is not shown. Not part
    # of the context's identity (its repr names the catalog's digest, the same on every replica).
    clock: Callable[[], datetime] = field(default=utc_now, compare=False, repr=False)

    def location(self, path: str) -> str:
        """``url:`` locations are URLs: each path segment is percent-encoded (a space, ``#``,
        ``?``, ``%``, a newline or any non-ASCII character in a file name). A ``file:`` location
        is a path on disk, as Backstage reads it."""
        if self.location_prefix.startswith("url:"):
            return self.location_prefix + url_path(path)
        return self.location_prefix + path

    def location_annotations(self, path: str) -> dict[str, str]:
        """Where the manifest declaring an entity lives. Backstage replaces the managed-by
        pair with the Location it read the entity from; the view and edit URLs stay, and give
        the entity page its buttons to see and edit the manifest."""
        location = self.location(path)
        annotations = {MANAGED_BY_LOCATION: location, MANAGED_BY_ORIGIN_LOCATION: location}
        if location.startswith("url:"):
            annotations[VIEW_URL] = location.removeprefix("url:")
        if self.edit_url_prefix is not None:
            annotations[EDIT_URL] = self.edit_url_prefix + url_path(path)
        return annotations


@functools.lru_cache(maxsize=65_536)  # each path is asked for by every entity of its file
def url_path(path: str) -> str:
    """A repository path as the path of a URL: segments percent-encoded (UTF-8), ``/`` kept."""
    return quote(path, safe="/")


def live_copy_names(app: m.Application, now: datetime) -> list[str]:
    """The Resource names of the application's live database copies, in the entities' order."""
    return [
        m.copy_resource_name(app.metadata.name, copy.component, env)
        for env, environment in app.spec.environments.items()
        for copy in environment.copies
        if copy.expires_at > now
    ]


def application_entities(
    app: m.Application, path: str, context: EntityContext, now: datetime | None = None
) -> list[Entity]:
    """The Component of an application, then one Resource per component inside it, then one
    per database copy live at ``now`` (default: the context's clock)."""
    now = context.clock() if now is None else now
    meta, spec = app.metadata, app.spec
    ordered_environments = [env for env in context.environments if env in spec.environments]
    annotations = _component_annotations(app, path, context, ordered_environments)

    resources = [m.resource_name(meta.name, component.name) for component in spec.components]
    component_spec: dict[str, Any] = {
        "type": spec.type,
        "lifecycle": meta.lifecycle,
        "owner": meta.owner,
        "system": meta.system,
    }
    copies = live_copy_names(app, now)
    depends_on = [f"resource:default/{name}" for name in resources + copies]
    depends_on += [f"component:default/{name}" for name in spec.depends_on]
    if depends_on:
        component_spec["dependsOn"] = depends_on
    links = _links(app, ordered_environments, context.links)
    component = _entity(
        "Component",
        meta.name,
        description=meta.description,
        tags=meta.tags,
        links=links,
        annotations=annotations,
        spec=component_spec,
    )
    # A Resource lives and ships with its application: same locations, versions and links.
    resource_annotations = {**annotations, "idp/application": meta.name}
    return [
        component,
        *_component_resources(app, resources, links, resource_annotations),
        *_copy_entities(app, now, links, resource_annotations),
    ]


def _component_annotations(
    app: m.Application, path: str, context: EntityContext, ordered_environments: list[str]
) -> dict[str, str]:
    """Where the manifest lives, what the application is built from, and each version."""
    spec = app.spec
    annotations = context.location_annotations(path)
    if spec.source is not None:
        annotations[PROJECT_SLUG] = spec.source.repository
        annotations[SOURCE_LOCATION] = (
            f"url:{context.github_web_url}/{spec.source.repository}/tree/HEAD/"
        )
    if spec.image is not None:
        annotations["idp/image"] = spec.image
    if spec.chart is not None:
        annotations["idp/helm-chart-repository"] = spec.chart.repository
        annotations["idp/helm-chart-name"] = spec.chart.name
    if spec.schedule is not None:
        annotations["idp/schedule"] = spec.schedule
    for env in ordered_environments:
        annotations[VERSION_ANNOTATION_PREFIX + env] = spec.environments[env].version
    return annotations


def _component_resources(
    app: m.Application,
    resources: list[str],
    links: list[dict[str, str]],
    annotations: dict[str, str],
) -> list[Entity]:
    """One Resource per component the application declares (a database, a cache)."""
    meta = app.metadata
    return [
        _entity(
            "Resource",
            resource,
            description=f"{declared.type} of {meta.name}",
            tags=[],
            links=links,
            annotations=annotations,
            spec={"type": declared.type, "owner": meta.owner, "system": meta.system},
        )
        for resource, declared in zip(resources, app.spec.components, strict=True)
    ]


def _copy_entities(
    app: m.Application, now: datetime, links: list[dict[str, str]], annotations: dict[str, str]
) -> list[Entity]:
    """One Resource per live database copy, annotated with when it expires."""
    meta = app.metadata
    types = {component.name: component.type for component in app.spec.components}
    entities = []
    for env, environment in app.spec.environments.items():
        for copy in environment.copies:
            if copy.expires_at <= now:
                continue
            expires = copy.expires_at.strftime("%Y-%m-%dT%H:%M:%SZ")
            source = m.resource_name(meta.name, copy.component)
            entities.append(
                _entity(
                    "Resource",
                    m.copy_resource_name(meta.name, copy.component, env),
                    description=(
                        f"copy of {copy.component} ({types[copy.component]}) from"
                        f" {copy.source_environment} in {env}, until {expires}"
                    ),
                    tags=[],
                    links=links,
                    annotations={
                        **annotations,
                        EXPIRES_AT: expires,
                        "idp/environment": env,
                        "idp/copy-of": source,
                        "idp/copy-from": copy.source_environment,
                    },
                    spec={
                        "type": types[copy.component],
                        "owner": meta.owner,
                        "system": meta.system,
                        "dependsOn": [f"resource:default/{source}"],
                    },
                )
            )
    return entities


def declared_system_entity(system: m.System, path: str, context: EntityContext) -> Entity:
    meta = system.metadata
    return _entity(
        "System",
        meta.name,
        description=meta.description,
        tags=meta.tags,
        links=[_link(link) for link in meta.links],
        annotations=context.location_annotations(path),
        spec={"owner": meta.owner},
    )


def implied_system_entity(
    name: str, owners: Iterable[str], first_path: str, context: EntityContext
) -> Entity:
    """A System nobody declared, implied by its applications: their owners, and the path of the
    first one's manifest (in path order), where the System is said to be managed."""
    owner = implied_owner(owners)
    annotations = context.location_annotations(first_path)
    annotations["idp/implied"] = "true"
    return _entity(
        "System",
        name,
        description=None,
        tags=[],
        links=[],
        annotations=annotations,
        spec={"owner": owner},
    )


def implied_owner(owners: Iterable[str]) -> str:
    """The most common owner (refs compared in full form); ties go to the alphabetically first."""
    counts = Counter(full_owner_ref(owner) for owner in owners)
    best = min(counts.items(), key=lambda item: (-item[1], item[0]))[0]
    return compact_owner_ref(best)


@functools.cache  # a few dozen owners, looked up for every application on every assemble
def full_owner_ref(owner: str) -> str:
    """``team-a`` → ``group:default/team-a``: an owner without kind is a group in Backstage."""
    kind, has_kind, rest = owner.partition(":")
    if not has_kind:
        kind, rest = "group", owner
    namespace, has_namespace, name = rest.partition("/")
    if not has_namespace:
        namespace, name = "default", rest
    return f"{kind.lower()}:{namespace.lower()}/{name.lower()}"


def compact_owner_ref(full: str) -> str:
    """The shortest ref Backstage reads as the same owner."""
    return full.removeprefix("group:default/")


def _links(
    app: m.Application, environments: Sequence[str], templates: Sequence[LinkTemplate]
) -> list[dict[str, str]]:
    links = [_link(link) for link in app.metadata.links]
    seen = {link["url"] for link in links}
    for template in templates:
        for environment in environments if template.per_environment else [""]:
            link = {
                "url": _fill(template.url, app, environment),
                "title": _fill(template.title, app, environment),
            }
            if link["url"] not in seen:
                seen.add(link["url"])
                links.append(link)
    return links


def _fill(template: str, app: m.Application, environment: str) -> str:
    # str.replace, not str.format: braces elsewhere in a URL are not placeholders.
    return (
        template.replace("{name}", app.metadata.name)
        .replace("{system}", app.metadata.system)
        .replace("{environment}", environment)
    )


def _link(link: m.Link) -> dict[str, str]:
    return link.model_dump(exclude_none=True)


def _entity(
    kind: str,
    name: str,
    *,
    description: str | None,
    tags: Sequence[str],
    links: Sequence[dict[str, str]],
    annotations: dict[str, str],
    spec: dict[str, Any],
) -> Entity:
    metadata: dict[str, Any] = {"name": name, "namespace": "default"}
    if description:
        metadata["description"] = description
    if tags:
        metadata["tags"] = list(tags)
    if links:
        metadata["links"] = list(links)
    metadata["annotations"] = annotations
    return {"apiVersion": BACKSTAGE_API_VERSION, "kind": kind, "metadata": metadata, "spec": spec}
