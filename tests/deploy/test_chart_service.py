"""The chart against the service it runs: the ConfigMap is a configuration the real Settings load,
the probes and the scrape path are routes the real app serves, the Secret's keys are variables the
settings read, and the container's command is the real command line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient

from catalog_service.cli import _parser
from catalog_service.http.app import create_app
from catalog_service.settings import Settings, load_settings
from tests.deploy.chart import container, one, render
from tests.deploy.test_chart_objects import EVERYTHING_ON

PEM = "-----BEGIN RSA PRIVATE KEY-----\nMIIB\n-----END RSA PRIVATE KEY-----\n"


def configmap_settings(objects: list[dict[str, Any]], tmp_path: Path, **overrides: Any) -> Settings:
    """The ConfigMap's config.yaml, mounted where CATALOG_CONFIG says, loaded by the service."""
    main = container(objects, "StatefulSet" if "StatefulSet" in kinds(objects) else "Deployment")
    env = {item["name"]: item.get("value") for item in main["env"]}
    mount = next(m for m in main["volumeMounts"] if m["name"] == "config")["mountPath"]
    assert env["CATALOG_CONFIG"] == f"{mount}/config.yaml"
    path = tmp_path / "config.yaml"
    path.write_text(one(objects, "ConfigMap")["data"]["config.yaml"], encoding="utf-8")
    return load_settings(path, **overrides)


def kinds(objects: list[dict[str, Any]]) -> set[str]:
    return {item["kind"] for item in objects}


@pytest.mark.parametrize("values", [{}, EVERYTHING_ON], ids=["defaults", "everything-on"])
def test_the_configmap_is_a_configuration_the_service_loads(
    values: dict[str, Any], tmp_path: Path
) -> None:
    settings = configmap_settings(render(values), tmp_path)
    assert settings.source.url == "https://github.com/acme/gitops.git"
    if values:
        assert settings.logging.format == "text"
        assert settings.logging.level == "DEBUG"
        assert settings.shutdown.graceSeconds == 45.5


def test_a_typo_in_config_reaches_the_configmap_and_stops_the_service(tmp_path: Path) -> None:
    objects = render({"config": {"source": {"url": "https://x.example/g.git", "brnach": "main"}}})
    with pytest.raises(Exception, match=r"source\.brnach: unknown key"):
        configmap_settings(objects, tmp_path)


def test_the_probes_and_the_scrape_path_are_served(tmp_path: Path) -> None:
    objects = render(EVERYTHING_ON)
    settings = configmap_settings(
        objects, tmp_path, database={"url": f"sqlite:///{tmp_path / 'catalog.db'}"}
    )
    main = container(objects, "StatefulSet")
    readiness = main["readinessProbe"]["httpGet"]
    liveness = main["livenessProbe"]["httpGet"]
    (endpoint,) = one(objects, "ServiceMonitor")["spec"]["endpoints"]
    app = create_app(settings, poll=False)
    assert (readiness["path"], liveness["path"]) == ("/readyz", "/healthz")
    with TestClient(app) as client:
        alive = client.get(liveness["path"])
        assert (alive.status_code, alive.json()) == (200, {"status": "ok"})
        # Not ready before a first ingest: the pod gets no traffic yet.
        ready = client.get(readiness["path"])
        assert (ready.status_code, ready.json()["ready"]) == (503, False)
        scraped = client.get(endpoint["path"])
        assert scraped.status_code == 200
        assert "# TYPE" in scraped.text
    ports = {port["name"]: port["containerPort"] for port in main["ports"]}
    assert readiness["port"] == liveness["port"] == endpoint["port"] == "http"
    command = _parser().parse_args(main["args"][1:])
    assert main["args"][:2] == ["catalog-service", "serve"]
    assert (command.host, command.port) == ("0.0.0.0", ports["http"])


def test_the_secret_keys_are_variables_the_service_reads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # What the chart's envFrom gives the pod: the Secret's keys as variables.
    values_text = (Path(__file__).parents[2] / "deploy/helm/idp-catalog/values.yaml").read_text()
    documented = {
        word.strip("(),.")
        for word in values_text.split()
        if word.startswith("CATALOG_") and "__" in word
    }
    secret = {
        "CATALOG_GITHUB__APP__PRIVATEKEY": PEM,
        "CATALOG_GITHUB__WEBHOOKSECRET": "webhook-secret-0123456789",
        "CATALOG_AUTH__TOKENS": '["token-0123456789abcdef"]',
        "CATALOG_DATABASE__URL": "postgresql+psycopg://catalog:pw@db:5432/catalog",
        "CATALOG_BACKSTAGE__TOKEN": "backstage-token-0123456789",
        "CATALOG_ARGOCD__TOKEN": "argocd-token-0123456789",
    }
    assert documented == {*secret, "CATALOG_GITHUB__TOKEN"}
    for name, value in secret.items():
        monkeypatch.setenv(name, value)
    config = {
        "source": {"url": "https://github.com/acme/gitops.git"},
        "github": {"app": {"id": 12, "installationId": 34}},
        "backstage": {"eventsUrl": "https://backstage.example.com/api/events/http/idp.catalog"},
        "argocd": {"url": "https://argocd.example.com"},
    }
    objects = render({"config": config, "existingSecret": "catalog-service"})
    settings = configmap_settings(objects, tmp_path)
    assert settings.github.app is not None
    assert settings.github.app.privateKey.get_secret_value() == PEM
    assert settings.github.app.id == 12  # the ConfigMap's half of the App, beside the Secret's
    assert settings.github.webhookSecret is not None
    assert settings.auth.tokens[0].get_secret_value() == "token-0123456789abcdef"
    assert settings.database.url == secret["CATALOG_DATABASE__URL"]
    assert settings.backstage is not None and settings.backstage.token is not None
    assert settings.argocd is not None
    assert settings.argocd.token.get_secret_value() == secret["CATALOG_ARGOCD__TOKEN"]
    for name in (
        "CATALOG_GITHUB__APP__PRIVATEKEY",
        "CATALOG_BACKSTAGE__TOKEN",
        "CATALOG_ARGOCD__TOKEN",
    ):
        monkeypatch.delenv(name)
    monkeypatch.setenv("CATALOG_GITHUB__TOKEN", "github_pat_0123456789")
    plain = load_settings(None, **yaml.safe_load(one(render(), "ConfigMap")["data"]["config.yaml"]))
    assert plain.github.token is not None
