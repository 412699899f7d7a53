"""The application manifest format (``apiVersion: idp/v1alpha1``) as strict pydantic models.

Structure and types live in the models; the rules that need the configuration or several fields
(which fields each ``spec.type`` needs, which environments exist) live in :func:`check_application`,
so each rule can point at the exact YAML node it is about.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, TypeAdapter
from pydantic_core import PydanticCustomError

from catalog_service.domain.cron import cron_problem

API_VERSION = "idp/v1alpha1"
KINDS = ("Application", "System")
APPLICATION_TYPES = ("service", "vendor", "etl")
LIFECYCLES = ("experimental", "production", "deprecated")
MAX_NAME_LENGTH = 63

# Backstage's own formats, so that every entity we emit passes its validation.
DNS_LABEL = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"
TAG = r"^[a-z0-9:+#]+(-[a-z0-9:+#]+)*$"
ENTITY_REF = (
    r"^([a-zA-Z][a-zA-Z0-9]*:)?([a-z0-9]([-a-z0-9]*[a-z0-9])?/)?"
    r"[a-zA-Z0-9]([-_.a-zA-Z0-9]*[a-zA-Z0-9])?$"
)
GITHUB_REPOSITORY = r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})/[A-Za-z0-9._-]{1,100}$"
URL = r"^[a-zA-Z][a-zA-Z0-9+.-]*://[^\s]+$"
# A link a browser opens: http(s) only (javascript:, data:, file: are not links to follow).
WEB_URL = r"^[Hh][Tt][Tt][Pp][Ss]?://[^\s/?#]+[^\s]*$"
# An image reference without tag or digest (the tag is the per-environment version), starting
# with its registry's host (a dot or a port in it, or localhost) as a cluster pulls it: without
# one, a node would look on Docker Hub.
IMAGE = (
    r"^((localhost|[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+)(:[0-9]+)?"
    r"|[a-z0-9]([a-z0-9-]*[a-z0-9])?:[0-9]+)(/[a-z0-9]([a-z0-9._/-]*[a-z0-9])?)+$"
)
# The same without a registry host: told apart to say what is missing.
IMAGE_PATH = r"^[a-z0-9]([a-z0-9._-]*[a-z0-9])?(/[a-z0-9]([a-z0-9._/-]*[a-z0-9])?)*$"
ENV_VAR = r"^[A-Za-z_][A-Za-z0-9_]*$"
AWS_SECRET_NAME = r"^[A-Za-z0-9/_+=.@-]{1,512}$"
VERSION = r"^[A-Za-z0-9_][A-Za-z0-9_.+-]{0,127}$"
# The versions a service or etl can have: an image tag (no '+', unlike a chart version).
IMAGE_TAG = r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$"
COMPONENT_TYPE = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"
CRON = (
    r"^(@(yearly|annually|monthly|weekly|daily|midnight|hourly)"
    r"|([0-9*/,?LW#A-Za-z-]+\s+){4}[0-9*/,?LW#A-Za-z-]+)$"
)

Name = Annotated[str, Field(pattern=DNS_LABEL, min_length=1, max_length=MAX_NAME_LENGTH)]
Tag = Annotated[str, Field(pattern=TAG, min_length=1, max_length=63)]
OwnerRef = Annotated[str, Field(pattern=ENTITY_REF, max_length=253)]
Text = Annotated[str, Field(min_length=1, max_length=4096)]


class _Model(BaseModel):
    # strict: "1.4" must be quoted, `yes` is not a string; extra: typos are errors, not ignored.
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, populate_by_name=False)


class Link(_Model):
    """A link shown on the entity page."""

    url: Annotated[str, Field(pattern=WEB_URL, max_length=2048)]
    title: Text | None = None
    icon: Annotated[str, Field(min_length=1, max_length=64)] | None = None
    type: Annotated[str, Field(min_length=1, max_length=64)] | None = None


class ApplicationMetadata(_Model):
    name: Name
    system: Name
    owner: OwnerRef
    description: Text | None = None
    lifecycle: Literal["experimental", "production", "deprecated"] = "production"
    tags: list[Tag] = Field(default_factory=list)
    links: list[Link] = Field(default_factory=list)


class Source(_Model):
    """Where the application's code lives on GitHub."""

    repository: Annotated[str, Field(pattern=GITHUB_REPOSITORY)]


