"""Every rule of the manifest model (docs/architecture.md §6.1), each with a failing example and
the exact ``path:line:column`` its problem points at, plus valid values that must keep passing.

Cases are literal YAML so the expected line can be read off the text; line 1 is the first line after
the opening quotes.
"""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from catalog_service.domain import manifests as m
from catalog_service.domain.parsing import parse_file
from tests.domain.support import (
    DROP,
    ENVIRONMENTS,
    application,
    assert_valid,
    dump,
    model,
    only_problem,
    parse,
    problems,
    system,
)

# -- the contract's example is valid --------------------------------------------------------------

CONTRACT_EXAMPLE = """\
apiVersion: idp/v1alpha1
kind: Application
metadata:
  name: payments-api          # DNS label
  system: payments
  owner: team-payments
  description: Card payments API
  lifecycle: production
  tags: [python, payments]
  links: [{url: https://wiki.example.com/payments, title: Runbook}]
spec:
  type: service
  source: {repository: acme/payments-api}
  image: 123456789012.dkr.ecr.eu-west-1.amazonaws.com/payments-api
  components:
    - {name: db, type: postgresql}
  secrets:
    - {env: DATABASE_URL, secret: payments/db, key: url}
  dependsOn: [ledger-api]
  environments:
    dev:     {version: "1.4.2"}
    staging: {version: "1.4.1"}
    prod:    {version: "1.3.0", replicas: 3}
---
apiVersion: idp/v1alpha1
kind: System
metadata: {name: payments, owner: team-payments, description: Everything that takes card payments}
"""


def test_the_design_example_is_valid() -> None:
    parsed = assert_valid(CONTRACT_EXAMPLE)
    [app] = parsed.applications
    [declared] = parsed.systems
    spec = app.manifest.spec
    assert app.manifest.metadata.name == "payments-api"
    assert spec.depends_on == ["ledger-api"]
    assert spec.environments["prod"].replicas == 3
    assert spec.secrets[0].key == "url"
    assert declared.manifest.metadata.owner == "team-payments"
    # Positions kept for the rules that span files.
    assert app.name_at == (4, 9)
    assert app.depends_on_at == ((19, 15),)
    assert app.components_at == ((16, 14),)
    assert declared.name_at == (27, 18)


def test_lifecycle_defaults_to_production() -> None:
    assert model(application()).metadata.lifecycle == "production"


@pytest.mark.parametrize("kind", ["service", "vendor", "etl"])
def test_each_type_with_its_fields_is_valid(kind: str) -> None:
    assert_valid(dump(application(type=kind)))


# -- document level: apiVersion, kind, top-level fields -----------------------------------------

DOCUMENT_CASES = [
    pytest.param(
        """\
kind: Application
metadata: {name: pay, system: payments, owner: team-a}
""",
        "apps/app.yaml:1:1: apiVersion is required; this format is idp/v1alpha1",
        id="missing-apiVersion",
    ),
    pytest.param(
        """\
apiVersion: idp/v1beta1
kind: Application
""",
        "apps/app.yaml:1:13: apiVersion must be idp/v1alpha1; this looks like another kind of"
        " object ('idp/v1beta1' 'Application'), which does not belong under the manifest roots",
        id="wrong-apiVersion",
    ),
    pytest.param(
        """\
apiVersion: idp/v1alpha1
metadata: {name: pay, system: payments, owner: team-a}
""",
        "apps/app.yaml:1:1: kind is required: Application or System",
        id="missing-kind",
    ),
    pytest.param(
        """\
apiVersion: idp/v1alpha1
kind: Applicaton
""",
        "apps/app.yaml:2:7: unknown kind 'Applicaton'; expected Application or System",
        id="unknown-kind",
    ),
    pytest.param(
        """\
apiVersion: idp/v1alpha1
kind: Application
metdata: {name: pay, system: payments, owner: team-a}
spec: {type: vendor, chart: {repository: "https://charts.example.com", name: pay}}
""",
        None,  # two problems, checked below
        id="typo-metadata",
    ),
]


@pytest.mark.parametrize(("text", "expected"), DOCUMENT_CASES)
def test_document_rules(text: str, expected: str | None) -> None:
    if expected is None:
        assert problems(text) == [
            "apps/app.yaml:1:1: metadata is required",
            "apps/app.yaml:3:1: metdata: unknown field; did you mean metadata?",
        ]
    else:
        assert only_problem(text) == expected


def test_missing_spec_points_at_the_document() -> None:
    text = """\
apiVersion: idp/v1alpha1
kind: Application
metadata: {name: pay, system: payments, owner: team-a}
"""
    assert only_problem(text) == "apps/app.yaml:1:1: spec is required"


def test_missing_required_field_points_at_the_document_start_after_a_separator() -> None:
    text = """\
# a comment
---
apiVersion: idp/v1alpha1
kind: System
"""
    assert only_problem(text) == "apps/app.yaml:3:1: metadata is required"


