"""Checking a render with the tools that deploy it: Helm's own code (helm-python-sdk) renders
each values file with the platform chart, kubernetes-validate checks the core objects, and the
CRD schemas of @kubernetes-models (deploy/validate/, run with node) check the Applications and
ExternalSecrets."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import helm_python
import kubernetes_validate
import yaml

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "deploy" / "charts" / "idp-application"
VALIDATOR = ROOT / "deploy" / "validate"
KUBERNETES_VERSION = "1.33.0"
CORE_KINDS = {"Deployment", "Service", "ServiceAccount", "CronJob"}


def helm_objects(values: dict[str, Any], release: str, namespace: str) -> list[dict[str, Any]]:
    """The objects the platform chart makes of ``values``, as Helm renders them."""
    rendered = helm_python.Chart.load(str(CHART)).render(values, name=release, namespace=namespace)
    objects = []
    for text in rendered.values():
        objects += [doc for doc in yaml.safe_load_all(text) if doc]
    return objects


def validate_core(obj: dict[str, Any]) -> None:
    """Raises when Kubernetes' own schema refuses ``obj`` (unknown fields too)."""
    kubernetes_validate.validate(obj, KUBERNETES_VERSION, strict=True)


def validate_custom_resources(*folders: Path) -> dict[str, Any]:
    """The node validator's report on every Application and ExternalSecret in ``folders``."""
    if not (VALIDATOR / "node_modules").is_dir():
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=VALIDATOR, check=True)
    result = subprocess.run(
        ["node", str(VALIDATOR / "validate.mjs"), *map(str, folders)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    report: dict[str, Any] = json.loads(result.stdout)
    assert result.returncode == (1 if report["invalid"] or not report["checked"] else 0)
    return report


def files_and_mtimes(folder: Path) -> dict[str, tuple[bytes, int]]:
    return {
        path.relative_to(folder).as_posix(): (path.read_bytes(), path.stat().st_mtime_ns)
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }
