"""Manifests become Backstage entities exactly as docs/architecture.md §6.2 says."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest

from catalog_service.domain import manifests as m
from catalog_service.domain.entities import (
    BACKSTAGE_API_VERSION,
    Entity,
    EntityContext,
    LinkTemplate,
    application_entities,
    compact_owner_ref,
    declared_system_entity,
    full_owner_ref,
    implied_owner,
    implied_system_entity,
)
from tests.domain.support import (
    EDIT_URL_PREFIX,
    LOCATION_PREFIX,
    application,
    context,
    model,
    system,
)

PATH = "apps/payments/payments-api.yaml"
LOCATION = LOCATION_PREFIX + PATH

ARGO = LinkTemplate(
    "Argo CD ({environment})", "https://argocd.example.com/applications/{name}-{environment}"
)
DASHBOARD = LinkTemplate(
    "Dashboard of {system}", "https://grafana.example.com/d/{system}?app={name}"
)
LOGS = LinkTemplate("Logs", "https://logs.example.com/?q=app%3D{name}%20env%3D{environment}")


def entities(document: dict[str, Any], ctx: EntityContext | None = None) -> list[Entity]:
    return application_entities(model(document), PATH, ctx or context())


def component(document: dict[str, Any], ctx: EntityContext | None = None) -> Entity:
    first = entities(document, ctx)[0]
    assert first["kind"] == "Component"
    return first


def full_application(**spec: Any) -> dict[str, Any]:
    """The contract's example application (docs/architecture.md §6.1)."""
    values: dict[str, Any] = {
        "components": [{"name": "db", "type": "postgresql"}, {"name": "events", "type": "queue"}],
        "secrets": [{"env": "DATABASE_URL", "secret": "payments/db", "key": "url"}],
        "dependsOn": ["ledger-api", "fraud-scoring"],
        "environments": {
            "prod": {"version": "1.3.0", "replicas": 3},
            "dev": {"version": "1.4.2"},
            "staging": {"version": "1.4.1"},
        },
    }
    values.update(spec)
    return application(
        "payments-api",
        system="payments",
        owner="team-payments",
        metadata={
            "description": "Card payments API",
            "lifecycle": "experimental",
            "tags": ["python", "payments"],
            "links": [{"url": "https://wiki.example.com/payments", "title": "Runbook"}],
        },
        **values,
    )


# -- Component ----------------------------------------------------------------------------------


def test_component_of_the_design_example() -> None:
    assert component(full_application(), context(links=(ARGO,))) == {
        "apiVersion": BACKSTAGE_API_VERSION,
        "kind": "Component",
        "metadata": {
            "name": "payments-api",
            "namespace": "default",
            "description": "Card payments API",
            "tags": ["python", "payments"],
            "links": [
                {"url": "https://wiki.example.com/payments", "title": "Runbook"},
                {
                    "url": "https://argocd.example.com/applications/payments-api-dev",
                    "title": "Argo CD (dev)",
                },
                {
                    "url": "https://argocd.example.com/applications/payments-api-staging",
                    "title": "Argo CD (staging)",
                },
                {
                    "url": "https://argocd.example.com/applications/payments-api-prod",
                    "title": "Argo CD (prod)",
                },
            ],
            "annotations": {
                "backstage.io/managed-by-location": LOCATION,
                "backstage.io/managed-by-origin-location": LOCATION,
                "backstage.io/view-url": LOCATION.removeprefix("url:"),
                "backstage.io/edit-url": "https://github.com/acme/gitops/edit/main/" + PATH,
                "github.com/project-slug": "acme/payments-api",
                "backstage.io/source-location": "url:https://github.com/acme/payments-api/tree/HEAD/",
                "idp/image": "registry.example.com/acme/payments-api",
                "idp/version.dev": "1.4.2",
                "idp/version.staging": "1.4.1",
                "idp/version.prod": "1.3.0",
            },
        },
        "spec": {
            "type": "service",
            "lifecycle": "experimental",
            "owner": "team-payments",
            "system": "payments",
            "dependsOn": [
                "resource:default/payments-api-db",
                "resource:default/payments-api-events",
                "component:default/ledger-api",
                "component:default/fraud-scoring",
            ],
        },
    }