def test_a_system_has_no_spec() -> None:
    text = """\
apiVersion: idp/v1alpha1
kind: System
metadata: {name: payments, owner: team-a}
spec: {type: service}
"""
    assert only_problem(text) == (
        "apps/app.yaml:4:1: spec: unknown field; known fields here: apiVersion, kind, metadata"
    )


def test_a_system_needs_an_owner() -> None:
    text = """\
apiVersion: idp/v1alpha1
kind: System
metadata:
  name: payments
  description: Payments
"""
    assert only_problem(text) == "apps/app.yaml:3:1: metadata.owner is required"


# -- metadata -----------------------------------------------------------------------------------

METADATA_CASES = [
    pytest.param(
        """\
apiVersion: idp/v1alpha1
kind: Application
metadata:
  name: pay
  system: payments
  ownr: team-a
spec: {type: vendor, chart: {repository: "https://charts.example.com", name: pay}}
""",
        [
            "apps/app.yaml:3:1: metadata.owner is required",
            "apps/app.yaml:6:3: metadata.ownr: unknown field; did you mean owner?",
        ],
        id="typo-owner",
    ),
    pytest.param(
        """\
apiVersion: idp/v1alpha1
kind: Application
metadata:
  name: pay
  owner: team-a
spec: {type: vendor, chart: {repository: "https://charts.example.com", name: pay}}
""",
        ["apps/app.yaml:3:1: metadata.system is required"],
        id="missing-system",
    ),
    pytest.param(
        """\
apiVersion: idp/v1alpha1
kind: Application
metadata:
  system: payments
  owner: team-a
spec: {type: vendor, chart: {repository: "https://charts.example.com", name: pay}}
""",
        ["apps/app.yaml:3:1: metadata.name is required"],
        id="missing-name",
    ),
    pytest.param(
        """\
apiVersion: idp/v1alpha1
kind: Application
metadata:
  name: Payments_API
  system: payments
  owner: team-a
spec: {type: vendor, chart: {repository: "https://charts.example.com", name: pay}}
""",
        [
            "apps/app.yaml:4:9: metadata.name: must be a DNS label: lowercase letters, digits"
            " and '-', at most 63 characters"
        ],
        id="name-not-dns-label",
    ),
    pytest.param(
        """\
apiVersion: idp/v1alpha1
kind: Application
metadata:
  name: pay
  system: -payments
  owner: team-a
spec: {type: vendor, chart: {repository: "https://charts.example.com", name: pay}}
""",
        [
            "apps/app.yaml:5:11: metadata.system: must be a DNS label: lowercase letters, digits"
            " and '-', at most 63 characters"
        ],
        id="system-leading-hyphen",
    ),
    pytest.param(
        """\
apiVersion: idp/v1alpha1
kind: Application
metadata:
  name: pay
  system: payments
  owner: team payments
spec: {type: vendor, chart: {repository: "https://charts.example.com", name: pay}}
""",
        [
            "apps/app.yaml:6:10: metadata.owner: must be a group name (team-payments) or an"
            " entity ref (group:default/team-a)"
        ],
        id="owner-not-a-ref",
    ),
    pytest.param(
        """\
apiVersion: idp/v1alpha1
kind: Application
metadata:
  name: pay
  system: payments
  owner: group:default/
spec: {type: vendor, chart: {repository: "https://charts.example.com", name: pay}}
""",
        [
            "apps/app.yaml:6:10: metadata.owner: must be a group name (team-payments) or an"
            " entity ref (group:default/team-a)"
        ],
        id="owner-ref-without-name",
    ),
    pytest.param(
        """\
apiVersion: idp/v1alpha1
kind: Application
metadata:
  name: pay
  system: payments
  owner: team-a
  lifecycle: beta
spec: {type: vendor, chart: {repository: "https://charts.example.com", name: pay}}
""",
        [
            "apps/app.yaml:7:14: metadata.lifecycle: must be 'experimental', 'production'"
            " or 'deprecated'"
        ],
        id="lifecycle-unknown",
    ),
    pytest.param(
        """\
apiVersion: idp/v1alpha1
kind: Application
metadata:
  name: pay
  system: payments
  owner: team-a
  description: ""
spec: {type: vendor, chart: {repository: "https://charts.example.com", name: pay}}
""",
        ["apps/app.yaml:7:16: metadata.description: String should have at least 1 character"],
        id="description-empty",
    ),
    pytest.param(
        """\
apiVersion: idp/v1alpha1
kind: Application
metadata:
  name: pay
  system: payments
  owner: team-a
  tags: [python, Card_Payments]
spec: {type: vendor, chart: {repository: "https://charts.example.com", name: pay}}
""",
        [
            "apps/app.yaml:7:18: metadata.tags[1]: must be lowercase letters, digits and '-'"
            " (a Backstage tag)"
        ],
        id="tag-format",
    ),
    pytest.param(
        """\
apiVersion: idp/v1alpha1
kind: Application
metadata:
  name: pay
  system: payments
  owner: team-a
  tags: python
spec: {type: vendor, chart: {repository: "https://charts.example.com", name: pay}}
""",
        ["apps/app.yaml:7:9: metadata.tags: expected a list"],
        id="tags-not-a-list",
    ),
    pytest.param(
        """\
apiVersion: idp/v1alpha1
kind: Application
metadata:
  name: pay
  system: payments
  owner: team-a
  links:
    - {url: wiki.example.com/pay, title: Runbook}
spec: {type: vendor, chart: {repository: "https://charts.example.com", name: pay}}
""",
        [
            "apps/app.yaml:8:13: metadata.links[0].url: must be an http:// or https:// URL such"
            " as https://example.com/path"
        ],
        id="link-url-not-absolute",
    ),
    pytest.param(
        """\
apiVersion: idp/v1alpha1
kind: Application
metadata:
  name: pay
  system: payments
  owner: team-a
  links:
    - {url: "javascript://%0aalert(document.cookie)", title: Runbook}
spec: {type: vendor, chart: {repository: "https://charts.example.com", name: pay}}
""",
        [
            "apps/app.yaml:8:13: metadata.links[0].url: must be an http:// or https:// URL such"
            " as https://example.com/path"
        ],
        id="link-url-javascript",
    ),
    pytest.param(
        """\
apiVersion: idp/v1alpha1
kind: Application
metadata:
  name: pay
  system: payments
  owner: team-a
  links:
    - {url: "data://text/html,x", title: Runbook}
spec: {type: vendor, chart: {repository: "https://charts.example.com", name: pay}}
""",
        [
            "apps/app.yaml:8:13: metadata.links[0].url: must be an http:// or https:// URL such"
            " as https://example.com/path"
        ],
        id="link-url-data",
    ),
    pytest.param(
        """\
apiVersion: idp/v1alpha1
kind: Application
metadata:
  name: pay
  system: payments
  owner: team-a
  links:
    - {url: "file:///etc/passwd", title: Runbook}
spec: {type: vendor, chart: {repository: "https://charts.example.com", name: pay}}
""",
        [
            "apps/app.yaml:8:13: metadata.links[0].url: must be an http:// or https:// URL such"
            " as https://example.com/path"
        ],
        id="link-url-file",
    ),
    pytest.param(
        """\
apiVersion: idp/v1alpha1
kind: Application
metadata:
  name: pay
  system: payments
  owner: team-a
  links:
    - {url: "https:///path", title: Runbook}
spec: {type: vendor, chart: {repository: "https://charts.example.com", name: pay}}
""",
        [
            "apps/app.yaml:8:13: metadata.links[0].url: must be an http:// or https:// URL such"
            " as https://example.com/path"
        ],
        id="link-url-no-host",
    ),
    pytest.param(
        """\
apiVersion: idp/v1alpha1
kind: Application
metadata:
  name: pay
  system: payments
  owner: team-a
  links:
    - url: https://wiki.example.com/pay
      titel: Runbook
spec: {type: vendor, chart: {repository: "https://charts.example.com", name: pay}}
""",
        ["apps/app.yaml:9:7: metadata.links[0].titel: unknown field; did you mean title?"],
        id="link-typo",
    ),
    pytest.param(
        """\
apiVersion: idp/v1alpha1
kind: Application
metadata:
  name: pay
  system: payments
  owner: team-a
  links:
    - {title: Runbook}
spec: {type: vendor, chart: {repository: "https://charts.example.com", name: pay}}
""",
        ["apps/app.yaml:8:7: metadata.links[0].url is required"],
        id="link-missing-url",
    ),
    pytest.param(
        """\
apiVersion: idp/v1alpha1
kind: Application
metadata: [pay, payments, team-a]
spec: {type: vendor, chart: {repository: "https://charts.example.com", name: pay}}
""",
        ["apps/app.yaml:3:11: metadata: expected a mapping"],
        id="metadata-not-a-mapping",
    ),
    pytest.param(
        """\
apiVersion: idp/v1alpha1
kind: Application
metadata:
  - pay
spec: {type: vendor, chart: {repository: "https://charts.example.com", name: pay}}
""",
        ["apps/app.yaml:3:1: metadata: expected a mapping"],
        id="metadata-block-list-points-at-its-key",
    ),
    pytest.param(
        """\
apiVersion: idp/v1alpha1
kind: Application
metadata:
  name: 42
  system: payments
  owner: team-a
spec: {type: vendor, chart: {repository: "https://charts.example.com", name: pay}}
""",
        [
            "apps/app.yaml:4:9: metadata.name: expected a string"
            ' (quote it, for example "1.4" or "on")'
        ],
        id="name-a-number",
    ),
]


