"""Database copies in the manifest (``spec.environments.<env>.copies``): the rules, live copies at
a time, the Resource of each live copy, the warning from an hour before expiry."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime, timedelta

import pytest

from catalog_service.domain.catalog import Catalog, assemble, compile_file, copy_warnings
from catalog_service.domain.copies import DatabaseCopy, live_copies
from catalog_service.domain.entities import EntityContext
from catalog_service.domain.parsing import parse_file
from catalog_service.domain.problems import WARNING
from catalog_service.domain.review import check_text
from tests.domain.support import ENVIRONMENTS, PATH, context

EXPIRES = datetime(2030, 12, 3, 9, 0, tzinfo=UTC)


def manifest(copies: str, *, kind: str = "service", env: str = "dev") -> str:
    """Line 16 holds the first copy."""
    extra = (
        "  source: {repository: acme/pay}\n  image: registry.example.com/pay\n"
        if kind == "service"
        else "  chart: {repository: https://charts.example.com, name: pay}\n"
    )
    return (
        "apiVersion: idp/v1alpha1\n"
        "kind: Application\n"
        "metadata: {name: pay, system: payments, owner: team-a}\n"
        "spec:\n"
        f"  type: {kind}\n"
        f"{extra}"
        "  components:\n"
        "    - {name: db, type: postgresql}\n"
        "    - {name: cache, type: redis}\n"
        "  environments:\n"
        '    prod: {version: "1.0.0"}\n'
        f"    {env}:\n"
        '      version: "1.0.0"\n'
        "      copies:\n"
        f"{copies}"
    )


def problems(text: str) -> list[str]:
    return [str(problem) for problem in check_text(PATH, text.encode(), context())]


def test_a_copy_of_a_database_from_another_environment_is_accepted() -> None:
    text = manifest('        - {component: db, from: prod, expiresAt: "2030-12-03T09:00:00Z"}\n')
    assert problems(text) == []
    [parsed] = parse_file(PATH, text.encode(), ENVIRONMENTS).applications
    copy = parsed.manifest.spec.environments["dev"].copies[0]
    assert copy == DatabaseCopy.model_validate(
        {"component": "db", "from": "prod", "expiresAt": "2030-12-03T09:00:00Z"}
    )
    assert copy.source_environment == "prod" and copy.expires_at == EXPIRES
    assert (parsed.copies[0].line, parsed.copies[0].column) == (16, 50)


def test_an_unquoted_utc_time_reads_as_the_same_time() -> None:
    text = manifest("        - {component: db, from: prod, expiresAt: 2030-12-03T09:00:00Z}\n")
    [parsed] = parse_file(PATH, text.encode(), ENVIRONMENTS).applications
    assert parsed.manifest.spec.environments["dev"].copies[0].expires_at == EXPIRES


BAD = {
    "not a database": (
        '{component: cache, from: prod, expiresAt: "2030-12-03T09:00:00Z"}',
        "16:23: spec.environments.dev.copies[0].component: 'cache' is a redis; only a database"
        " (postgresql or mysql) can be copied",
    ),
    "no such component": (
        '{component: ghost, from: prod, expiresAt: "2030-12-03T09:00:00Z"}',
        "16:23: spec.environments.dev.copies[0].component: no component 'ghost'",
    ),
    "from itself": (
        '{component: db, from: dev, expiresAt: "2030-12-03T09:00:00Z"}',
        "16:33: spec.environments.dev.copies[0].from: a copy into 'dev' cannot come from 'dev'",
    ),
    "from an environment the application does not list": (
        '{component: db, from: staging, expiresAt: "2030-12-03T09:00:00Z"}',
        "16:33: spec.environments.dev.copies[0].from: 'staging' is not an environment of this"
        " application; it lists: dev, prod",
    ),
    "from an unknown environment": (
        '{component: db, from: qa, expiresAt: "2030-12-03T09:00:00Z"}',
        "'qa' is not an environment of this application",
    ),
    "a local time": (
        '{component: db, from: prod, expiresAt: "2030-12-03T09:00:00"}',
        "16:50: spec.environments.dev.copies[0].expiresAt: must be an ISO 8601 time in UTC",
    ),
    "another time zone": (
        "{component: db, from: prod, expiresAt: 2030-12-03T09:00:00+02:00}",
        "must be an ISO 8601 time in UTC such as 2026-12-03T09:00:00Z",
    ),
    "a date": ("{component: db, from: prod, expiresAt: 2030-12-03}", "must be an ISO 8601 time"),
    "not a time": ('{component: db, from: prod, expiresAt: "soon"}', "must be an ISO 8601 time"),
    "a number": ("{component: db, from: prod, expiresAt: 3}", "must be an ISO 8601 time"),
    "a typo": (
        '{component: db, form: prod, expiresAt: "2030-12-03T09:00:00Z"}',
        "spec.environments.dev.copies[0].form: unknown field",
    ),
}


@pytest.mark.parametrize(("item", "expected"), BAD.values(), ids=BAD.keys())
def test_a_bad_copy_is_a_located_error(item: str, expected: str) -> None:
    found = problems(manifest(f"        - {item}\n"))
    assert any(expected in line for line in found), found
    assert all(line.startswith(f"{PATH}:16:") for line in found), found


def test_two_copies_of_one_component_in_one_environment_are_refused() -> None:
    item = '        - {component: db, from: prod, expiresAt: "2030-12-03T09:00:00Z"}\n'
    [line] = problems(manifest(item + item))
    assert line.startswith(f"{PATH}:17:23: ") and "a second copy of 'db' in 'dev'" in line


def test_copies_is_a_list() -> None:
    [line] = problems(manifest("          component: db\n"))
    assert "spec.environments.dev.copies: expected a list" in line


def test_a_vendor_application_cannot_hold_a_copy() -> None:
    text = manifest(
        '        - {component: db, from: prod, expiresAt: "2030-12-03T09:00:00Z"}\n', kind="vendor"
    )
    [line] = problems(text)
    assert "a vendor application deploys its own chart" in line


def test_live_copies_are_those_expiring_after_now() -> None:
    text = manifest(
        '        - {component: db, from: prod, expiresAt: "2030-12-03T09:00:00Z"}\n', env="staging"
    )
    [parsed] = parse_file(PATH, text.encode(), ENVIRONMENTS).applications
    app = parsed.manifest
    [(env, copy)] = live_copies(app, EXPIRES - timedelta(seconds=1))
    assert env == "staging" and copy.component == "db"
    assert live_copies(app, EXPIRES) == []  # expired at the very second


def entities_at(text: str, now: datetime) -> dict[str, dict[str, object]]:
    documents = catalog_at(text, now).documents
    return {entity["metadata"]["name"]: entity for entity in map(json.loads, documents)}


def _context_at(now: datetime) -> EntityContext:
    return dataclasses.replace(context(), clock=lambda: now)


def catalog_at(text: str, now: datetime) -> Catalog:
    ctx = _context_at(now)
    return assemble([compile_file(PATH, text.encode(), ctx)], ctx)


def test_a_live_copy_is_a_resource_annotated_with_its_expiry_and_an_expired_one_is_not() -> None:
    text = manifest('        - {component: db, from: prod, expiresAt: "2030-12-03T09:00:00Z"}\n')
    live = entities_at(text, EXPIRES - timedelta(hours=1))
    resource = live["pay-db-copy-dev"]
    assert resource["kind"] == "Resource"
    metadata = resource["metadata"]
    assert isinstance(metadata, dict)
    assert metadata["annotations"]["idp/expires-at"] == "2030-12-03T09:00:00Z"
    assert metadata["annotations"]["idp/application"] == "pay"
    assert resource["spec"] == {
        "type": "postgresql",
        "owner": "team-a",
        "system": "payments",
        "dependsOn": ["resource:default/pay-db"],
    }
    component = live["pay"]["spec"]
    assert (
        isinstance(component, dict) and "resource:default/pay-db-copy-dev" in component["dependsOn"]
    )
    expired = entities_at(text, EXPIRES)
    assert "pay-db-copy-dev" not in expired and "pay-db" in expired


def test_the_context_clock_does_not_change_the_catalog_digest() -> None:
    text = manifest('        - {component: db, from: prod, expiresAt: "2030-12-03T09:00:00Z"}\n')
    one = catalog_at(text, EXPIRES - timedelta(days=1))
    two = catalog_at(text, EXPIRES - timedelta(days=2))
    assert one.digest == two.digest


def test_a_warning_at_expires_at_from_an_hour_before() -> None:
    text = manifest('        - {component: db, from: prod, expiresAt: "2030-12-03T09:00:00Z"}\n')
    catalog = catalog_at(text, EXPIRES - timedelta(days=1))
    assert copy_warnings(catalog, EXPIRES - timedelta(hours=1, seconds=1)) == []
    [soon] = copy_warnings(catalog, EXPIRES - timedelta(minutes=30))
    assert soon.severity == WARNING and (soon.path, soon.line, soon.column) == (PATH, 16, 50)
    assert "expires at 2030-12-03T09:00:00Z (in 30 min)" in soon.message
    [late] = copy_warnings(catalog, EXPIRES + timedelta(minutes=1))
    assert "expired at 2030-12-03T09:00:00Z" in late.message