@pytest.mark.parametrize("kind", ["service", "vendor", "etl"])
def test_spec_type_is_the_application_type(kind: str) -> None:
    assert component(application(type=kind))["spec"]["type"] == kind


def test_owner_system_and_default_lifecycle() -> None:
    spec = component(application("ledger", system="finance", owner="group:default/team-ledger"))[
        "spec"
    ]
    assert spec == {
        "type": "service",
        "lifecycle": "production",
        "owner": "group:default/team-ledger",
        "system": "finance",
    }


@pytest.mark.parametrize("lifecycle", ["experimental", "production", "deprecated"])
def test_lifecycle_is_carried(lifecycle: str) -> None:
    document = application(metadata={"lifecycle": lifecycle})
    assert component(document)["spec"]["lifecycle"] == lifecycle


def test_depends_on_lists_resources_then_components_in_manifest_order() -> None:
    document = application(
        "web",
        components=[{"name": "images", "type": "s3-bucket"}, {"name": "cache", "type": "redis"}],
        dependsOn=["search", "auth"],
    )
    assert component(document)["spec"]["dependsOn"] == [
        "resource:default/web-images",
        "resource:default/web-cache",
        "component:default/search",
        "component:default/auth",
    ]


def test_no_depends_on_when_there_is_nothing_to_depend_on() -> None:
    assert "dependsOn" not in component(application())["spec"]


def test_optional_metadata_is_left_out_when_not_given() -> None:
    metadata = component(application())["metadata"]
    assert set(metadata) == {"name", "namespace", "annotations"}


def test_secrets_never_reach_an_entity() -> None:
    document = full_application()
    text = repr(entities(document, context(links=(ARGO, LOGS))))
    assert "payments/db" not in text
    assert "DATABASE_URL" not in text


# -- Resources ----------------------------------------------------------------------------------


def test_one_resource_per_component_with_the_same_owner_and_system() -> None:
    app, db, events = entities(full_application(), context(links=(ARGO,)))
    assert db == {
        "apiVersion": BACKSTAGE_API_VERSION,
        "kind": "Resource",
        "metadata": {
            "name": "payments-api-db",
            "namespace": "default",
            "description": "postgresql of payments-api",
            "links": app["metadata"]["links"],
            "annotations": {**app["metadata"]["annotations"], "idp/application": "payments-api"},
        },
        "spec": {"type": "postgresql", "owner": "team-payments", "system": "payments"},
    }
    # Same locations, versions and links as the application it ships with.
    assert db["metadata"]["annotations"]["backstage.io/managed-by-location"] == LOCATION
    assert any(key.startswith("idp/version.") for key in db["metadata"]["annotations"])
    assert db["metadata"]["links"]
    assert events["metadata"]["name"] == "payments-api-events"
    assert events["spec"] == {"type": "queue", "owner": "team-payments", "system": "payments"}


def test_an_application_without_components_is_one_entity() -> None:
    assert len(entities(application())) == 1


def test_resource_names_fit_backstage_names() -> None:
    name = "a" * 40
    document = application(name, components=[{"name": "b" * 22, "type": "redis"}])
    resource = entities(document)[1]
    assert resource["metadata"]["name"] == f"{name}-{'b' * 22}"
    assert len(resource["metadata"]["name"]) == m.MAX_NAME_LENGTH


# -- annotations --------------------------------------------------------------------------------


def test_location_annotations_use_the_prefix_and_the_path() -> None:
    ctx = context(location_prefix="url:https://github.com/acme/gitops/blob/release/")
    annotations = component(application(), ctx)["metadata"]["annotations"]
    expected = "url:https://github.com/acme/gitops/blob/release/" + PATH
    assert annotations["backstage.io/managed-by-location"] == expected
    assert annotations["backstage.io/managed-by-origin-location"] == expected


@pytest.mark.parametrize(
    ("path", "encoded"),
    [
        ("apps/my app.yaml", "apps/my%20app.yaml"),
        ("apps/a#b?c.yaml", "apps/a%23b%3Fc.yaml"),
        ("apps/100%.yaml", "apps/100%25.yaml"),
        ("apps/line\nbreak.yaml", "apps/line%0Abreak.yaml"),
        ("apps/café/ünï.yaml", "apps/caf%C3%A9/%C3%BCn%C3%AF.yaml"),
        ("apps/team-a/app_1.v2~x.yaml", "apps/team-a/app_1.v2~x.yaml"),
    ],
)
def test_location_annotations_are_urls_with_encoded_path_segments(path: str, encoded: str) -> None:
    ctx = context(location_prefix=LOCATION_PREFIX, edit_url_prefix=EDIT_URL_PREFIX)
    annotations = application_entities(model(application()), path, ctx)[0]["metadata"][
        "annotations"
    ]
    assert annotations["backstage.io/managed-by-location"] == LOCATION_PREFIX + encoded
    assert annotations["backstage.io/managed-by-origin-location"] == LOCATION_PREFIX + encoded
    assert annotations["backstage.io/view-url"] == LOCATION_PREFIX.removeprefix("url:") + encoded
    assert annotations["backstage.io/edit-url"] == EDIT_URL_PREFIX + encoded
    for key in ("managed-by-location", "managed-by-origin-location", "view-url", "edit-url"):
        url = urlsplit(annotations[f"backstage.io/{key}"].removeprefix("url:"))
        assert (url.scheme, url.netloc, url.query, url.fragment) == ("https", "github.com", "", "")
        assert url.path.endswith(encoded)
        assert all(33 <= ord(character) < 127 for character in url.path), url


def test_a_file_location_stays_a_path() -> None:
    ctx = context(location_prefix="file:/srv/gitops/", edit_url_prefix=None)
    annotations = application_entities(model(application()), "apps/my app.yaml", ctx)[0][
        "metadata"
    ]["annotations"]
    assert annotations["backstage.io/managed-by-location"] == "file:/srv/gitops/apps/my app.yaml"


def test_source_annotations_only_with_a_source_repository() -> None:
    vendor = component(application(type="vendor"))["metadata"]["annotations"]
    assert "github.com/project-slug" not in vendor
    assert "backstage.io/source-location" not in vendor
    etl = component(application(type="etl", source={"repository": "Acme/loader.v2"}))
    annotations = etl["metadata"]["annotations"]
    assert annotations["github.com/project-slug"] == "Acme/loader.v2"
    assert annotations["backstage.io/source-location"] == (
        "url:https://github.com/Acme/loader.v2/tree/HEAD/"
    )


def test_source_location_follows_the_configured_github() -> None:
    ctx = EntityContext(
        environments=("dev",),
        links=(),
        location_prefix="url:https://ghe.example.com/acme/gitops/blob/main/",
        github_web_url="https://ghe.example.com",
    )
    annotations = component(application(), ctx)["metadata"]["annotations"]
    assert annotations["backstage.io/source-location"] == (
        "url:https://ghe.example.com/acme/payments-api/tree/HEAD/"
    )


def test_type_specific_annotations() -> None:
    vendor = component(application(type="vendor"))["metadata"]["annotations"]
    assert vendor["idp/helm-chart-repository"] == "https://charts.example.com"
    assert vendor["idp/helm-chart-name"] == "payments-api"
    assert "idp/image" not in vendor
    etl = component(application(type="etl", schedule="@hourly"))["metadata"]["annotations"]
    assert etl["idp/schedule"] == "@hourly"
    assert etl["idp/image"] == "registry.example.com/acme/payments-api"