@pytest.mark.parametrize(("text", "expected"), METADATA_CASES)
def test_metadata_rules(text: str, expected: list[str]) -> None:
    assert problems(text) == expected
    assert not parse(text).applications


def test_name_longer_than_63_characters() -> None:
    name = "a" * 64
    text = f"""\
apiVersion: idp/v1alpha1
kind: System
metadata:
  owner: team-a
  name: {name}
"""
    assert only_problem(text) == (
        "apps/app.yaml:5:9: metadata.name: String should have at most 63 characters"
    )
    assert_valid(text.replace(name, "a" * 63))


@pytest.mark.parametrize(
    "name", ["a", "pay", "payments-api", "a1", "1a", "a-b-c", "x" * 63], ids=str
)
def test_valid_dns_labels(name: str) -> None:
    assert_valid(dump(system(name)))


@pytest.mark.parametrize(
    "name", ["Pay", "pay_api", "pay.api", "-pay", "pay-", "pay api", "päy", ""], ids=repr
)
def test_invalid_dns_labels(name: str) -> None:
    [problem] = parse(dump(system(name))).problems
    assert problem.message.startswith("metadata.name:")
    assert (problem.line, problem.column) == (4, 9)


@pytest.mark.parametrize(
    "owner",
    ["team-a", "group:default/team-a", "group:team-a", "user:default/jane.doe", "Team_A"],
)
def test_valid_owner_refs(owner: str) -> None:
    assert_valid(dump(application(owner=owner)))


