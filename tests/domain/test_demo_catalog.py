"""The demo GitOps repository that ships with the project becomes a complete, consistent catalog."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml

from catalog_service.domain.catalog import Catalog
from catalog_service.domain.entities import Entity, EntityContext, LinkTemplate
from tests.domain.support import catalog_of, entities_of

ROOT = Path(__file__).resolve().parents[2]
GITOPS = ROOT / "examples" / "gitops"
CONFIG = ROOT / "examples" / "demo-config.yaml"
PREFIX = "url:https://github.com/acme/gitops/blob/main/"

# Backstage's own formats (@backstage/catalog-model): names, and annotation keys prefix/name.
BACKSTAGE_NAME = re.compile(r"^[a-zA-Z0-9]([-_.a-zA-Z0-9]*[a-zA-Z0-9])?$")
ANNOTATION_KEY = re.compile(
    r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?"
    r"[a-zA-Z0-9]([-_.a-zA-Z0-9]*[a-zA-Z0-9])?$"
)


def demo_context() -> EntityContext:
    config: dict[str, Any] = yaml.safe_load(CONFIG.read_text(encoding="utf-8"))
    return EntityContext(
        environments=tuple(config["environments"]),
        links=tuple(LinkTemplate(link["title"], link["url"]) for link in config["links"]),
        location_prefix=PREFIX,
    )


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    files = {
        path.relative_to(GITOPS).as_posix(): path.read_bytes()
        for path in sorted((GITOPS / "apps").rglob("*"))
        if path.suffix in (".yaml", ".yml")
    }
    assert len(files) == 14
    return catalog_of(files, demo_context())


@pytest.fixture(scope="module")
def entities(catalog: Catalog) -> list[Entity]:
    return entities_of(catalog)


def test_the_demo_has_no_problems(catalog: Catalog) -> None:
    assert [str(problem) for problem in catalog.problems] == []


def test_the_demo_entity_counts(catalog: Catalog, entities: list[Entity]) -> None:
    assert Counter(e["kind"] for e in entities) == {"Component": 14, "Resource": 17, "System": 4}
    assert catalog.entity_count == 35
    assert len(catalog.refs) == 35


def test_the_demo_applications(entities: list[Entity]) -> None:
    components = {e["metadata"]["name"]: e["spec"] for e in entities if e["kind"] == "Component"}
    assert Counter(spec["type"] for spec in components.values()) == {
        "service": 8,
        "vendor": 3,
        "etl": 3,
    }
    assert components["legacy-sso-bridge"]["lifecycle"] == "deprecated"
    assert components["fraud-scoring"]["lifecycle"] == "experimental"
    # Two applications in one file (apps/payments/ledger.yaml).
    assert {"ledger-api", "settlement-reconciliation"} <= components.keys()


def test_the_demo_systems(entities: list[Entity]) -> None:
    systems = {e["metadata"]["name"]: e for e in entities if e["kind"] == "System"}
    assert list(systems) == ["data-platform", "identity", "payments", "storefront"]
    implied = {name for name, e in systems.items() if "idp/implied" in e["metadata"]["annotations"]}
    assert implied == {"data-platform", "storefront"}
    # data-platform: team-data owns three of its four applications (grafana is team-platform's).
    assert systems["data-platform"]["spec"]["owner"] == "team-data"


def test_every_reference_resolves(catalog: Catalog, entities: list[Entity]) -> None:
    for entity in entities:
        spec = entity["spec"]
        for ref in spec.get("dependsOn", []):
            assert ref in catalog.refs, (entity["metadata"]["name"], ref)
        if "system" in spec:
            assert f"system:default/{spec['system']}" in catalog.refs


def test_every_entity_has_backstage_shaped_names_annotations_and_links(
    entities: list[Entity],
) -> None:
    for entity in entities:
        metadata = entity["metadata"]
        assert entity["apiVersion"] == "backstage.io/v1alpha1"
        assert BACKSTAGE_NAME.match(metadata["name"]) and len(metadata["name"]) <= 63
        annotations = metadata["annotations"]
        assert annotations["backstage.io/managed-by-location"].startswith(PREFIX + "apps/")
        assert (
            annotations["backstage.io/managed-by-origin-location"]
            == annotations["backstage.io/managed-by-location"]
        )
        for key, value in annotations.items():
            assert ANNOTATION_KEY.match(key), key
            assert isinstance(value, str)
        for link in metadata.get("links", []):
            assert link["url"].startswith("https://")


def test_the_demo_links_and_versions(entities: list[Entity]) -> None:
    [keycloak] = [e for e in entities if e["metadata"]["name"] == "keycloak"]
    annotations = keycloak["metadata"]["annotations"]
    assert [k for k in annotations if k.startswith("idp/version.")] == [
        "idp/version.dev",
        "idp/version.staging",
        "idp/version.prod",
    ]
    titles = [link["title"] for link in keycloak["metadata"]["links"]]
    assert titles[1:4] == ["Argo CD (dev)", "Argo CD (staging)", "Argo CD (prod)"]
    assert len(titles) == 1 + 3 * 3  # its own link, then three templates for three environments


def test_no_secret_reference_reaches_the_catalog(catalog: Catalog) -> None:
    served = b"".join(catalog.documents)
    for path in (GITOPS / "apps").rglob("*.yaml"):
        for document in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            for secret in document.get("spec", {}).get("secrets", []):
                assert secret["secret"].encode() not in served
                assert secret["env"].encode() not in served
