"""New manifests read as a person would write them, and the catalog reads back exactly the
inputs, for any valid inputs."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from catalog_service.actions.manifest_edits import NewApplication, render_new_manifest
from catalog_service.domain import manifests as m
from catalog_service.domain.catalog import compile_file
from catalog_service.domain.parsing import parse_file
from tests.domain.support import context

ORDER = ("dev", "staging", "prod")
# Valid schedules (the pattern alone draws out-of-range fields, which the cron rule refuses).
SCHEDULES = ("0 2 * * *", "*/15 * * * *", "@daily", "5-10/2 0,12 1 JAN-MAR ?", "0 0 * * sun")
PATH = "apps/payments/payments-api.yaml"

PAYMENTS = NewApplication(
    name="payments-api",
    system="payments",
    owner="team-payments",
    type="service",
    description="Card payments API",
    lifecycle="production",
    tags=("python", "payments"),
    links=({"url": "https://wiki.example.com/payments", "title": "Runbook"},),
    source_repository="acme/payments-api",
    image="123456789012.dkr.ecr.eu-west-1.amazonaws.com/payments-api",
    components=({"name": "db", "type": "postgresql"},),
    secrets=({"env": "DATABASE_URL", "secret": "payments/db", "key": "url"},),
    depends_on=("ledger-api",),
    environments={
        "prod": {"version": "1.3.0", "replicas": 3},
        "dev": {"version": "1.4.2"},
        "staging": {"version": "1.4.1"},
    },
)


def read_back(text: str) -> m.Application:
    """The one application the catalog reads from ``text``; no problem at all."""
    parsed = parse_file(PATH, text.encode(), ORDER)
    assert not parsed.problems, [str(problem) for problem in parsed.problems]
    (application,) = parsed.applications
    compiled = compile_file(PATH, text.encode(), context())
    assert not compiled.problems and len(compiled.applications) == 1
    return application.manifest


def expected_model(fields: NewApplication) -> m.Application:
    """What the inputs mean, built without the renderer."""
    metadata: dict[str, Any] = {"name": fields.name, "system": fields.system, "owner": fields.owner}
    spec: dict[str, Any] = {"type": fields.type}
    optional: dict[str, tuple[dict[str, Any], Any]] = {
        "description": (metadata, fields.description),
        "lifecycle": (metadata, fields.lifecycle),
        "tags": (metadata, list(fields.tags)),
        "links": (metadata, [dict(link) for link in fields.links]),
        "source": (spec, fields.source_repository and {"repository": fields.source_repository}),
        "image": (spec, fields.image),
        "chart": (spec, fields.chart and dict(fields.chart)),
        "schedule": (spec, fields.schedule),
        "components": (spec, [dict(c) for c in fields.components]),
        "secrets": (spec, [dict(s) for s in fields.secrets]),
        "dependsOn": (spec, list(fields.depends_on)),
        "environments": (spec, {k: dict(v) for k, v in fields.environments.items()}),
    }
    for key, (target, value) in optional.items():
        if value:
            target[key] = value
    document = {"apiVersion": m.API_VERSION, "kind": "Application"}
    return m.Application.model_validate(document | {"metadata": metadata, "spec": spec})


def test_the_reference_example_is_written_as_the_reference_writes_it() -> None:
    text = render_new_manifest(PAYMENTS, ORDER)
    assert text == (
        "apiVersion: idp/v1alpha1\n"
        "kind: Application\n"
        "metadata:\n"
        "  name: payments-api\n"
        "  system: payments\n"
        "  owner: team-payments\n"
        "  description: Card payments API\n"
        "  tags: [python, payments]\n"
        "  links:\n"
        "    - {url: https://wiki.example.com/payments, title: Runbook}\n"
        "spec:\n"
        "  type: service\n"
        "  source: {repository: acme/payments-api}\n"
        "  image: 123456789012.dkr.ecr.eu-west-1.amazonaws.com/payments-api\n"
        "  components:\n"
        "    - {name: db, type: postgresql}\n"
        "  secrets:\n"
        "    - {env: DATABASE_URL, secret: payments/db, key: url}\n"
        "  dependsOn: [ledger-api]\n"
        "  environments:\n"
        '    dev:     {version: "1.4.2"}\n'
        '    staging: {version: "1.4.1"}\n'
        '    prod:    {version: "1.3.0", replicas: 3}\n'
    )
    assert read_back(text) == expected_model(PAYMENTS)


@pytest.mark.parametrize(
    "fields",
    [
        pytest.param(
            NewApplication(
                name="keycloak",
                system="identity",
                owner="group:default/team-identity",
                type="vendor",
                chart={"repository": "https://charts.bitnami.com/bitnami", "name": "keycloak"},
                environments={"prod": {"version": "21.3.2"}},
            ),
            id="vendor",
        ),
        pytest.param(
            NewApplication(
                name="nightly-load",
                system="data",
                owner="team-data",
                type="etl",
                lifecycle="experimental",
                source_repository="acme/nightly-load",
                image="registry.example.com/data/nightly-load",
                schedule="*/15 * * * *",
                environments={"dev": {"version": "1.10"}, "staging": {"version": "2024.11"}},
            ),
            id="etl-with-versions-that-look-like-numbers",
        ),
        pytest.param(
            NewApplication(
                name="odd",
                system="odd",
                owner="team-odd",
                type="service",
                # Each would be something else than this string if written plain.
                description="yes",
                tags=("on", "1", "null", "1-2"),
                links=({"url": "https://example.com/#x", "title": "a: b # c", "type": "*"},),
                source_repository="acme/odd",
                image="registry.example.com/odd",
                secrets=({"env": "TOKEN", "secret": "odd/@token", "key": "1:20"},),
            ),
            id="strings-yaml-would-read-otherwise",
        ),
        pytest.param(
            NewApplication(
                name="minimal",
                system="shop",
                owner="team-shop",
                type="service",
                description="  Two lines:\n\tand a tab, 'quotes' and \"more\" \u00e9\u2028  ",
                source_repository="acme/minimal",
                image="registry.example.com/minimal",
            ),
            id="multi-line-description",
        ),
    ],
)
def test_the_catalog_reads_back_exactly_the_inputs(fields: NewApplication) -> None:
    text = render_new_manifest(fields, ORDER)
    assert read_back(text) == expected_model(fields)
    assert "null" not in text.replace('"null"', "")
    assert "lifecycle: production" not in text


def test_defaults_and_empty_fields_are_not_spelled_out() -> None:
    text = render_new_manifest(
        NewApplication(
            name="web",
            system="shop",
            owner="team-shop",
            type="service",
            description="",
            lifecycle="production",
            source_repository="acme/web",
            image="registry.example.com/web",
        )
    )
    assert text.splitlines() == [
        "apiVersion: idp/v1alpha1",
        "kind: Application",
        "metadata:",
        "  name: web",
        "  system: shop",
        "  owner: team-shop",
        "spec:",
        "  type: service",
        "  source: {repository: acme/web}",
        "  image: registry.example.com/web",
    ]


# -- any valid inputs ---------------------------------------------------------------------------


def pattern(regex: str, max_size: int = 63) -> st.SearchStrategy[str]:
    # Printable ASCII only: Python's `\s` matches more than the model's (Rust) regex engine does.
    return st.from_regex(regex, fullmatch=True).filter(
        lambda text: len(text) <= max_size and text.isascii() and text.isprintable()
    )


TEXT = st.text(
    st.characters(exclude_categories=["Cs"], exclude_characters="\x00"), min_size=1, max_size=80
)
NAME = pattern(m.DNS_LABEL, 20)


def optional(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(st.none(), strategy)


def unique_by(key: str, items: st.SearchStrategy[Mapping[str, Any]]) -> st.SearchStrategy[Any]:
    return st.lists(items, max_size=3, unique_by=lambda item: item[key])


@st.composite
def new_applications(draw: st.DrawFn) -> NewApplication:
    kind = draw(st.sampled_from(m.APPLICATION_TYPES))
    # Short enough for a CronJob and "<name>-<environment>", starting with a letter (a Service).
    name = draw(pattern(r"^[a-z]([-a-z0-9]{0,30}[a-z0-9])?$", 32))
    built = kind != "vendor"
    link = st.fixed_dictionaries(
        {"url": pattern(m.WEB_URL, 80)}, optional={"title": TEXT, "icon": TEXT, "type": TEXT}
    )
    component = st.fixed_dictionaries({"name": NAME, "type": pattern(m.COMPONENT_TYPE, 20)})
    secret = st.fixed_dictionaries(
        {"env": pattern(m.ENV_VAR, 20), "secret": pattern(m.AWS_SECRET_NAME, 40)},
        optional={"key": TEXT},
    )
    environment = st.fixed_dictionaries(
        {"version": pattern(m.VERSION if kind == "vendor" else m.IMAGE_TAG, 20)},
        optional={"replicas": st.integers(0, 10_000)},
    )
    return NewApplication(
        name=name,
        system=draw(NAME),
        owner=draw(pattern(m.ENTITY_REF, 60)),
        type=kind,
        description=draw(optional(TEXT)),
        lifecycle=draw(optional(st.sampled_from(m.LIFECYCLES))),
        tags=draw(st.lists(pattern(m.TAG, 20), max_size=3)),
        links=draw(st.lists(link, max_size=2)),
        source_repository=draw(pattern(m.GITHUB_REPOSITORY, 60)) if built else None,
        image=draw(pattern(m.IMAGE, 60)) if built else None,
        chart=None if built else {"repository": draw(pattern(m.URL, 60)), "name": draw(NAME)},
        schedule=draw(st.sampled_from(SCHEDULES)) if kind == "etl" else None,
        components=draw(unique_by("name", component)),
        secrets=draw(unique_by("env", secret)),
        depends_on=draw(st.lists(NAME.filter(lambda d: d != name), max_size=3, unique=True)),
        environments=draw(st.dictionaries(st.sampled_from(ORDER), environment, max_size=3)),
    )


@settings(
    max_examples=60,
    deadline=None,
    # The regex strategies filter out non-printable draws; on a loaded machine that trips these.
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(fields=new_applications())
def test_any_valid_inputs_make_a_manifest_the_catalog_reads_back_exactly(
    fields: NewApplication,
) -> None:
    text = render_new_manifest(fields, ORDER)
    manifest = read_back(text)
    assert manifest == expected_model(fields)
    assert list(manifest.spec.environments) == [e for e in ORDER if e in fields.environments]
    assert "null" not in text.replace("null", "", text.count('"null"'))