@pytest.mark.parametrize(
    "owner", ["team a", "group:default/", "group:/team-a", ":team-a", "team-a-", "a/b/c"]
)
def test_invalid_owner_refs(owner: str) -> None:
    [problem] = parse(dump(application(owner=owner))).problems
    assert problem.message.startswith("metadata.owner: must be a group name")


@pytest.mark.parametrize("tag", ["python", "c++", "c#", "k8s", "on-call", "a:b"])
def test_valid_tags(tag: str) -> None:
    assert_valid(dump(application(metadata={"tags": [tag]})))


@pytest.mark.parametrize("tag", ["Python", "two words", "snake_case", "-x", "x-", "a" * 64])
def test_invalid_tags(tag: str) -> None:
    [problem] = parse(dump(application(metadata={"tags": [tag]}))).problems
    assert problem.message.startswith("metadata.tags[0]:")


@pytest.mark.parametrize(
    "url", ["https://wiki.example.com", "http://localhost:3000/x?y=1", "HTTPS://Wiki.example.com"]
)
def test_valid_urls(url: str) -> None:
    assert_valid(dump(application(metadata={"links": [{"url": url}]})))


@pytest.mark.parametrize(
    "url",
    [
        "wiki.example.com",
        "/relative/path",
        "https://",
        "https://has space.example.com",
        "",
        "ftp://files.example.com/a",  # a link opens in a browser: http(s) only
        "javascript:alert(1)",
        "javascript://%0aalert(1)",
        "data://text/html,x",
    ],
)
def test_invalid_urls(url: str) -> None:
    [problem] = parse(dump(application(metadata={"links": [{"url": url, "title": "x"}]}))).problems
    assert problem.message.startswith("metadata.links[0].url: must be an http:// or https:// URL")


# -- spec: fields and formats -------------------------------------------------------------------

