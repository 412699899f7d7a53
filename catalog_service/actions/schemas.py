"""The inputs and the answer of the self-service actions (docs/architecture.md §6.4), camelCase
as the rest of the API. Unknown fields are refused (422): a typo must not pass silently."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt

from catalog_service.domain.manifests import DNS_LABEL, VERSION

Name = Annotated[str, Field(pattern=DNS_LABEL, max_length=63)]
# A Backstage entity ref (user:default/alice) or a plain name; no control characters.
Ref = Annotated[str, Field(min_length=1, max_length=255, pattern=r"^[A-Za-z0-9_.:/@+-]+$")]
# The manifest's own rule (a version starting with '.' or '-' passed here and then left the
# manifest invalid); whether an image can take '+' is the rule engine's to say.
Version = Annotated[str, Field(min_length=1, max_length=128, pattern=VERSION)]


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    requestedBy: Ref = Field(description="The Backstage user ref of who asked: user:default/alice")
    dryRun: bool = Field(False, description="Answer the diff only; change nothing anywhere")
    requestedByGroups: list[Ref] = Field(
        default_factory=list,
        description="The requester's groups (group:default/team-a): count for protected targets",
    )


class Link(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    url: str = Field(min_length=1, max_length=2048)
    title: str | None = None
    icon: str | None = None
    type: str | None = None


class Chart(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    repository: str = Field(min_length=1, max_length=2048)
    name: str = Field(min_length=1, max_length=255)


class Component(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    name: Name
    type: str = Field(min_length=1, max_length=63)


class SecretRef(BaseModel):
    """A reference to an AWS Secrets Manager secret: never a value."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    env: str = Field(min_length=1, max_length=255)
    secret: str = Field(min_length=1, max_length=512)
    key: str | None = None


class EnvironmentSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    version: Version
    replicas: int | None = Field(None, ge=0)


class CreateApplicationInput(_Input):
    """The manifest's fields (docs/manifest-reference.md); the rule engine checks the result."""

    name: Name = Field(description="metadata.name: a DNS label, unique in the catalog")
    system: Name = Field(description="metadata.system")
    owner: Ref = Field(description="metadata.owner: a group name or ref")
    type: Literal["service", "vendor", "etl"] = Field(description="spec.type")
    description: str | None = Field(None, max_length=1024)
    lifecycle: Literal["experimental", "production", "deprecated"] | None = None
    tags: list[str] = Field(default_factory=list)
    links: list[Link] = Field(default_factory=list)
    sourceRepository: str | None = Field(None, description="spec.source.repository: owner/repo")
    image: str | None = Field(None, max_length=1024)
    chart: Chart | None = None
    schedule: str | None = Field(None, max_length=255, description="etl only: cron")
    components: list[Component] = Field(default_factory=list)
    secrets: list[SecretRef] = Field(default_factory=list)
    dependsOn: list[Name] = Field(default_factory=list)
    environments: dict[Name, EnvironmentSpec] = Field(default_factory=dict)


class PromoteImageInput(_Input):
    application: Name = Field(description="The application to promote")
    from_: Name = Field(alias="from", description="The environment whose version is promoted")
    to: Name | None = Field(None, description="Default: the next environment in the order")
    version: Version | None = Field(None, description="Must equal the version in `from`")

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class SetVersionInput(_Input):
    application: Name = Field(description="The application whose first environment is set")
    version: Version = Field(description="The version to run there, e.g. the commit's short SHA")
    environment: Name | None = Field(
        None, description="Optional: must be the first environment of the order"
    )


# Far above any copies.maxHours (at most a year), so that a huge number is a 422 at once.
MAX_COPY_HOURS = 24 * 366


class CopyDatabaseInput(_Input):
    application: Name = Field(description="The application whose database is copied")
    component: Name = Field(description="One of its components of type postgresql or mysql")
    from_: Name = Field(alias="from", description="The environment whose database is copied")
    to: Name = Field(description="The environment the copy is made in (not a protected one)")
    hours: StrictInt | None = Field(
        None,
        ge=1,
        le=MAX_COPY_HOURS,
        description="How long the copy lives, in whole hours: at most copies.maxHours"
        " (default: copies.maxHours)",
    )

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class RemoveCopyInput(_Input):
    """What the janitor asks (never over HTTP): remove one expired copy from its manifest."""

    application: Name
    component: Name
    from_: Name = Field(alias="from")
    to: Name
    expiresAt: str

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class RestartApplicationInput(_Input):
    application: Name = Field(description="The application to restart")
    environment: Name = Field(description="The environment it is restarted in")


class RestartedResource(BaseModel):
    kind: Literal["Deployment"] = "Deployment"
    name: str = Field(description="The Deployment's name, from Argo CD's resource tree")
    namespace: str = Field(description="Its namespace, from the tree")


class RestartResult(BaseModel):
    """What restart-application answers: the section-4 keys that apply, and what it restarted."""

    branch: None = Field(None, description="Always null: a restart writes no branch")
    pullRequestUrl: None = Field(None, description="Always null: a restart opens no pull request")
    auditId: int = Field(description="The audit entry of this call")
    changed: bool = Field(description="Whether a Deployment was restarted (false on a dry run)")
    dryRun: bool = Field(description="True: nothing was restarted, `restarted` would have been")
    argocdApplication: str = Field(description="The Argo CD application (argocd.applicationName)")
    restarted: list[RestartedResource] = Field(
        description="The Deployments restarted (on a dry run: those that would be)"
    )


class ActionResult(BaseModel):
    """What an action answers."""

    branch: str | None = Field(description="The branch pushed (None: nothing to change)")
    pullRequestUrl: str | None = Field(description="The pull request (None without GitHub)")
    diff: str = Field(description="The unified diff of the change (empty: nothing to change)")
    auditId: int = Field(description="The audit entry of this call")
    changed: bool = Field(description="False when the manifest already says this")


class CopyDatabaseResult(ActionResult):
    """What ``copy-database`` answers: section 4's answer and when the copy expires."""

    expiresAt: str = Field(description="When the copy is removed: ISO 8601 UTC")
