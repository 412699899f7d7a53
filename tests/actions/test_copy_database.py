"""``POST /api/v1/actions/copy-database`` on a real bare remote, pull requests on the double: the
copy added to the manifest in place, the same copy asked twice, and the hostile requests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.actions.conftest import ALICE, REPO, Harness, HarnessFactory
from tests.support.repos import GitOpsRepo

APP = "pay"
PATH = f"apps/payments/{APP}.yaml"
T0 = datetime(2026, 12, 2, 9, 30, 15, 123456, tzinfo=UTC)
MANIFEST = f"""apiVersion: idp/v1alpha1
kind: Application
metadata:
  name: {APP}   # card payments
  system: payments
  owner: team-payments
spec:
  type: service
  source: {{repository: acme/{APP}}}
  image: registry.example.com/{APP}
  components:
    - {{name: db, type: postgresql}}
    - {{name: cache, type: redis}}
  environments:
    # dev gets every build
    dev:     {{version: "1.4.2"}}
    staging: {{version: '1.4.1'}}   # kept quoted
    prod:    {{version: "1.3.0", replicas: 3}}
"""


def seed(gitops: GitOpsRepo, manifest: str = MANIFEST) -> None:
    gitops.write(PATH, manifest)
    gitops.commit()


def copy(h: Harness, **body: Any) -> Any:
    request = {"application": APP, "component": "db", "from": "prod", "to": "staging", **body}
    request.setdefault("requestedBy", ALICE)
    return h.post("copy-database", request)


def at(moment: datetime) -> Any:
    return lambda: moment


def test_a_copy_opens_a_pull_request_adding_it_in_place(
    gitops: GitOpsRepo, harness: HarnessFactory
) -> None:
    seed(gitops)
    h = harness()
    h.actions.clock = at(T0)
    response = copy(h, hours=24)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["expiresAt"] == "2026-12-03T09:30:15Z" and body["changed"] is True
    assert body["branch"].startswith("idp/copy-pay-db-copy-staging-")
    assert body["pullRequestUrl"].endswith("/acme/gitops/pull/1")
    after = h.remote_file(body["branch"], PATH)
    changed = [
        (a, b) for a, b in zip(MANIFEST.splitlines(), after.splitlines(), strict=True) if a != b
    ]
    assert changed == [
        (
            "    staging: {version: '1.4.1'}   # kept quoted",
            "    staging: {version: '1.4.1', copies: [{component: db, from: prod, expiresAt:"
            ' "2026-12-03T09:30:15Z"}]}   # kept quoted',
        )
    ]
    assert "+    staging: {version: '1.4.1', copies:" in body["diff"]
    assert h.double is not None
    pull = h.double.pulls[REPO][1]
    assert set(pull.labels) == {"idp", "idp:copy-database"} and ALICE in pull.body
    [row] = h.audit()
    assert row["action"] == "copy-database" and row["outcome"] == "succeeded"
    assert row["inputs"]["hours"] == 24 and row["inputs"]["from"] == "prod"
    assert row["branch"] == body["branch"] and row["id"] == body["auditId"]


def test_the_same_copy_asked_again_answers_its_open_pull_request(
    gitops: GitOpsRepo, harness: HarnessFactory
) -> None:
    seed(gitops)
    h = harness()
    h.actions.clock = at(T0)
    first = copy(h, hours=24).json()
    h.actions.clock = at(T0 + timedelta(minutes=10))  # another expiry, the same copy
    again = copy(h, hours=24)
    assert again.status_code == 200, again.text
    second = again.json()
    assert second["branch"] == first["branch"]
    assert second["pullRequestUrl"] == first["pullRequestUrl"]
    assert second["expiresAt"] == first["expiresAt"]  # the open pull request's
    assert h.double is not None and len(h.double.pulls[REPO]) == 1
    assert [name for name in h.remote_branches() if name.startswith("idp/")] == [first["branch"]]


def test_without_hours_the_copy_lives_copies_max_hours(
    gitops: GitOpsRepo, harness: HarnessFactory
) -> None:
    seed(gitops)
    h = harness(copies={"maxHours": 12})
    h.actions.clock = at(T0)
    response = copy(h, dryRun=True)
    assert response.status_code == 200, response.text
    assert response.json()["expiresAt"] == "2026-12-02T21:30:15Z"
    assert response.json()["branch"] is None and "copies:" in response.json()["diff"]
    assert not [name for name in h.remote_branches() if name.startswith("idp/")]


HOSTILE_HOURS = {
    "zero": (0, 422),
    "negative": (-5, 422),
    "huge": (10**40, 422),
    "a string": ("24", 422),
    "true": (True, 422),
    "a fraction": (1.5, 422),
    "over copies.maxHours": (73, 400),
}


@pytest.mark.parametrize(("hours", "status"), HOSTILE_HOURS.values(), ids=HOSTILE_HOURS.keys())
def test_hostile_hours_are_refused_naming_the_field(
    hours: object, status: int, gitops: GitOpsRepo, harness: HarnessFactory
) -> None:
    seed(gitops)
    h = harness()
    response = copy(h, hours=hours)
    assert response.status_code == status, response.text
    assert "hours" in response.json()["error"]["message"]
    assert not [name for name in h.remote_branches() if name.startswith("idp/")]
    [row] = h.audit()
    assert row["outcome"] == "rejected"


REFUSED = {
    "not a database": ({"component": "cache"}, 400, "not_a_database", "'cache' is a redis"),
    "into the last environment": (
        {"from": "dev", "to": "prod"},
        403,
        "copy_into_protected",
        "'prod' is the last environment",
    ),
    "into itself": ({"from": "staging"}, 400, "invalid_request", "both 'staging'"),
    "no such component": ({"component": "ghost"}, 404, "not_found", "no component 'ghost'"),
    "no such application": ({"application": "nope"}, 404, "not_found", "'nope'"),
    "an unknown environment": ({"from": "qa"}, 404, "not_found", "from: unknown environment"),
}


@pytest.mark.parametrize(("body", "status", "code", "says"), REFUSED.values(), ids=REFUSED.keys())
def test_a_copy_that_cannot_be_is_refused(
    body: dict[str, Any],
    status: int,
    code: str,
    says: str,
    gitops: GitOpsRepo,
    harness: HarnessFactory,
) -> None:
    seed(gitops)
    h = harness()
    response = copy(h, hours=4, **body)
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == code and says in error["message"], error
    [row] = h.audit()
    assert row["outcome"] == "rejected"


def test_a_copy_into_an_environment_the_application_does_not_list_is_refused(
    gitops: GitOpsRepo, harness: HarnessFactory
) -> None:
    seed(gitops, MANIFEST.replace("    staging: {version: '1.4.1'}   # kept quoted\n", ""))
    h = harness()
    response = copy(h, hours=4)
    assert response.status_code == 404, response.text
    assert "does not run in 'staging'" in response.json()["error"]["message"]


def test_a_copy_into_a_protected_environment_is_refused_whoever_asks(
    gitops: GitOpsRepo, harness: HarnessFactory
) -> None:
    seed(gitops)
    h = harness(promotion={"protected": {"staging": [ALICE]}})
    response = copy(h, hours=4)
    assert response.status_code == 403, response.text
    error = response.json()["error"]
    assert error["code"] == "copy_into_protected" and "protected" in error["message"]


def test_a_second_copy_of_a_live_one_is_a_conflict(
    gitops: GitOpsRepo, harness: HarnessFactory
) -> None:
    live = MANIFEST.replace(
        "    staging: {version: '1.4.1'}   # kept quoted",
        "    staging: {version: '1.4.1', copies: [{component: db, from: prod,"
        ' expiresAt: "2099-01-01T00:00:00Z"}]}',
    )
    seed(gitops, live)
    h = harness()
    response = copy(h, hours=4, **{"from": "dev"})
    assert response.status_code == 409, response.text
    assert "has a copy of 'db' in 'staging' already" in response.json()["error"]["message"]


def test_nobody_asks_as_the_janitor(gitops: GitOpsRepo, harness: HarnessFactory) -> None:
    seed(gitops)
    h = harness()
    response = copy(h, hours=4, requestedBy="platform:janitor")
    assert response.status_code == 403, response.text
    assert "the service's own" in response.json()["error"]["message"]
    assert not [name for name in h.remote_branches() if name.startswith("idp/")]