SPEC_CASES = [
    pytest.param(
        """\
apiVersion: idp/v1alpha1
kind: Application
metadata: {name: pay, system: payments, owner: team-a}
spec:
  type: job
""",
        ["apps/app.yaml:5:9: spec.type: must be 'service', 'vendor' or 'etl'"],
        id="type-unknown",
    ),
    pytest.param(
        """\
apiVersion: idp/v1alpha1
kind: Application
metadata: {name: pay, system: payments, owner: team-a}
spec:
  chart: {repository: "https://charts.example.com", name: pay}
""",
        ["apps/app.yaml:4:1: spec.type is required"],
        id="type-missing",
    ),
    pytest.param(
        """\
apiVersion: idp/v1alpha1
kind: Application
metadata: {name: pay, system: payments, owner: team-a}
spec:
  type: service
  source: {repository: payments-api}
  image: registry.example.com/pay
""",
        ["apps/app.yaml:6:24: spec.source.repository: must be a GitHub repository as owner/name"],
        id="source-not-owner-slash-name",
    ),
    pytest.param(
        """\
apiVersion: idp/v1alpha1
kind: Application
metadata: {name: pay, system: payments, owner: team-a}
spec:
  type: service
  source: {repository: acme/pay}
  image: registry.example.com/pay:1.4.2
""",
        [
            "apps/app.yaml:7:10: spec.image: must be an image repository without tag"
            " (the tag is each environment's version)"
        ],
        id="image-with-tag",
    ),
    pytest.param(
        """\
apiVersion: idp/v1alpha1
kind: Application
metadata: {name: pay, system: payments, owner: team-a}
spec:
  type: service
  source: {repository: acme/pay}
  image: registry.example.com/pay@sha256:0123456789abcdef
""",
        [
            "apps/app.yaml:7:10: spec.image: must be an image repository without tag"
            " (the tag is each environment's version)"
        ],
        id="image-with-digest",
    ),
    pytest.param(
        """\
apiVersion: idp/v1alpha1
kind: Application
metadata: {name: pay, system: payments, owner: team-a}
spec:
  type: vendor
  chart:
    repository: charts.example.com
    name: Keycloak
""",
        [
            "apps/app.yaml:7:17: spec.chart.repository: must be an absolute URL such as"
            " https://example.com/path",
            "apps/app.yaml:8:11: spec.chart.name: must be a DNS label: lowercase letters, digits"
            " and '-', at most 63 characters",
        ],
        id="chart-fields",
    ),
    pytest.param(
        """\
apiVersion: idp/v1alpha1
kind: Application
metadata: {name: pay, system: payments, owner: team-a}
spec:
  type: vendor
  chart: {repository: "https://charts.example.com"}
""",
        ["apps/app.yaml:6:3: spec.chart.name is required"],
        id="chart-name-missing",
    ),
    pytest.param(
        """\
apiVersion: idp/v1alpha1
kind: Application
metadata: {name: pay, system: payments, owner: team-a}
spec:
  type: etl
  source: {repository: acme/pay}
  image: registry.example.com/pay
  schedule: "0 2 * *"
""",
        [
            "apps/app.yaml:8:13: spec.schedule: must be a cron expression with five fields,"
            " such as '0 2 * * *'"
        ],
        id="cron-four-fields",
    ),
    pytest.param(
        """\
apiVersion: idp/v1alpha1
kind: Application
metadata: {name: pay, system: payments, owner: team-a}
spec:
  type: etl
  source: {repository: acme/pay}
  image: registry.example.com/pay
  schedule: every night
""",
        [
            "apps/app.yaml:8:13: spec.schedule: must be a cron expression with five fields,"
            " such as '0 2 * * *'"
        ],
        id="cron-prose",
    ),
    pytest.param(
        """\
apiVersion: idp/v1alpha1
kind: Application
metadata: {name: pay, system: payments, owner: team-a}
spec:
  type: vendor
  chart: {repository: "https://charts.example.com", name: pay}
  components:
    - {name: db, type: Postgres}
    - {name: cache}
    - {name: Files, type: s3-bucket, size: 10}
""",
        [
            "apps/app.yaml:8:24: spec.components[0].type: must be a DNS label: lowercase letters,"
            " digits and '-', at most 63 characters",
            "apps/app.yaml:9:7: spec.components[1].type is required",
            "apps/app.yaml:10:14: spec.components[2].name: must be a DNS label: lowercase letters,"
            " digits and '-', at most 63 characters",
            "apps/app.yaml:10:38: spec.components[2].size: unknown field;"
            " known fields here: name, type",
        ],
        id="components",
    ),
    pytest.param(
        """\
apiVersion: idp/v1alpha1
kind: Application
metadata: {name: pay, system: payments, owner: team-a}
spec:
  type: vendor
  chart: {repository: "https://charts.example.com", name: pay}
  secrets:
    - {env: database-url, secret: payments/db}
    - {env: API_KEY, secret: "not a secret name"}
    - {env: TOKEN}
    - {env: PASSWORD, secret: payments/db, key: ""}
""",
        [
            "apps/app.yaml:8:13: spec.secrets[0].env: must be an environment variable name"
            " (letters, digits, '_')",
            "apps/app.yaml:9:30: spec.secrets[1].secret: must be an AWS Secrets Manager"
            " secret name",
            "apps/app.yaml:10:7: spec.secrets[2].secret is required",
            "apps/app.yaml:11:49: spec.secrets[3].key: String should have at least 1 character",
        ],
        id="secrets",
    ),
    pytest.param(
        """\
apiVersion: idp/v1alpha1
kind: Application
metadata: {name: pay, system: payments, owner: team-a}
spec:
  type: vendor
  chart: {repository: "https://charts.example.com", name: pay}
  dependsOn: ledger-api
""",
        ["apps/app.yaml:7:14: spec.dependsOn: expected a list"],
        id="dependsOn-not-a-list",
    ),
    pytest.param(
        """\
apiVersion: idp/v1alpha1
kind: Application
metadata: {name: pay, system: payments, owner: team-a}
spec:
  type: vendor
  chart: {repository: "https://charts.example.com", name: pay}
  dependsOn:
    - ledger-api
    - Ledger_API
""",
        [
            "apps/app.yaml:9:7: spec.dependsOn[1]: must be a DNS label: lowercase letters, digits"
            " and '-', at most 63 characters"
        ],
        id="dependsOn-not-a-name",
    ),
    pytest.param(
        """\
apiVersion: idp/v1alpha1
kind: Application
metadata: {name: pay, system: payments, owner: team-a}
spec:
  type: vendor
  chart: {repository: "https://charts.example.com", name: pay}
  environments:
    dev: {version: 1.4}
""",
        [
            "apps/app.yaml:8:20: spec.environments.dev.version: expected a string"
            ' (quote it, for example "1.4" or "on")'
        ],
        id="version-unquoted-float",
    ),
    pytest.param(
        """\
apiVersion: idp/v1alpha1
kind: Application
metadata: {name: pay, system: payments, owner: team-a}
spec:
  type: vendor
  chart: {repository: "https://charts.example.com", name: pay}
  environments:
    dev:
      version: 2024-11-03
""",
        [
            "apps/app.yaml:9:16: spec.environments.dev.version: expected a string"
            ' (quote it, for example "1.4" or "on")'
        ],
        id="version-unquoted-date",
    ),
    pytest.param(
        """\
apiVersion: idp/v1alpha1
kind: Application
metadata: {name: pay, system: payments, owner: team-a}
spec:
  type: vendor
  chart: {repository: "https://charts.example.com", name: pay}
  environments:
    dev: {version: "1.4 beta"}
    staging: {version: "1.4", replicas: "3"}
    prod: {version: "1.3", replicas: -1}
""",
        [
            "apps/app.yaml:8:20: spec.environments.dev.version: must be a version or image tag"
            " such as 1.4.2 (no spaces)",
            "apps/app.yaml:9:41: spec.environments.staging.replicas: expected a whole number",
            "apps/app.yaml:10:38: spec.environments.prod.replicas: Input should be greater than"
            " or equal to 0",
        ],
        id="environment-values",
    ),
    pytest.param(
        """\
apiVersion: idp/v1alpha1
kind: Application
metadata: {name: pay, system: payments, owner: team-a}
spec:
  type: vendor
  chart: {repository: "https://charts.example.com", name: pay}
  environments:
    dev: {version: "1.4", image: registry.example.com/other}
    prod: {replicas: 2}
""",
        [
            "apps/app.yaml:8:27: spec.environments.dev.image: unknown field;"
            " known fields here: version, replicas, copies",
            "apps/app.yaml:9:5: spec.environments.prod.version is required",
        ],
        id="environment-fields",
    ),
    pytest.param(
        """\
apiVersion: idp/v1alpha1
kind: Application
metadata: {name: pay, system: payments, owner: team-a}
spec:
  type: vendor
  chart: {repository: "https://charts.example.com", name: pay}
  environments:
    dev:
""",
        ["apps/app.yaml:8:9: spec.environments.dev: expected a mapping"],
        id="environment-empty",
    ),
]


