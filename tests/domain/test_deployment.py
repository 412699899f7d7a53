"""The pure part of render: a manifest, an environment and the render settings give the chart's
values and the Argo CD Application (docs/architecture.md §6.9)."""

from __future__ import annotations

from typing import Any

import pytest

from catalog_service.domain import manifests as m
from catalog_service.domain.deployment import (
    Destination,
    RenderConfig,
    label_value,
    namespace_problem,
    owner_name,
    render,
    render_accepted,
)

CONFIG = RenderConfig(chart_repo_url="https://github.com/acme/gitops.git")


def app(**spec: Any) -> m.Application:
    base: dict[str, Any] = {
        "type": "service",
        "source": {"repository": "acme/pay"},
        "image": "registry.example.com/pay",
        "environments": {"dev": {"version": "1.4.2"}, "prod": {"version": "1.3.0", "replicas": 3}},
    }
    return m.Application.model_validate(
        {
            "apiVersion": "idp/v1alpha1",
            "kind": "Application",
            "metadata": {"name": "pay", "system": "payments", "owner": "group:default/team-a"},
            "spec": base | spec,
        }
    )


def test_a_service() -> None:
    rendered = render(app(secrets=[{"env": "A", "secret": "pay/db", "key": "url"}]), "prod", CONFIG)
    assert rendered.values == {
        "application": "pay",
        "system": "payments",
        "owner": "team-a",
        "environment": "prod",
        "type": "service",
        "image": {"repository": "registry.example.com/pay", "tag": "1.3.0"},
        "replicas": 3,
        "secrets": [{"env": "A", "secret": "pay/db", "key": "url"}],
        "secretStore": {"name": "aws-secrets-manager", "kind": "ClusterSecretStore"},
    }
    argo = rendered.argocd_application
    assert argo["metadata"]["name"] == "pay-prod"
    assert argo["spec"]["source"] == {
        "repoURL": "https://github.com/acme/gitops.git",
        "path": "deploy/charts/idp-application",
        "targetRevision": "main",
        "helm": {"releaseName": "pay", "valuesObject": rendered.values},
    }
    assert argo["spec"]["destination"] == {
        "namespace": "pay-prod",
        "server": "https://kubernetes.default.svc",
    }
    assert set(rendered.files()) == {"prod/pay/values.yaml", "prod/pay/application.yaml"}


def test_a_vendor_application_deploys_its_own_chart_at_the_environments_version() -> None:
    vendor = app(
        type="vendor",
        source=None,
        image=None,
        chart={"repository": "https://charts.example.com", "name": "keycloak"},
        environments={"dev": {"version": "24.0.1+up"}},
    )
    rendered = render(vendor, "dev", CONFIG)
    assert rendered.values == {}
    assert rendered.argocd_application["spec"]["source"] == {
        "repoURL": "https://charts.example.com",
        "chart": "keycloak",
        "targetRevision": "24.0.1+up",
        "helm": {"releaseName": "pay"},
    }
    assert rendered.argocd_application["metadata"]["labels"]["app.kubernetes.io/version"] == (
        "24.0.1_up"
    )


def test_an_etl_job_and_a_named_cluster() -> None:
    config = RenderConfig(
        chart_repo_url="x", destinations={"dev": Destination(server=None, name="dev-eu")}
    )
    job = app(type="etl", schedule="0 2 * * *")
    rendered = render(job, "dev", config)
    assert rendered.values["schedule"] == "0 2 * * *" and "replicas" not in rendered.values
    assert rendered.argocd_application["spec"]["destination"] == {
        "namespace": "pay-dev",
        "name": "dev-eu",
    }


@pytest.mark.parametrize(
    ("text", "label"),
    [("1.0+build.7", "1.0_build.7"), ("_x_", "x"), ("a" * 70, "a" * 63), ("ünï", "n")],
)
def test_label_values(text: str, label: str) -> None:
    assert label_value(text) == label


def test_owner_names() -> None:
    assert owner_name("group:default/team-a") == "team-a"
    assert owner_name("team-b") == "team-b"
    assert owner_name("group:team-c") == "team-c"


def test_namespaces() -> None:
    assert namespace_problem("pay-dev") is None
    assert namespace_problem("a" * 64) is not None
    assert namespace_problem("Pay_dev") is not None


def test_only_the_environments_an_application_lists_in_the_configured_order() -> None:
    config = RenderConfig(chart_repo_url="x", namespace="{system}-{name}-{environment}")
    rendered, problems = render_accepted(
        [(app(), "apps/pay.yaml", (4, 9))], ["prod", "staging", "dev"], config
    )
    assert problems == []
    assert [r.folder for r in rendered] == ["prod/pay", "dev/pay"]
    assert rendered[0].argocd_application["spec"]["destination"]["namespace"] == "payments-pay-prod"
