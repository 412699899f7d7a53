"""The rules that keep a manifest from becoming a broken deployment (issue 16): an environment
variable mapped twice, a schedule a CronJob refuses, an image without a registry host, an
environment without a version. Each is a located problem from the one rule engine, so validate and
ingest answer the same (render skips what ingest leaves out: tests/test_render.py)."""

from __future__ import annotations

import pytest

from catalog_service.domain.catalog import assemble, compile_file
from catalog_service.domain.cron import cron_problem
from catalog_service.domain.review import check_text
from tests.domain.support import context

ETL = """\
apiVersion: idp/v1alpha1
kind: Application
metadata: {name: nightly, system: data, owner: team-data}
spec:
  type: etl
  source: {repository: acme/nightly}
  image: registry.example.com/nightly
  schedule: "{schedule}"
  environments:
    dev: {version: "1.0"}
"""

SERVICE = """\
apiVersion: idp/v1alpha1
kind: Application
metadata: {name: pay, system: payments, owner: team-payments}
spec:
  type: service
  source: {repository: acme/pay}
  image: library/pay
  secrets:
    - {env: DATABASE_URL, secret: pay/db, key: url}
    - {env: DATABASE_URL, secret: pay/other}
  environments:
    dev: {version: "1.0"}
"""

VENDOR = """\
apiVersion: idp/v1alpha1
kind: Application
metadata: {name: keycloak, system: auth, owner: team-platform}
spec:
  type: vendor
  chart: {repository: https://charts.example.com, name: keycloak}
  environments:
    dev: {version: "24.0.1"}
    prod: {replicas: 2}
"""


def both(text: str) -> list[str]:
    """The problems validate answers, after checking ingest answers exactly the same."""
    validated = [str(p) for p in check_text("apps/app.yaml", text.encode(), context())]
    catalog = assemble([compile_file("apps/app.yaml", text.encode(), context())], context())
    assert [str(p) for p in catalog.problems] == validated
    assert not catalog.applications
    return validated


def test_an_environment_variable_mapped_twice() -> None:
    problems = both(SERVICE.replace("library/pay", "registry.example.com/pay"))
    assert problems == ["apps/app.yaml:10:13: duplicate 'DATABASE_URL' in secrets"]


def test_an_image_without_a_registry_host() -> None:
    text = SERVICE.replace("    - {env: DATABASE_URL, secret: pay/other}\n", "")
    [problem] = both(text)
    assert problem.startswith("apps/app.yaml:7:10: spec.image: names no registry host;")
    assert "123456789012.dkr.ecr.eu-west-1.amazonaws.com/payments-api" in problem


def test_a_vendor_environment_without_a_version() -> None:
    assert both(VENDOR) == ["apps/app.yaml:9:5: spec.environments.prod.version is required"]


@pytest.mark.parametrize(
    ("schedule", "message"),
    [
        ("61 * * * *", "minute field '61': 61 is out of range 0-59"),
        ("0 24 * * *", "hour field '24': 24 is out of range 0-23"),
        ("0 0 0 * *", "day of month field '0': 0 is out of range 1-31"),
        ("0 0 1 13 *", "month field '13': 13 is out of range 1-12"),
        ("0 0 * * 7", "day of week field '7': 7 is out of range 0-6"),
        ("0 0 * * FUN", "day of week field 'FUN': 'FUN' is not a number or one of SUN..SAT"),
        ("*/0 * * * *", "minute field '*/0': the step '0' must be a whole number above 0"),
        ("30-10 * * * *", "minute field '30-10': the range '30-10' runs backwards"),
        ("? * * * *", "minute field '?': '?' is only allowed in the day fields"),
        ("0 0 * JAN-XYZ *", "month field 'JAN-XYZ': 'XYZ' is not a number or one of JAN..DEC"),
    ],
)
def test_an_invalid_schedule(schedule: str, message: str) -> None:
    [problem] = both(ETL.replace("{schedule}", schedule))
    assert problem.startswith(f"apps/app.yaml:8:13: spec.schedule: {message}")


def test_an_unknown_macro() -> None:
    assert cron_problem("@every 5m") == (
        "unknown schedule '@every 5m'; the macros are @yearly, @annually, @monthly, @weekly,"
        " @daily, @midnight, @hourly"
    )


@pytest.mark.parametrize(
    "schedule",
    ["0 2 * * *", "*/15 0-23/2 1,15 jan-dec MON-FRI", "@hourly", "59 23 31 12 6", "0 0 ? * *"],
)
def test_valid_schedules(schedule: str) -> None:
    assert cron_problem(schedule) is None
    text = ETL.replace("{schedule}", schedule)
    assert check_text("apps/app.yaml", text.encode(), context()) == []


def test_the_rules_do_not_stop_other_applications() -> None:
    good = ETL.replace("{schedule}", "0 2 * * *")
    bad = ETL.replace("{schedule}", "0 2 * * 9").replace("name: nightly", "name: other")
    catalog = assemble(
        [
            compile_file("apps/a.yaml", good.encode(), context()),
            compile_file("apps/b.yaml", bad.encode(), context()),
        ],
        context(),
    )
    assert [app.name for app in catalog.applications] == ["nightly"]
    assert [p.path for p in catalog.problems] == ["apps/b.yaml"]


def test_what_the_objects_it_becomes_would_refuse() -> None:
    text = (
        SERVICE.replace("library/pay", "registry.example.com/pay")
        .replace("name: pay,", "name: 1pay,")
        .replace("    - {env: DATABASE_URL, secret: pay/other}\n", "")
        .replace('dev: {version: "1.0"}', 'dev: {version: "1.0+build.7"}')
    )
    assert both(text) == [
        "apps/app.yaml:3:18: a service's name must start with a letter (its Service's)",
        "apps/app.yaml:11:20: spec.environments.dev.version: an image tag cannot hold '+'"
        " (only a vendor chart's version can)",
    ]
    long = ETL.replace("{schedule}", "0 2 * * *").replace("nightly,", "n" * 60 + ",")
    assert both(long) == [
        "apps/app.yaml:3:18: an etl application's name is at most 52 characters (its CronJob's)",
        f"apps/app.yaml:10:10: the Argo CD application {'n' * 60}-dev would be longer than 63"
        " characters; shorten the application name",
    ]