@pytest.mark.parametrize(("text", "expected"), SPEC_CASES)
def test_spec_rules(text: str, expected: list[str]) -> None:
    assert problems(text) == expected
    assert not parse(text).applications


@pytest.mark.parametrize(
    "image",
    [
        "registry.example.com/pay",
        "123456789012.dkr.ecr.eu-west-1.amazonaws.com/payments-api",
        "localhost:5000/team/pay",
        "ghcr.io/acme/pay-api",
    ],
)
def test_valid_images(image: str) -> None:
    assert_valid(dump(application(image=image)))


@pytest.mark.parametrize(
    "image",
    [
        "registry.example.com/pay:latest",
        "registry.example.com/pay@sha256:abc",
        "Registry.example.com/Pay",
        "registry.example.com/pay/",
    ],
)
def test_invalid_images(image: str) -> None:
    [problem] = parse(dump(application(image=image))).problems
    assert problem.message.startswith("spec.image: must be an image repository without tag")


@pytest.mark.parametrize(
    "schedule", ["0 2 * * *", "*/15 * * * *", "0 4 * * 1-5", "0 0 1 JAN,JUL MON", "@daily"]
)
def test_valid_cron(schedule: str) -> None:
    assert_valid(dump(application(type="etl", schedule=schedule)))


@pytest.mark.parametrize(
    "schedule", ["0 2 * *", "every night", "@sometimes", "0 2 * * * * *", "", "0 2 * * *\n"]
)
def test_invalid_cron(schedule: str) -> None:
    [problem] = parse(dump(application(type="etl", schedule=schedule))).problems
    assert problem.message.startswith("spec.schedule:")


@pytest.mark.parametrize("repository", ["acme/pay", "Acme-Corp/pay.api_v2", "a/b"])
def test_valid_source_repositories(repository: str) -> None:
    assert_valid(dump(application(source={"repository": repository})))


@pytest.mark.parametrize(
    "repository",
    ["pay", "https://github.com/acme/pay", "acme/pay/extra", "-acme/pay", "acme/", "acme /pay"],
)
def test_invalid_source_repositories(repository: str) -> None:
    [problem] = parse(dump(application(source={"repository": repository}))).problems
    assert problem.message == "spec.source.repository: must be a GitHub repository as owner/name"


# -- secrets: references only, and never echoed -------------------------------------------------


def test_a_secret_given_as_a_literal_value_is_a_problem_that_never_echoes_it() -> None:
    text = """\
apiVersion: idp/v1alpha1
kind: Application
metadata: {name: pay, system: payments, owner: team-a}
spec:
  type: vendor
  chart: {repository: "https://charts.example.com", name: pay}
  secrets:
    - env: DATABASE_PASSWORD
      value: hunter2
"""
    found = problems(text)
    assert found == [
        "apps/app.yaml:8:7: spec.secrets[0].secret is required",
        "apps/app.yaml:9:7: spec.secrets[0].value: unknown field; a secret is a reference"
        " (secret, key) to AWS Secrets Manager, its value never belongs in a manifest",
    ]
    assert not any("hunter2" in problem for problem in found)


