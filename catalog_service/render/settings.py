"""The ``render:`` section of the configuration (docs/configuration.md). Every key has a default:
without the section, render writes Applications for the cluster Argo CD runs in."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from catalog_service.domain.deployment import IN_CLUSTER, NAMESPACE_PLACEHOLDERS


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ChartSourceSettings(_Section):
    """Where Argo CD finds the platform chart (deploy/charts/idp-application)."""

    repoURL: str | None = Field(
        None, min_length=1, description="A git URL; default: the GitOps repository (source.url)"
    )
    path: str = Field("deploy/charts/idp-application", min_length=1)
    targetRevision: str | None = Field(
        None, min_length=1, description="A branch, tag or commit; default: source.branch"
    )

    @field_validator("repoURL")
    @classmethod
    def _no_credentials(cls, url: str | None) -> str | None:
        parts = urlsplit(url or "")
        if parts.scheme.lower() in ("http", "https") and "@" in parts.netloc:
            raise ValueError(
                "the chart's URL holds credentials, and every rendered Application would"
                " carry them into git; give Argo CD the repository's credentials instead"
            )
        return url


class ArgoCDSettings(_Section):
    project: str = Field("default", min_length=1)
    namespace: str = Field("argocd", min_length=1, description="Where Argo CD's Applications live")


class DestinationSettings(_Section):
    """One environment's cluster: its API ``server`` URL, or its ``name`` in Argo CD."""

    server: str | None = Field(None, min_length=1)
    name: str | None = Field(None, min_length=1)

    @model_validator(mode="after")
    def _one_of(self) -> DestinationSettings:
        if (self.server is None) == (self.name is None):
            raise ValueError("give the cluster's server URL or its Argo CD name (one of them)")
        return self


class RenderSettings(_Section):
    chart: ChartSourceSettings = ChartSourceSettings()
    argocd: ArgoCDSettings = ArgoCDSettings()
    namespace: str = Field(
        "{name}-{environment}",
        min_length=1,
        description="The namespace of each application in each environment",
    )
    destinations: dict[str, DestinationSettings] = Field(
        default_factory=dict, description=f"environment -> cluster; default: {IN_CLUSTER}"
    )
    secretStore: str = Field(
        "aws-secrets-manager", min_length=1, description="The ClusterSecretStore's name"
    )

    @field_validator("namespace")
    @classmethod
    def _known_placeholders(cls, template: str) -> str:
        for placeholder in re.findall(r"\{[^{}]*\}", template):
            if placeholder not in NAMESPACE_PLACEHOLDERS:
                raise ValueError(
                    f"unknown placeholder {placeholder}; use {', '.join(NAMESPACE_PLACEHOLDERS)}"
                )
        return template