class Chart(_Model):
    """The third-party Helm chart a vendor application installs."""

    repository: Annotated[str, Field(pattern=URL, max_length=2048)]
    name: Annotated[str, Field(pattern=DNS_LABEL, max_length=MAX_NAME_LENGTH)]


class Component(_Model):
    """Something that lives inside the application: a database, a cache, a bucket."""

    name: Name
    type: Annotated[str, Field(pattern=COMPONENT_TYPE, max_length=MAX_NAME_LENGTH)]


class SecretRef(_Model):
    """An AWS Secrets Manager secret (and optionally one JSON key of it) mapped to a variable."""

    env: Annotated[str, Field(pattern=ENV_VAR, max_length=255)]
    secret: Annotated[str, Field(pattern=AWS_SECRET_NAME)]
    key: Annotated[str, Field(min_length=1, max_length=255)] | None = None


# The component types a copy can be made of (``copy-database``, docs/self-service.md).
DATABASE_TYPES = ("postgresql", "mysql")
UTC_TIME_EXAMPLE = "2026-12-03T09:00:00Z"


def _utc_time(value: object) -> datetime:
    """An ISO 8601 time in UTC (``Z`` or ``+00:00``), quoted or not (YAML reads an unquoted one
    as a timestamp); anything else is refused with the format expected."""
    if isinstance(value, str) and "T" in value:
        with contextlib.suppress(ValueError):
            value = datetime.fromisoformat(value)
    if (
        isinstance(value, datetime)
        and value.utcoffset() == timedelta(0)
        and 2000 <= value.year <= 9998
    ):
        return value.astimezone(UTC)
    raise PydanticCustomError(
        "utc_time", f"must be an ISO 8601 time in UTC such as {UTC_TIME_EXAMPLE}"
    )


def _as_tuple(value: object) -> object:
    if isinstance(value, list):
        return tuple(value)
    if isinstance(value, tuple):
        return value
    raise PydanticCustomError("list_type", "Input should be a valid list")


class DatabaseCopy(_Model):
    """A copy of one of the application's database components, restored from another
    environment's database into this environment, until ``expiresAt``."""

    component: Name
    source_environment: Annotated[str, Field(pattern=DNS_LABEL, max_length=MAX_NAME_LENGTH)] = (
        Field(alias="from")
    )
    expires_at: Annotated[datetime, BeforeValidator(_utc_time)] = Field(alias="expiresAt")


class Environment(_Model):
    """What runs in one environment."""

    version: Annotated[str, Field(pattern=VERSION)]
    replicas: Annotated[int, Field(ge=0, le=10_000)] | None = None
    copies: Annotated[tuple[DatabaseCopy, ...], BeforeValidator(_as_tuple)] = ()


class ApplicationSpec(_Model):
    type: Literal["service", "vendor", "etl"]
    source: Source | None = None
    image: Annotated[str, Field(pattern=IMAGE, max_length=512)] | None = None
    chart: Chart | None = None
    schedule: Annotated[str, Field(pattern=CRON, max_length=128)] | None = None
    components: list[Component] = Field(default_factory=list)
    secrets: list[SecretRef] = Field(default_factory=list)
    depends_on: list[Name] = Field(default_factory=list, alias="dependsOn")
    environments: dict[str, Environment] = Field(default_factory=dict)


class Application(_Model):
    """One application: ``kind: Application``."""

    api_version: Literal["idp/v1alpha1"] = Field(alias="apiVersion")
    kind: Literal["Application"]
    metadata: ApplicationMetadata
    spec: ApplicationSpec