@pytest.mark.parametrize("field", ["value", "valueFrom", "secretValue", "plaintext"])
def test_secret_value_fields_are_refused_and_not_echoed(field: str) -> None:
    secret = {"env": "API_TOKEN", "secret": "payments/api", field: "hunter2-s3cr3t"}
    found = problems(dump(application(type="vendor", secrets=[secret])))
    assert len(found) == 1
    assert f"spec.secrets[0].{field}: unknown field; a secret is a reference" in found[0]
    assert "hunter2" not in found[0]


@pytest.mark.parametrize(
    "secrets",
    [
        ["DATABASE_URL=postgres://app:hunter2@db/pay"],
        [{"env": "DATABASE_URL", "secret": "postgres://app:hunter2@db/pay"}],
        [{"env": "hunter2 hunter2", "secret": "payments/db"}],
        {"DATABASE_URL": "hunter2"},
        [{"env": "DATABASE_URL", "secret": "payments/db", "key": ["hunter2"]}],
    ],
)
def test_secret_shaped_mistakes_never_echo_the_value(secrets: Any) -> None:
    found = problems(dump(application(type="vendor", secrets=secrets)))
    assert found, "must be a problem"
    assert all("hunter2" not in problem for problem in found), found


def test_a_secret_without_key_is_valid() -> None:
    parsed = assert_valid(dump(application(secrets=[{"env": "TOKEN", "secret": "payments/token"}])))
    assert parsed.applications[0].manifest.spec.secrets[0].key is None


# -- rules across fields: check_application -----------------------------------------------------

TYPE_RULE_CASES = [
    pytest.param(
        """\
apiVersion: idp/v1alpha1
kind: Application
metadata: {name: pay, system: payments, owner: team-a}
spec:
  type: vendor
  environments: {dev: {version: "1.0"}}
""",
        ["apps/app.yaml:5:9: spec.chart is required for type vendor"],
        id="vendor-needs-chart",
    ),
    pytest.param(
        """\
apiVersion: idp/v1alpha1
kind: Application
metadata: {name: pay, system: payments, owner: team-a}
spec:
  type: service
  chart: {repository: "https://charts.example.com", name: pay}
""",
        [
            "apps/app.yaml:5:9: spec.source is required for type service",
            "apps/app.yaml:5:9: spec.image is required for type service",
            "apps/app.yaml:6:10: spec.chart is only allowed for type vendor, not service",
        ],
        id="service-needs-source-and-image-and-no-chart",
    ),
    pytest.param(
        """\
apiVersion: idp/v1alpha1
kind: Application
metadata: {name: pay, system: payments, owner: team-a}
spec:
  type: service
  source: {repository: acme/pay}
  image: registry.example.com/pay
  schedule: "0 2 * * *"
""",
        ["apps/app.yaml:8:13: spec.schedule is only allowed for type etl, not service"],
        id="service-no-schedule",
    ),
    pytest.param(
        """\
apiVersion: idp/v1alpha1
kind: Application
metadata: {name: pay, system: payments, owner: team-a}
spec:
  type: etl
  source: {repository: acme/pay}
""",
        [
            "apps/app.yaml:5:9: spec.image is required for type etl",
            "apps/app.yaml:5:9: spec.schedule is required for type etl",
        ],
        id="etl-needs-image-and-schedule",
    ),
    pytest.param(
        """\
apiVersion: idp/v1alpha1
kind: Application
metadata: {name: pay, system: payments, owner: team-a}
spec:
  type: etl
  image: registry.example.com/pay
  schedule: "@hourly"
""",
        ["apps/app.yaml:5:9: spec.source is required for type etl"],
        id="etl-needs-source",
    ),
    pytest.param(
        """\
apiVersion: idp/v1alpha1
kind: Application
metadata: {name: pay, system: payments, owner: team-a}
spec:
  type: vendor
  chart: {repository: "https://charts.example.com", name: pay}
  source:
    repository: acme/pay
  image: registry.example.com/pay
""",
        [
            "apps/app.yaml:7:3: spec.source is only allowed for type service or etl, not vendor",
            "apps/app.yaml:9:10: spec.image is only allowed for type service or etl, not vendor",
        ],
        id="vendor-no-source-no-image",
    ),
]


@pytest.mark.parametrize(("text", "expected"), TYPE_RULE_CASES)
def test_type_rules(text: str, expected: list[str]) -> None:
    assert problems(text) == expected
    assert not parse(text).applications


def test_environments_must_be_configured() -> None:
    text = """\
apiVersion: idp/v1alpha1
kind: Application
metadata: {name: pay, system: payments, owner: team-a}
spec:
  type: vendor
  chart: {repository: "https://charts.example.com", name: pay}
  environments:
    dev: {version: "1.0"}
    production:
      version: "1.0"
    qa: {version: "1.0"}
"""
    assert problems(text) == [
        "apps/app.yaml:9:5: unknown environment 'production'; configured environments:"
        " dev, staging, prod",
        "apps/app.yaml:11:9: unknown environment 'qa'; configured environments: dev, staging, prod",
    ]


