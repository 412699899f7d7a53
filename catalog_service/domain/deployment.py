"""What Argo CD deploys from a manifest (docs/architecture.md §6.9): for one application in one
environment, the platform chart's values and the Argo CD ``Application``, as mappings and then
as bytes. Pure: the command (``catalog_service.render``) reads the repository and writes files.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from catalog_service.domain import block_yaml
from catalog_service.domain import manifests as m
from catalog_service.domain.copies import live_copies, utc_text
from catalog_service.domain.problems import Problem

ARGOCD_API_VERSION = "argoproj.io/v1alpha1"
IN_CLUSTER = "https://kubernetes.default.svc"
NAMESPACE_PLACEHOLDERS = ("{name}", "{system}", "{environment}")
_LABEL_VALUE_BAD = re.compile(r"[^A-Za-z0-9._-]")
_DNS_LABEL = re.compile(m.DNS_LABEL)


@dataclass(frozen=True, slots=True)
class Destination:
    """The cluster of one environment: Argo CD's ``server`` URL or its cluster ``name``."""

    server: str | None = IN_CLUSTER
    name: str | None = None


@dataclass(frozen=True, slots=True)
class RenderConfig:
    """The ``render:`` settings (docs/configuration.md), defaults included."""

    chart_repo_url: str
    chart_path: str = "deploy/charts/idp-application"
    chart_revision: str = "main"
    project: str = "default"
    argocd_namespace: str = "argocd"
    namespace: str = "{name}-{environment}"
    destinations: Mapping[str, Destination] = field(default_factory=dict)
    secret_store: str = "aws-secrets-manager"
    # Where the connection URL of a database component lives in each environment (the
    # Secrets Manager name; its JSON property ``url``): what a copy's Job restores from and into.
    database_secret: str = "idp/{environment}/{application}/{component}"

    def destination(self, environment: str) -> Destination:
        return self.destinations.get(environment, Destination())


@dataclass(frozen=True, slots=True)
class Rendered:
    """One application in one environment: its two files' contents."""

    environment: str
    application: str
    values: dict[str, Any]
    argocd_application: dict[str, Any]

    @property
    def folder(self) -> str:
        return f"{self.environment}/{self.application}"

    def files(self) -> dict[str, bytes]:
        return {
            f"{self.folder}/values.yaml": to_yaml(self.values),
            f"{self.folder}/application.yaml": to_yaml(self.argocd_application),
        }


def label_value(text: str) -> str:
    """``text`` as a Kubernetes label value: at most 63 of [A-Za-z0-9._-], alphanumeric ends
    (the chart's ``idp-application.labelValue`` does the same)."""
    return _LABEL_VALUE_BAD.sub("_", text)[:63].strip("._-")


def owner_name(owner: str) -> str:
    """``group:default/team-a`` -> ``team-a``: the ``idp/owner`` label holds the name."""
    return label_value(owner.rsplit("/", 1)[-1].rsplit(":", 1)[-1])


def namespace_of(app: m.Application, environment: str, config: RenderConfig) -> str:
    return (
        config.namespace.replace("{name}", app.metadata.name)
        .replace("{system}", app.metadata.system)
        .replace("{environment}", environment)
    )


def namespace_problem(namespace: str) -> str | None:
    if _DNS_LABEL.match(namespace) and len(namespace) <= m.MAX_NAME_LENGTH:
        return None
    return (
        f"the namespace {namespace!r} (render.namespace) is not a DNS label of at most"
        f" {m.MAX_NAME_LENGTH} characters; shorten the name or change render.namespace"
    )


def render(
    app: m.Application, environment: str, config: RenderConfig, now: datetime | None = None
) -> Rendered:
    """The values and Argo CD Application of ``app`` in ``environment`` (which it lists); with
    ``now``, the database copies live then (an expired copy renders as nothing)."""
    values = platform_values(app, environment, config) if app.spec.type != "vendor" else {}
    copies = copy_values(app, environment, config, now) if values and now is not None else []
    if copies:
        values["copies"] = copies
    return Rendered(
        environment=environment,
        application=app.metadata.name,
        values=values,
        argocd_application=argocd_application(app, environment, config, values),
    )


def platform_values(app: m.Application, environment: str, config: RenderConfig) -> dict[str, Any]:
    """The platform chart's values for a service or etl application."""
    spec, settings = app.spec, app.spec.environments[environment]
    assert spec.image is not None  # the rules: service and etl have one
    values: dict[str, Any] = {
        "application": app.metadata.name,
        "system": app.metadata.system,
        "owner": owner_name(app.metadata.owner),
        "environment": environment,
        "type": spec.type,
        "image": {"repository": spec.image, "tag": settings.version},
    }
    if spec.type == "service" and settings.replicas is not None:
        values["replicas"] = settings.replicas
    if spec.schedule is not None:
        values["schedule"] = spec.schedule
    if spec.secrets:
        values["secrets"] = [
            {"env": s.env, "secret": s.secret, **({"key": s.key} if s.key else {})}
            for s in spec.secrets
        ]
        values["secretStore"] = {"name": config.secret_store, "kind": "ClusterSecretStore"}
    return values