class SystemMetadata(_Model):
    name: Name
    owner: OwnerRef
    description: Text | None = None
    tags: list[Tag] = Field(default_factory=list)
    links: list[Link] = Field(default_factory=list)


class System(_Model):
    """A group of applications that ship as a unit: ``kind: System`` (optional)."""

    api_version: Literal["idp/v1alpha1"] = Field(alias="apiVersion")
    kind: Literal["System"]
    metadata: SystemMetadata


Manifest = Annotated[Application | System, Field(discriminator="kind")]
MANIFEST_ADAPTER: TypeAdapter[Application | System] = TypeAdapter(Manifest)

# A location inside a document: keys and list indexes from the document root.
FieldPath = tuple[str | int, ...]


# Which of the type-specific fields each application type needs; the others it must not have.
_FIELD_TYPES = {
    "service": ("source", "image"),
    "vendor": ("chart",),
    "etl": ("source", "image", "schedule"),
}


def check_application(
    app: Application, environments: Sequence[str]
) -> Iterator[tuple[FieldPath, str]]:
    """The rules a single model cannot express: what each ``spec.type`` needs and allows."""
    spec = app.spec
    needs = _FIELD_TYPES[spec.type]
    for field in ("source", "image", "chart", "schedule"):
        present = getattr(spec, field) is not None
        if field in needs and not present:
            yield ("spec", "type"), f"spec.{field} is required for type {spec.type}"
        elif field not in needs and present:
            allowed = [t for t, fields in _FIELD_TYPES.items() if field in fields]
            yield (
                ("spec", field),
                (f"spec.{field} is only allowed for type {' or '.join(allowed)}, not {spec.type}"),
            )
    if spec.schedule is not None:
        problem = cron_problem(spec.schedule)
        if problem:
            yield ("spec", "schedule"), f"spec.schedule: {problem}"
    yield from _deployable(app)
    configured = set(environments)
    for env in spec.environments:
        if env not in configured:
            yield (
                ("spec", "environments", env),
                (
                    f"unknown environment {_quote(env)}; configured environments: "
                    + ", ".join(environments)
                ),
            )
    yield from _duplicates(("spec", "components"), [c.name for c in spec.components], "name")
    yield from _copies(app, environments)
    yield from _duplicates(("spec", "secrets"), [s.env for s in spec.secrets], "env")
    for index, name in enumerate(spec.depends_on):
        if name == app.metadata.name:
            yield ("spec", "dependsOn", index), "an application cannot depend on itself"
    yield from _duplicates(("spec", "dependsOn"), spec.depends_on, None)
    for index, component in enumerate(spec.components):
        resource = resource_name(app.metadata.name, component.name)
        if len(resource) > MAX_NAME_LENGTH:
            yield (
                ("spec", "components", index, "name"),
                (
                    f"the resource name {resource!r} would be longer than {MAX_NAME_LENGTH}"
                    " characters; shorten the application or component name"
                ),
            )


# A CronJob's name leaves room for the Jobs it names after itself.
MAX_CRONJOB_NAME = 52


def _deployable(app: Application) -> Iterator[tuple[FieldPath, str]]:
    """What the platform chart and Argo CD would refuse: names too long for the objects they
    become, a Service name starting with a digit, an image tag with '+'."""
    name, spec = app.metadata.name, app.spec
    if spec.type == "service" and not name[0].isalpha():
        yield ("metadata", "name"), "a service's name must start with a letter (its Service's)"
    if spec.type == "etl" and len(name) > MAX_CRONJOB_NAME:
        yield (
            ("metadata", "name"),
            f"an etl application's name is at most {MAX_CRONJOB_NAME} characters (its CronJob's)",
        )
    for env, environment in spec.environments.items():
        if len(f"{name}-{env}") > MAX_NAME_LENGTH:
            yield (
                ("spec", "environments", env),
                f"the Argo CD application {name}-{env} would be longer than {MAX_NAME_LENGTH}"
                " characters; shorten the application name",
            )
        if spec.type != "vendor" and not re.match(IMAGE_TAG, environment.version):
            yield (
                ("spec", "environments", env, "version"),
                f"spec.environments.{env}.version: an image tag cannot hold '+'"
                " (only a vendor chart's version can)",
            )


