"""The exposition against docs/architecture.md §6.5 and promtool's lint; the alert rules and the
Grafana dashboard read only what a real scrape of the service exports."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient

from catalog_service.db import Database, upgrade
from catalog_service.metrics import ServiceMetrics
from catalog_service.service import build_ingestor
from tests.metrics.db_records import action_call, delivery, merged_pull_request
from tests.metrics.promql import names
from tests.metrics.support import Scrape, metrics_app, populate
from tests.support.repos import GitOpsRepo
from tests.support.settings import ROOT, SettingsFactory

ALERTS = ROOT / "docs" / "prometheus" / "alerts.yaml"
DASHBOARD = ROOT / "docs" / "grafana" / "adoption-dashboard.json"
# docs/architecture.md §6.5, plus idp_ingest_held_back (ours): family name, type, label names.
PROMETHEUS_INPUT = {"type": "prometheus", "uid": "${DS_PROMETHEUS}"}
CONTRACT = {
    "idp_application_manifests": ("gauge", {"system", "type", "owner"}),
    "idp_invalid_manifests": ("gauge", set()),
    "idp_manifest_pull_requests": ("counter", {"autonomous"}),
    "idp_actions": ("counter", {"action", "outcome"}),
    "idp_ingest_duration_seconds": ("histogram", {"le"}),
    "idp_ingest_last_success_timestamp_seconds": ("gauge", set()),
    "idp_webhook_deliveries": ("counter", {"event", "outcome"}),
    "idp_ingest_held_back": ("gauge", set()),
}


@pytest.fixture
def exposition(gitops: GitOpsRepo, make_settings: SettingsFactory, tmp_path: Path) -> str:
    """A real scrape of a service with a catalog and a record of each kind in its database."""
    populate(gitops)
    ingestor = build_ingestor(make_settings())
    database = Database(f"sqlite:///{tmp_path / 'catalog.db'}")
    try:
        upgrade(database.url)
        merged_pull_request(database, 1, autonomous=True)
        action_call(database, "create-application", "succeeded")
        delivery(database, "d1", "pull_request", "processed")
        metrics = ServiceMetrics.for_ingest(ingestor, database)
        metrics.observe_ingest(ingestor.refresh().duration_seconds)
        with TestClient(metrics_app(metrics)) as client:
            response = client.get("/metrics")
        assert response.status_code == 200
        text: str = response.text
        return text
    finally:
        database.dispose()
        ingestor.close()


def test_every_metric_of_the_design_is_exported_as_named(exposition: str) -> None:
    scrape = Scrape.parse(exposition)
    for family, (kind, labels) in CONTRACT.items():
        assert scrape.types.get(family) == kind, family
        sample = family + ("_bucket" if kind == "histogram" else "")
        sample += "_total" if kind == "counter" else ""
        assert scrape.samples[sample], sample
        assert all(set(found) == labels for found, _ in scrape.samples[sample]), sample


def test_promtool_accepts_the_exposition(exposition: str) -> None:
    result = subprocess.run(
        ["promtool", "check", "metrics"], input=exposition, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == "", result.stdout  # no lint findings either


def test_promtool_accepts_the_alert_rules() -> None:
    result = subprocess.run(
        ["promtool", "check", "rules", str(ALERTS)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS: 4 rules found" in result.stdout


def alert_expressions() -> list[str]:
    rules = yaml.safe_load(ALERTS.read_text(encoding="utf-8"))
    return [rule["expr"] for group in rules["groups"] for rule in group["rules"]]


def dashboard_expressions() -> list[str]:
    dashboard = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    return [target["expr"] for panel in dashboard["panels"] for target in panel["targets"]]


def test_the_rules_and_the_dashboard_read_only_exported_names(exposition: str) -> None:
    scrape = Scrape.parse(exposition)
    expressions = alert_expressions() + dashboard_expressions()
    assert len(expressions) == 4 + 13
    read = [names(expression) for expression in expressions]
    for expression, found in zip(expressions, read, strict=True):
        assert found.metrics, expression
        assert found.metrics <= scrape.samples.keys(), (expression, found.metrics)
        assert found.labels <= scrape.label_names, (expression, found.labels)
    every = {name for found in read for name in found.metrics}
    assert {"idp_application_manifests", "idp_ingest_held_back"} <= every


def test_the_names_of_an_expression() -> None:
    found = names(
        'sum by (le) (rate(x_bucket{a="b", __name__=~"y"}[5m] offset 1h)) / on (c)'
        " group_left (d) z and time() - w > bool 3 unless max without (e) (v[$__range])"
    )
    assert found.metrics == {"x_bucket", "y", "z", "w", "v"}
    assert found.labels == {"le", "a", "c", "d", "e"}
    assert names("idp_aplication_manifests").metrics == {"idp_aplication_manifests"}


def test_the_dashboard_imports_as_grafana_exports_it() -> None:
    dashboard: dict[str, Any] = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    assert [item["name"] for item in dashboard["__inputs"]] == ["DS_PROMETHEUS"]
    assert dashboard["__inputs"][0]["pluginId"] == "prometheus"
    required = {(item["type"], item["id"]) for item in dashboard["__requires"]}
    panels = dashboard["panels"]
    assert {("panel", panel["type"]) for panel in panels} <= required
    assert {("grafana", "grafana"), ("datasource", "prometheus")} <= required
    assert dashboard["id"] is None and dashboard["uid"]
    assert len({panel["id"] for panel in panels}) == len(panels)
    for panel in panels:
        sources = [panel["datasource"]] + [target["datasource"] for target in panel["targets"]]
        assert all(
            source == {"type": "prometheus", "uid": "${DS_PROMETHEUS}"} for source in sources
        )
        assert set(panel["gridPos"]) == {"x", "y", "w", "h"}
