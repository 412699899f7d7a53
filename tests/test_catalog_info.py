"""catalog-info/: the service's own Backstage entities, and its OpenAPI document kept current."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import yaml
from fastapi.testclient import TestClient

from catalog_service.demo import prepare_demo
from catalog_service.http.app import create_app

ROOT = Path(__file__).resolve().parent.parent
CATALOG_INFO = ROOT / "catalog-info"
NAME = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
REGENERATE = ".venv/bin/python scripts/openapi.py > catalog-info/openapi.json"


def documents() -> dict[str, dict[str, Any]]:
    text = (CATALOG_INFO / "catalog-info.yaml").read_text(encoding="utf-8")
    return {doc["kind"]: doc for doc in yaml.safe_load_all(text)}


def test_the_committed_openapi_is_what_the_service_serves(tmp_path: Path) -> None:
    app = create_app(prepare_demo(tmp_path), poll=False)
    served = TestClient(app).get("/openapi.json")
    assert served.status_code == 200
    committed = json.loads((CATALOG_INFO / "openapi.json").read_text(encoding="utf-8"))
    assert committed == served.json(), f"catalog-info/openapi.json is stale: run {REGENERATE}"


def test_catalog_info_holds_the_service_its_api_and_the_templates() -> None:
    docs = documents()
    assert sorted(docs) == ["API", "Component", "Location"]
    for doc in docs.values():
        assert doc["apiVersion"] == "backstage.io/v1alpha1"
        assert NAME.match(doc["metadata"]["name"]), doc["metadata"]["name"]
    component, api = docs["Component"], docs["API"]
    assert component["spec"]["type"] == "service"
    assert {"lifecycle", "owner"} <= component["spec"].keys()
    assert component["spec"]["providesApis"] == [api["metadata"]["name"]]
    assert api["spec"]["type"] == "openapi"
    assert {"lifecycle", "owner"} <= api["spec"].keys()
    definition = api["spec"]["definition"]["$text"]
    assert (CATALOG_INFO / definition).is_file()


TEMPLATES = {"new-application", "promote-image", "restart-application", "copy-database"}
SCAFFOLDER_MODULE = ROOT / "backstage-plugins/plugins/scaffolder-backend-module-idp/src/module.ts"


def test_the_location_registers_every_template() -> None:
    location = documents()["Location"]
    [target] = location["spec"]["targets"]
    all_yaml = (CATALOG_INFO / target).resolve()
    assert all_yaml == ROOT / "templates" / "all.yaml"
    registered = yaml.safe_load(all_yaml.read_text(encoding="utf-8"))
    assert registered["kind"] == "Location"
    targets = [(all_yaml.parent / t).resolve() for t in registered["spec"]["targets"]]
    assert {t.parent.name for t in targets} == TEMPLATES
    assert {p.name for p in (ROOT / "templates").iterdir() if p.is_dir()} == TEMPLATES
    for template_file in targets:
        template = yaml.safe_load(template_file.read_text(encoding="utf-8"))
        assert template["apiVersion"] == "scaffolder.backstage.io/v1beta3"
        assert template["kind"] == "Template"
        assert template["metadata"]["name"] == f"idp-{template_file.parent.name}"


def test_the_templates_use_only_actions_the_scaffolder_module_registers() -> None:
    module = SCAFFOLDER_MODULE.read_text(encoding="utf-8")
    files = SCAFFOLDER_MODULE.parent.rglob("*.ts")
    sources = {p.name: p.read_text(encoding="utf-8") for p in files}
    for folder in sorted(TEMPLATES):
        text = (ROOT / "templates" / folder / "template.yaml").read_text(encoding="utf-8")
        steps = yaml.safe_load(text)["spec"]["steps"]
        for action in (s["action"] for s in steps if s["action"].startswith("idp:")):
            [source] = [name for name, code in sources.items() if f"id: '{action}'" in code]
            registered = f"/{source.removesuffix('.ts')}';" in module
            assert registered, f"{folder}: {action} is not registered in module.ts"
