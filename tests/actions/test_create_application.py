"""``POST /api/v1/actions/create-application``, and the audit log the actions leave."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from catalog_service.errors import ConfigurationError
from tests.actions.conftest import ALICE, REPO, HarnessFactory
from tests.db.support import run_together
from tests.support.repos import GitOpsRepo

FULL: dict[str, Any] = {
    "name": "checkout",
    "description": "The checkout flow",
    "sourceRepository": "acme/checkout",
    "image": "registry.example.com/checkout",
    "components": [{"name": "db", "type": "postgresql"}],
    "secrets": [{"env": "DATABASE_URL", "secret": "checkout/db", "key": "url"}],
    "dependsOn": ["ledger"],
    "environments": {"prod": {"version": "1.0.0", "replicas": 2}, "dev": {"version": "1.1.0"}},
}


def _seed(gitops: GitOpsRepo) -> None:
    gitops.add_application("ledger", system="shop")
    gitops.commit()


def test_create_writes_a_manifest_a_person_would_and_opens_a_pull_request(
    gitops: GitOpsRepo, harness: HarnessFactory
) -> None:
    _seed(gitops)
    h = harness()
    response = h.create(**FULL)
    assert response.status_code == 200, response.text
    body = response.json()
    branch = body["branch"]
    assert branch.startswith("idp/create-checkout-") and body["changed"] is True
    text = h.remote_file(branch, "apps/shop/checkout.yaml")
    assert body["diff"].startswith("--- a/apps/shop/checkout.yaml\n+++ b/apps/shop/checkout.yaml")
    assert "null" not in text and "lifecycle" not in text  # no defaults spelled out
    manifest = yaml.safe_load(text)
    assert list(manifest["spec"]["environments"]) == ["dev", "prod"]  # the configured order
    assert manifest["spec"]["environments"]["prod"] == {"version": "1.0.0", "replicas": 2}
    assert h.double is not None
    pull = h.double.pulls[REPO][1]
    assert set(pull.labels) == {"idp", "idp:create-application"}
    assert "checkout" in pull.title and ALICE in pull.body
    [row] = h.audit()
    assert row["outcome"] == "succeeded" and row["action"] == "create-application"
    assert row["inputs"]["secrets"] == "***"  # anything under a secret-like key is redacted
    assert row["inputs"]["name"] == "checkout"
    # Once merged and ingested, the name is taken.
    gitops.repo.git.pull("origin", branch, "--no-rebase", "--no-edit")
    gitops.push()
    h.refresh()
    again = h.create(**FULL)
    assert again.status_code == 409 and "exists already" in again.json()["error"]["message"]


def test_create_refusals_are_answered_and_audited(
    gitops: GitOpsRepo, harness: HarnessFactory
) -> None:
    _seed(gitops)
    h = harness()
    taken = h.create(name="ledger")
    assert taken.status_code == 409
    assert "'ledger' exists already (apps/shop/ledger.yaml)" in taken.json()["error"]["message"]
    broken = h.create(name="web", environments={"qa": {"version": "1"}}, type="vendor")
    assert broken.status_code == 422, broken.text
    lines = broken.json()["error"]["message"].splitlines()
    assert len(lines) >= 2 and all(line.startswith("apps/shop/web.yaml:") for line in lines)
    assert broken.json()["error"]["code"] == "manifest_invalid"
    rows = h.audit()
    assert [row["outcome"] for row in rows] == ["rejected", "rejected"]
    assert rows[0]["message"] == broken.json()["error"]["message"]
    assert rows[1]["message"] == taken.json()["error"]["message"]
    assert h.remote_branches() == {"main": gitops.head}


def test_a_manifest_path_outside_the_roots_stops_the_start(
    gitops: GitOpsRepo, harness: HarnessFactory
) -> None:
    _seed(gitops)
    with pytest.raises(ConfigurationError) as raised:
        harness(actions={"manifestPath": "../{system}/{name}.yaml"})
    assert (
        "  actions.manifestPath: Value error, the path must not hold '..'" in raised.value.message
    )


def test_a_dry_run_creates_nothing(gitops: GitOpsRepo, harness: HarnessFactory) -> None:
    _seed(gitops)
    h = harness()
    body = h.create(name="web", dryRun=True).json()
    assert body["branch"] is None and "+  name: web" in body["diff"]
    assert h.remote_branches() == {"main": gitops.head}
    assert list(h.temp_root.iterdir()) == []
    assert h.double is not None and not h.double.pulls[REPO]


def test_twenty_simultaneous_creates_of_one_name_give_one_pull_request(
    gitops: GitOpsRepo, harness: HarnessFactory
) -> None:
    _seed(gitops)
    h = harness()
    responses = run_together(20, lambda _: h.create(name="web"))
    assert [r.status_code for r in responses] == [200] * 20, [r.text for r in responses]
    assert {r.json()["pullRequestUrl"] for r in responses} == {
        responses[0].json()["pullRequestUrl"]
    }
    assert h.double is not None and len(h.double.pulls[REPO]) == 1
    assert set(h.remote_branches()) == {"main", responses[0].json()["branch"]}
    assert len(h.audit(limit=100)) == 20


def test_the_audit_log_filters_and_pages_newest_first(
    gitops: GitOpsRepo, harness: HarnessFactory
) -> None:
    _seed(gitops)
    h = harness()
    h.create(name="web", dryRun=True)
    h.create(name="ledger")  # rejected
    h.create(name="shop-ui", dryRun=True, requestedBy="user:default/bob")
    everything = h.audit()
    assert [row["actor"] for row in everything] == ["user:default/bob", ALICE, ALICE]
    assert [row["id"] for row in h.audit(outcome="rejected")] == [everything[1]["id"]]
    assert len(h.audit(actor=ALICE)) == 2 and h.audit(action="promote-image") == []
    assert [row["id"] for row in h.audit(application="web")] == [everything[2]["id"]]
    assert h.audit(application="nothing-of-that-name") == []
    for odd in ("a\x00b", "x" * 256):
        refused = h.client.get("/api/v1/audit", params={"application": odd})
        assert refused.status_code == 422, refused.text
        assert "application" in refused.json()["error"]["message"]
    first = h.client.get("/api/v1/audit", params={"limit": 2}).json()
    rest = h.client.get("/api/v1/audit", params={"limit": 2, "cursor": first["nextCursor"]})
    ids = [row["id"] for row in first["items"] + rest.json()["items"]]
    assert ids == [row["id"] for row in everything] and rest.json()["nextCursor"] is None
    since = everything[0]["time"]
    assert [row["id"] for row in h.audit(since=since)] == [everything[0]["id"]]
    assert h.audit(until=everything[2]["time"]) == []
    bad = h.client.get("/api/v1/audit", params={"outcome": "maybe"})
    assert bad.status_code == 422
    metrics = h.client.get("/metrics").text
    assert 'idp_actions_total{action="create-application",outcome="succeeded"} 2.0' in metrics
    assert 'idp_actions_total{action="create-application",outcome="rejected"} 1.0' in metrics
