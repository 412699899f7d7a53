"""The chart rendered by Helm's own code (helm-python-sdk), as a list of Kubernetes objects."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import helm_python
import yaml

from tests.support.settings import ROOT

CHART_DIR = ROOT / "deploy" / "helm" / "idp-catalog"
RELEASE = "catalog"
NAMESPACE = "idp"
FULLNAME = f"{RELEASE}-idp-catalog"


def render(values: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
    """Every object the chart makes with these values (over values.yaml), NOTES.txt left out."""
    chart = helm_python.Chart.load(str(CHART_DIR))
    manifests = chart.render(dict(values or {}), name=RELEASE, namespace=NAMESPACE)
    objects: list[dict[str, Any]] = []
    for template, text in sorted(manifests.items()):
        if template.endswith("NOTES.txt"):
            continue
        objects += [document for document in yaml.safe_load_all(text) if document]
    return objects


def one(objects: list[dict[str, Any]], kind: str) -> dict[str, Any]:
    found = [item for item in objects if item["kind"] == kind]
    assert len(found) == 1, f"{len(found)} {kind} objects: {[o['kind'] for o in objects]}"
    return found[0]


def container(objects: list[dict[str, Any]], kind: str = "Deployment") -> dict[str, Any]:
    containers = one(objects, kind)["spec"]["template"]["spec"]["containers"]
    assert len(containers) == 1
    result: dict[str, Any] = containers[0]
    return result