def resource_name(application: str, component: str) -> str:
    """The name of the Resource entity of one of an application's components."""
    return f"{application}-{component}"


def copy_resource_name(application: str, component: str, environment: str) -> str:
    """The name of a database copy's Resource (and of its database): ``<app>-<c>-copy-<env>``."""
    return f"{application}-{component}-copy-{environment}"


def _copies(app: Application, environments: Sequence[str]) -> Iterator[tuple[FieldPath, str]]:
    """A copy names a database component of this application, from another configured
    environment the application lists; at most one copy per component and environment."""
    spec = app.spec
    for env, environment in spec.environments.items():
        if environment.copies and spec.type == "vendor":
            yield (
                ("spec", "environments", env, "copies"),
                (
                    f"spec.environments.{env}.copies: a vendor application deploys its own chart,"
                    " which cannot restore a copy; copies are for service and etl applications"
                ),
            )
            continue
        seen: set[str] = set()
        for index, copy in enumerate(environment.copies):
            at: FieldPath = ("spec", "environments", env, "copies", index)
            here = f"spec.environments.{env}.copies[{index}]"
            for field, message in _copy_problems(app, environments, env, copy, seen):
                yield (*at, field), f"{here}.{field}: {message}"
            seen.add(copy.component)


def _copy_problems(
    app: Application, environments: Sequence[str], env: str, copy: DatabaseCopy, seen: set[str]
) -> Iterator[tuple[str, str]]:
    spec = app.spec
    kind = {component.name: component.type for component in spec.components}.get(copy.component)
    if kind is None:
        yield "component", f"no component {_quote(copy.component)} in spec.components to copy"
    elif kind not in DATABASE_TYPES:
        yield (
            "component",
            (
                f"{_quote(copy.component)} is a {kind}; only a database"
                f" ({' or '.join(DATABASE_TYPES)}) can be copied"
            ),
        )
    source = copy.source_environment
    if source == env:
        yield "from", f"a copy into {env!r} cannot come from {env!r} itself"
    elif source not in environments or source not in spec.environments:
        listed = ", ".join(e for e in environments if e in spec.environments)
        yield (
            "from",
            f"{_quote(source)} is not an environment of this application; it lists: {listed}",
        )
    if copy.component in seen:
        yield (
            "component",
            f"a second copy of {_quote(copy.component)} in {env!r}; one per environment",
        )
    name = copy_resource_name(app.metadata.name, copy.component, env)
    if len(name) > MAX_NAME_LENGTH:
        yield (
            "component",
            (
                f"the copy's name {name!r} would be longer than {MAX_NAME_LENGTH} characters;"
                " shorten the application or component name"
            ),
        )


def _duplicates(
    base: FieldPath, values: Sequence[str], field: str | None
) -> Iterator[tuple[FieldPath, str]]:
    seen: set[str] = set()
    for index, value in enumerate(values):
        if value in seen:
            path: FieldPath = (*base, index, field) if field else (*base, index)
            yield path, f"duplicate {_quote(value)} in {base[-1]}"
        seen.add(value)


def _quote(value: str, limit: int = 64) -> str:
    return repr(value if len(value) <= limit else value[:limit] + "...")


def manifest_json_schema() -> dict[str, Any]:
    """The JSON Schema of the manifest format, for editors (``catalog-service schema``)."""
    schema = MANIFEST_ADAPTER.json_schema(by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "IDP application manifest (idp/v1alpha1)"
    return schema