def copy_values(
    app: m.Application, environment: str, config: RenderConfig, now: datetime
) -> list[dict[str, Any]]:
    """The chart's ``copies`` of ``app`` in ``environment``: one restore Job each."""
    types = {component.name: component.type for component in app.spec.components}
    name = app.metadata.name
    found = []
    for env, copy in live_copies(app, now):
        if env != environment:
            continue
        copy_name = m.copy_resource_name(name, copy.component, env)

        def secret(of: str, component: str = copy.component) -> dict[str, str]:
            text = config.database_secret.replace("{application}", name)
            text = text.replace("{component}", component).replace("{environment}", of)
            return {"secret": text, "key": "url"}

        found.append(
            {
                "name": copy_name,
                "component": copy.component,
                "type": types[copy.component],
                "from": copy.source_environment,
                "database": copy_name.replace("-", "_"),
                "expiresAt": utc_text(copy.expires_at),
                "source": secret(copy.source_environment),
                "target": secret(env),
            }
        )
    return found


def argocd_application(
    app: m.Application, environment: str, config: RenderConfig, values: Mapping[str, Any]
) -> dict[str, Any]:
    name = f"{app.metadata.name}-{environment}"
    spec = app.spec
    version = spec.environments[environment].version
    source: dict[str, Any]
    if spec.chart is not None:  # vendor: its own chart, at this environment's version
        source = {
            "repoURL": spec.chart.repository,
            "chart": spec.chart.name,
            "targetRevision": version,
            "helm": {"releaseName": app.metadata.name},
        }
    else:
        source = {
            "repoURL": config.chart_repo_url,
            "path": config.chart_path,
            "targetRevision": config.chart_revision,
            "helm": {"releaseName": app.metadata.name, "valuesObject": dict(values)},
        }
    destination = config.destination(environment)
    target: dict[str, str] = {"namespace": namespace_of(app, environment, config)}
    if destination.name is not None:
        target["name"] = destination.name
    elif destination.server is not None:
        target["server"] = destination.server
    return {
        "apiVersion": ARGOCD_API_VERSION,
        "kind": "Application",
        "metadata": {
            "name": name,
            "namespace": config.argocd_namespace,
            "labels": {
                "app.kubernetes.io/name": app.metadata.name,
                "app.kubernetes.io/part-of": app.metadata.system,
                "app.kubernetes.io/version": label_value(version),
                "app.kubernetes.io/managed-by": "idp",
                "idp/owner": owner_name(app.metadata.owner),
                "idp/environment": environment,
            },
            "finalizers": ["resources-finalizer.argocd.argoproj.io"],
        },
        "spec": {
            "project": config.project,
            "source": source,
            "destination": target,
            "syncPolicy": {
                "automated": {"prune": True, "selfHeal": True},
                "syncOptions": ["CreateNamespace=true"],
            },
        },
    }


def render_all(
    apps: Iterable[m.Application],
    environments: Iterable[str],
    config: RenderConfig,
    now: datetime | None = None,
) -> list[Rendered]:
    """Every application in every configured environment it lists, in environment order."""
    order, listed = list(environments), list(apps)
    return [
        render(app, environment, config, now)
        for environment in order
        for app in apps_listing(listed, environment)
    ]


def apps_listing(apps: Iterable[m.Application], environment: str) -> list[m.Application]:
    return sorted(
        (app for app in apps if environment in app.spec.environments),
        key=lambda app: app.metadata.name,
    )


def to_yaml(value: Mapping[str, Any]) -> bytes:
    """Deterministic block YAML (keys in the order written)."""
    return block_yaml.dump(value)


def render_accepted(
    accepted: Iterable[tuple[m.Application, str, tuple[int, int]]],
    environments: Iterable[str],
    config: RenderConfig,
    now: datetime | None = None,
) -> tuple[list[Rendered], list[Problem]]:
    """``render_all`` over the applications ingest accepted (each with its path and the
    position of its name), leaving out, as a located problem, an application whose namespace
    the ``render.namespace`` pattern makes invalid."""
    apps: list[m.Application] = []
    problems: list[Problem] = []
    for app, path, (line, column) in accepted:
        bad = {
            env: namespace_problem(namespace_of(app, env, config)) for env in app.spec.environments
        }
        messages = [message for message in bad.values() if message]
        if messages:  # one problem per application: the first environment's
            problems.append(Problem(path, line, column, messages[0]))
        else:
            apps.append(app)
    return render_all(apps, environments, config, now), problems
