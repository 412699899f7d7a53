"""deploy/charts/idp-application on its own: `helm lint` clean, its schema refusing a typo, the
probes and resources its values set, every documented value documented."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import helm_python
import pytest
import yaml

from tests.render.support import CHART, ROOT, helm_objects, validate_core

VALUES: dict[str, Any] = {
    "application": "pay",
    "system": "payments",
    "owner": "team-a",
    "environment": "dev",
    "type": "service",
    "image": {"repository": "registry.example.com/pay", "tag": "1.0"},
}


def test_helm_lint_is_clean() -> None:
    result = helm_python.lint(str(CHART))
    assert result["errors"] == []
    # Severity 1 is INFO ("icon is recommended"); 2 and above are warnings and errors.
    assert [m for m in result["messages"] if m["severity"] >= 2] == []


def test_the_schema_refuses_a_typo() -> None:
    with pytest.raises(helm_python.errors.HelmError, match="replica"):
        helm_objects({**VALUES, "replica": 2}, "pay", "pay-dev")


def test_probes_resources_and_labels_from_the_values() -> None:
    probe = {"httpGet": {"path": "/healthz", "port": "http"}, "periodSeconds": 5}
    values = {
        **VALUES,
        "probes": {"readiness": probe, "liveness": None, "startup": probe},
        "resources": {"requests": {"cpu": "1", "memory": "1Gi"}},
        "labels": {"team": "a", "idp/owner": "ignored"},
        "env": {"LOG_LEVEL": "debug"},
    }
    objects = {obj["kind"]: obj for obj in helm_objects(values, "pay", "pay-dev")}
    deployment = objects["Deployment"]
    validate_core(deployment)
    [container] = deployment["spec"]["template"]["spec"]["containers"]
    assert container["readinessProbe"] == probe and container["startupProbe"] == probe
    assert "livenessProbe" not in container
    # Helm merges values into the defaults: the default memory limit stays.
    assert container["resources"] == {
        "requests": {"cpu": "1", "memory": "1Gi"},
        "limits": {"memory": "512Mi"},
    }
    assert container["env"] == [{"name": "LOG_LEVEL", "value": "debug"}]
    assert "envFrom" not in container and "ExternalSecret" not in objects
    labels = deployment["metadata"]["labels"]
    assert labels["team"] == "a" and labels["idp/owner"] == "team-a"


def value_paths(values: Any, prefix: str = "") -> set[str]:
    """Dotted paths of the chart's values, down to the documented level."""
    paths = set()
    for key, value in values.items():
        path = f"{prefix}{key}"
        nested = isinstance(value, dict) and value and key not in ("resources", "securityContext")
        paths |= value_paths(value, f"{path}.") if nested else {path}
    return paths


def test_every_value_is_documented_and_in_the_schema() -> None:
    values = yaml.safe_load((CHART / "values.yaml").read_text())
    doc = (ROOT / "docs" / "platform-chart.md").read_text()
    documented = set(re.findall(r"^\| `([\w.]+)` \|", doc, re.MULTILINE))
    assert value_paths(values) <= documented
    schema = json.loads((CHART / "values.schema.json").read_text())
    assert set(values) == set(schema["properties"])


def test_the_chart_files_are_what_the_project_ships() -> None:
    names = {path.relative_to(CHART).as_posix() for path in CHART.rglob("*") if path.is_file()}
    assert {"Chart.yaml", "values.yaml", "values.schema.json"} <= names
    assert Path(CHART / "templates" / "externalsecret.yaml").is_file()