def test_one_version_annotation_per_environment_in_configured_order() -> None:
    document = application(
        environments={"prod": {"version": "1.0.0"}, "dev": {"version": "1.2.0-rc.1"}}
    )
    annotations = component(document)["metadata"]["annotations"]
    versions = {k: v for k, v in annotations.items() if k.startswith("idp/version.")}
    assert list(versions.items()) == [
        ("idp/version.dev", "1.2.0-rc.1"),
        ("idp/version.prod", "1.0.0"),
    ]


def test_version_annotations_follow_the_configuration_order() -> None:
    document = application(
        environments={
            "dev": {"version": "1"},
            "staging": {"version": "2"},
            "prod": {"version": "3"},
        }
    )
    ctx = context(environments=("prod", "staging", "dev"))
    annotations = component(document, ctx)["metadata"]["annotations"]
    assert [k for k in annotations if k.startswith("idp/version.")] == [
        "idp/version.prod",
        "idp/version.staging",
        "idp/version.dev",
    ]


def test_no_version_annotation_without_environments() -> None:
    annotations = component(application())["metadata"]["annotations"]
    assert not [k for k in annotations if k.startswith("idp/version.")]


# -- links --------------------------------------------------------------------------------------


def test_links_from_templates_fill_name_system_and_environment() -> None:
    document = application(
        "checkout-api",
        system="storefront",
        environments={"dev": {"version": "1"}, "prod": {"version": "1"}},
    )
    links = component(document, context(links=(ARGO, DASHBOARD, LOGS)))["metadata"]["links"]
    assert links == [
        {
            "url": "https://argocd.example.com/applications/checkout-api-dev",
            "title": "Argo CD (dev)",
        },
        {
            "url": "https://argocd.example.com/applications/checkout-api-prod",
            "title": "Argo CD (prod)",
        },
        {
            "url": "https://grafana.example.com/d/storefront?app=checkout-api",
            "title": "Dashboard of storefront",
        },
        {"url": "https://logs.example.com/?q=app%3Dcheckout-api%20env%3Ddev", "title": "Logs"},
        {"url": "https://logs.example.com/?q=app%3Dcheckout-api%20env%3Dprod", "title": "Logs"},
    ]


def test_environment_templates_give_no_link_without_environments() -> None:
    links = component(application(), context(links=(ARGO, DASHBOARD)))["metadata"]["links"]
    assert [link["title"] for link in links] == ["Dashboard of payments"]


def test_own_links_come_first_and_a_template_repeating_one_is_dropped() -> None:
    own = {"url": "https://grafana.example.com/d/payments?app=payments-api", "title": "Mine"}
    document = application(metadata={"links": [own]})
    links = component(document, context(links=(DASHBOARD,)))["metadata"]["links"]
    assert links == [own]


def test_own_link_fields_are_kept() -> None:
    own = {"url": "https://wiki.example.com", "title": "Wiki", "icon": "docs", "type": "runbook"}
    links = component(application(metadata={"links": [own]}))["metadata"]["links"]
    assert links == [own]


def test_braces_that_are_not_placeholders_stay() -> None:
    template = LinkTemplate("Query", 'https://logs.example.com/?q={"app":"{name}"}')
    links = component(application(), context(links=(template,)))["metadata"]["links"]
    assert links == [
        {"url": 'https://logs.example.com/?q={"app":"payments-api"}', "title": "Query"}
    ]


def test_environment_in_the_title_only_still_repeats_per_environment() -> None:
    template = LinkTemplate("Deploys to {environment}", "https://ci.example.com/{name}")
    assert template.per_environment
    document = application(environments={"dev": {"version": "1"}, "prod": {"version": "1"}})
    links = component(document, context(links=(template,)))["metadata"]["links"]
    # The same URL twice would be a duplicate link: the first environment's title is kept.
    assert links == [{"url": "https://ci.example.com/payments-api", "title": "Deploys to dev"}]


def test_per_environment_property() -> None:
    assert ARGO.per_environment
    assert LOGS.per_environment
    assert not DASHBOARD.per_environment