def test_configured_environments_come_from_the_caller() -> None:
    document = dump(application(environments={"qa": {"version": "1"}}))
    assert parse_file("a.yaml", document, ("qa",)).applications
    assert not parse_file("a.yaml", document, ("dev",)).applications


def test_duplicates_in_components_secrets_and_dependencies() -> None:
    text = """\
apiVersion: idp/v1alpha1
kind: Application
metadata: {name: pay, system: payments, owner: team-a}
spec:
  type: vendor
  chart: {repository: "https://charts.example.com", name: pay}
  components:
    - {name: db, type: postgresql}
    - {name: cache, type: redis}
    - {name: db, type: mysql}
  secrets:
    - {env: TOKEN, secret: pay/token}
    - {env: TOKEN, secret: pay/other-token}
  dependsOn: [ledger, ledger]
"""
    assert problems(text) == [
        "apps/app.yaml:10:14: duplicate 'db' in components",
        "apps/app.yaml:13:13: duplicate 'TOKEN' in secrets",
        "apps/app.yaml:14:23: duplicate 'ledger' in dependsOn",
    ]


def test_an_application_cannot_depend_on_itself() -> None:
    text = """\
apiVersion: idp/v1alpha1
kind: Application
metadata: {name: pay, system: payments, owner: team-a}
spec:
  type: vendor
  chart: {repository: "https://charts.example.com", name: pay}
  dependsOn:
    - ledger
    - pay
"""
    assert only_problem(text) == "apps/app.yaml:9:7: an application cannot depend on itself"


def test_resource_name_over_63_characters() -> None:
    app_name = "a" * 40
    component = "b" * 23  # 40 + 1 + 23 = 64
    text = f"""\
apiVersion: idp/v1alpha1
kind: Application
metadata: {{name: {app_name}, system: payments, owner: team-a}}
spec:
  type: vendor
  chart: {{repository: "https://charts.example.com", name: pay}}
  components:
    - {{name: db, type: postgresql}}
    - {{name: {component}, type: s3-bucket}}
"""
    assert only_problem(text) == (
        f"apps/app.yaml:9:14: the resource name '{app_name}-{component}' would be longer than 63"
        " characters; shorten the application or component name"
    )
    # One character less fits exactly.
    assert_valid(text.replace(component, component[:-1]))


def test_check_application_yields_field_paths() -> None:
    app = model(
        application(
            "pay",
            type="etl",
            schedule=DROP,
            chart={"repository": "https://charts.example.com", "name": "x"},
            environments={"dev": {"version": "1"}, "qa": {"version": "1"}},
            dependsOn=["pay", "ledger", "ledger"],
            components=[{"name": "db", "type": "redis"}, {"name": "db", "type": "redis"}],
        )
    )
    assert list(m.check_application(app, ENVIRONMENTS)) == [
        (("spec", "chart"), "spec.chart is only allowed for type vendor, not etl"),
        (("spec", "type"), "spec.schedule is required for type etl"),
        (
            ("spec", "environments", "qa"),
            "unknown environment 'qa'; configured environments: dev, staging, prod",
        ),
        (("spec", "components", 1, "name"), "duplicate 'db' in components"),
        (("spec", "dependsOn", 0), "an application cannot depend on itself"),
        (("spec", "dependsOn", 2), "duplicate 'ledger' in dependsOn"),
    ]


def test_check_application_finds_nothing_in_a_valid_application() -> None:
    for kind in m.APPLICATION_TYPES:
        assert list(m.check_application(model(application(type=kind)), ENVIRONMENTS)) == []


# -- the models themselves ----------------------------------------------------------------------


def test_models_are_strict() -> None:
    with pytest.raises(ValidationError) as raised:
        model(application(environments={"dev": {"version": 1.4}}))
    [error] = raised.value.errors()
    assert error["type"] == "string_type"
    assert error["loc"] == ("spec", "environments", "dev", "version")


def test_models_forbid_extra_fields() -> None:
    with pytest.raises(ValidationError) as raised:
        model(application(imagee="registry.example.com/pay"))
    assert [e["type"] for e in raised.value.errors()] == ["extra_forbidden"]


def test_depends_on_is_read_by_its_alias_only() -> None:
    with pytest.raises(ValidationError):
        model(application(depends_on=["ledger"]))
    assert model(application(dependsOn=["ledger"])).spec.depends_on == ["ledger"]


def test_resource_name() -> None:
    assert m.resource_name("payments-api", "db") == "payments-api-db"


def test_json_schema_describes_both_kinds() -> None:
    schema = m.manifest_json_schema()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    definitions = schema["$defs"]
    assert {"Application", "System"} <= set(definitions)
    assert definitions["ApplicationSpec"]["additionalProperties"] is False
    assert "dependsOn" in definitions["ApplicationSpec"]["properties"]