# -- Systems ------------------------------------------------------------------------------------


def test_declared_system() -> None:
    declared = m.System.model_validate(
        system(
            "payments",
            owner="team-payments",
            description="Everything that takes card payments",
            tags=["pci"],
            links=[{"url": "https://wiki.example.com/payments"}],
        )
    )
    entity = declared_system_entity(declared, "apps/payments/system.yaml", context())
    location = LOCATION_PREFIX + "apps/payments/system.yaml"
    assert entity == {
        "apiVersion": BACKSTAGE_API_VERSION,
        "kind": "System",
        "metadata": {
            "name": "payments",
            "namespace": "default",
            "description": "Everything that takes card payments",
            "tags": ["pci"],
            "links": [{"url": "https://wiki.example.com/payments"}],
            "annotations": {
                "backstage.io/managed-by-location": location,
                "backstage.io/managed-by-origin-location": location,
                "backstage.io/view-url": location.removeprefix("url:"),
                "backstage.io/edit-url": EDIT_URL_PREFIX + "apps/payments/system.yaml",
            },
        },
        "spec": {"owner": "team-payments"},
    }


def test_implied_system() -> None:
    entity = implied_system_entity(
        "storefront", ["team-web", "team-web", "team-checkout"], "apps/storefront/a.yaml", context()
    )
    location = LOCATION_PREFIX + "apps/storefront/a.yaml"
    assert entity == {
        "apiVersion": BACKSTAGE_API_VERSION,
        "kind": "System",
        "metadata": {
            "name": "storefront",
            "namespace": "default",
            "annotations": {
                "backstage.io/managed-by-location": location,
                "backstage.io/managed-by-origin-location": location,
                "backstage.io/view-url": location.removeprefix("url:"),
                "backstage.io/edit-url": EDIT_URL_PREFIX + "apps/storefront/a.yaml",
                "idp/implied": "true",
            },
        },
        "spec": {"owner": "team-web"},
    }


@pytest.mark.parametrize(
    ("owners", "expected"),
    [
        (["team-a"], "team-a"),
        (["team-b", "team-a", "team-b"], "team-b"),
        (["team-b", "team-a"], "team-a"),  # a tie: alphabetical
        (["team-c", "team-b", "team-c", "team-b"], "team-b"),
        # The short and the full ref are the same owner: team-b counts 3, team-a 2.
        (["group:default/team-b", "team-b", "team-a", "team-a", "team-b"], "team-b"),
        (["group:default/team-b", "team-a", "team-b"], "team-b"),
        (["Team-B", "team-b", "team-a"], "team-b"),
        (["user:default/jane", "user:default/jane", "team-a"], "user:default/jane"),
        (["group:platform/ops", "group:platform/ops", "ops"], "group:platform/ops"),
    ],
)
def test_implied_owner(owners: list[str], expected: str) -> None:
    assert implied_owner(owners) == expected
    assert implied_owner(reversed(owners)) == expected


def test_owner_refs() -> None:
    assert full_owner_ref("team-a") == "group:default/team-a"
    assert full_owner_ref("group:team-a") == "group:default/team-a"
    assert full_owner_ref("default/team-a") == "group:default/team-a"
    assert full_owner_ref("User:Default/Jane") == "user:default/jane"
    assert compact_owner_ref("group:default/team-a") == "team-a"
    assert compact_owner_ref("group:other/team-a") == "group:other/team-a"
    assert compact_owner_ref("user:default/jane") == "user:default/jane"


def test_view_and_edit_urls_only_where_the_repository_has_web_pages() -> None:
    local = context(location_prefix="file:/srv/gitops/", edit_url_prefix=None)
    annotations = component(application(), local)["metadata"]["annotations"]
    assert annotations["backstage.io/managed-by-location"] == "file:/srv/gitops/" + PATH
    assert "backstage.io/view-url" not in annotations
    assert "backstage.io/edit-url" not in annotations
