"""``POST /api/v1/actions/restart-application`` through the HTTP API, on the Argo CD double;
each test on SQLite and PostgreSQL (the audit)."""

from __future__ import annotations

import time
from typing import Any

import httpx

from tests.actions.conftest import ALICE, AUTH, Harness, HarnessFactory
from tests.actions.test_promote_image import APP, PATH
from tests.support.argocd_double import TOKEN, ArgoCDDouble, crash_looping, deployment, node
from tests.support.repos import GitOpsRepo
from tests.support.servers import HangingServer, free_port

BOB = "user:default/bob"
PLATFORM = "group:default/team-platform"
AUTOMATION = "automation-token-0123456789"
MANIFEST = f"""apiVersion: idp/v1alpha1
kind: Application
metadata: {{name: {APP}, system: payments, owner: team-payments}}
spec:
  type: service
  source: {{repository: acme/{APP}}}
  image: registry.example.com/{APP}
  environments:
    dev: {{version: "1.4.2"}}
    staging: {{version: "1.4.1"}}
    prod: {{version: "1.3.0"}}
"""


def _seed(gitops: GitOpsRepo, manifest: str = MANIFEST) -> None:
    gitops.write(PATH, manifest)
    gitops.commit()


def _argocd(url: str, **more: Any) -> dict[str, Any]:
    return {"argocd": {"url": url, "token": TOKEN, "timeoutSeconds": 2, **more}}


def _restart(h: Harness, token: str | None = None, **body: Any) -> httpx.Response:
    body = {"application": APP, "environment": "prod", "requestedBy": ALICE, **body}
    headers = {"Authorization": f"Bearer {token}"} if token else AUTH
    response: httpx.Response = h.client.post(
        "/api/v1/actions/restart-application", json=body, headers=headers
    )
    return response


def _error(response: httpx.Response) -> tuple[int, str, str]:
    error = response.json()["error"]
    return response.status_code, error["code"], error["message"]


def test_each_deployment_of_the_tree_is_restarted_and_answered_and_audited(
    gitops: GitOpsRepo, harness: HarnessFactory, argocd_double: ArgoCDDouble
) -> None:
    _seed(gitops)
    argocd_double.add_app(
        f"{APP}-prod",
        deployment(APP, "payments"),
        crash_looping(f"{APP}-7d9-abc", "payments"),
        deployment(f"{APP}-worker", "payments-jobs"),
        node("Service", APP, "payments"),
    )
    h = harness(**_argocd(argocd_double.url))
    response = _restart(h)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body == {
        "branch": None,
        "pullRequestUrl": None,
        "auditId": body["auditId"],
        "changed": True,
        "dryRun": False,
        "argocdApplication": f"{APP}-prod",
        "restarted": [
            {"kind": "Deployment", "name": APP, "namespace": "payments"},
            {"kind": "Deployment", "name": f"{APP}-worker", "namespace": "payments-jobs"},
        ],
    }
    assert argocd_double.restarts() == [
        (f"{APP}-prod", "payments", APP),
        (f"{APP}-prod", "payments-jobs", f"{APP}-worker"),
    ]
    [row] = h.audit()
    assert row["id"] == body["auditId"] and row["action"] == "restart-application"
    assert row["outcome"] == "succeeded" and row["actor"] == ALICE
    assert row["message"] == (f"restarted payments/{APP}, payments-jobs/{APP}-worker of {APP}-prod")
    assert row["inputs"]["environment"] == "prod"
    metrics = h.client.get("/metrics").text
    assert 'idp_actions_total{action="restart-application",outcome="succeeded"} 1.0' in metrics


def test_a_dry_run_restarts_nothing_and_answers_what_would_be(
    gitops: GitOpsRepo, harness: HarnessFactory, argocd_double: ArgoCDDouble
) -> None:
    _seed(gitops)
    argocd_double.add_app(f"{APP}-dev", deployment(APP, "payments-dev"))
    h = harness(**_argocd(argocd_double.url))
    response = _restart(h, environment="dev", dryRun=True)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["dryRun"] is True and body["changed"] is False
    assert body["restarted"] == [{"kind": "Deployment", "name": APP, "namespace": "payments-dev"}]
    assert argocd_double.restarted == []
    [row] = h.audit()
    assert row["dryRun"] is True and row["outcome"] == "succeeded"
    assert row["message"].startswith("dry run: would restart payments-dev/payments-api")


def test_a_tree_without_a_deployment_is_a_409_not_a_silent_success(
    gitops: GitOpsRepo, harness: HarnessFactory, argocd_double: ArgoCDDouble
) -> None:
    _seed(gitops)
    argocd_double.add_app(
        f"{APP}-prod",
        node("CronJob", APP, "payments", group="batch"),
        node("Deployment", "not-apps", "payments", group="extensions.example.com"),
    )
    h = harness(**_argocd(argocd_double.url))
    status, code, message = _error(_restart(h))
    assert (status, code) == (409, "no_deployment")
    assert message.startswith(f"Argo CD's application '{APP}-prod' holds no Deployment")
    [row] = h.audit()
    assert row["outcome"] == "rejected" and row["message"] == message


def test_argocd_refusing_or_away_is_502_or_503_with_its_message_and_a_failed_row(
    gitops: GitOpsRepo, harness: HarnessFactory, argocd_double: ArgoCDDouble
) -> None:
    _seed(gitops)
    argocd_double.add_app(
        f"{APP}-prod", deployment(APP, "payments"), deployment("second", "payments")
    )
    h = harness(**_argocd(argocd_double.url))
    argocd_double.forbidden_actions.add(f"{APP}-prod")
    status, code, message = _error(_restart(h))
    assert (status, code) == (502, "argocd_failed")
    assert "permission denied: applications, action/apps/Deployment/restart" in message
    # The second restart fails after the first one went through: the row says both.
    argocd_double.forbidden_actions.clear()
    argocd_double.fail("run_action_v2", 503, "the server is shutting down", after=1)
    status, code, message = _error(_restart(h))
    assert (status, code) == (502, "argocd_failed")
    rows = h.audit()
    assert [row["outcome"] for row in rows] == ["failed", "failed"]
    assert rows[0]["message"].startswith(f"restarted payments/{APP} before this failure: ")
    assert rows[0]["message"].endswith(
        f"503 to restart Deployment payments/second of '{APP}-prod': the server is shutting down"
    )
    down = harness(**_argocd(f"http://127.0.0.1:{free_port()}"))
    status, code, message = _error(_restart(down))
    assert (status, code) == (503, "argocd_unavailable")
    assert down.audit()[0]["outcome"] == "failed"


def test_argocd_hanging_is_a_503_within_the_timeout_and_audited(
    gitops: GitOpsRepo, harness: HarnessFactory, hanging_server: HangingServer
) -> None:
    _seed(gitops)
    url = hanging_server.url.removesuffix("/gitops.git")
    h = harness(**_argocd(url, timeoutSeconds=0.5))
    started = time.monotonic()
    status, code, message = _error(_restart(h))
    assert time.monotonic() - started < 3
    assert (status, code) == (503, "argocd_unavailable")
    assert "did not answer within 0.5 s" in message
    assert h.audit()[0]["outcome"] == "failed"


def test_without_argocd_the_action_says_it_is_not_configured(
    gitops: GitOpsRepo, harness: HarnessFactory
) -> None:
    _seed(gitops)
    h = harness()
    status, code, message = _error(_restart(h))
    assert (status, code) == (503, "argocd_not_configured")
    assert "set argocd.url and argocd.token" in message
    assert h.audit()[0]["outcome"] == "failed"


def test_unknown_application_or_environment_is_a_404_and_odd_names_a_422(
    gitops: GitOpsRepo, harness: HarnessFactory, argocd_double: ArgoCDDouble
) -> None:
    _seed(gitops, _manifest_without_prod())
    h = harness(**_argocd(argocd_double.url))
    assert _error(_restart(h, application="nope"))[:2] == (404, "not_found")
    assert _error(_restart(h, environment="qa"))[:2] == (404, "not_found")
    status, _, message = _error(_restart(h))
    assert status == 404 and message == (
        f"'{APP}' does not run in 'prod': its manifest lists dev, staging"
    )
    for odd in ("../etc", "A" * 64, "pay ments", "x" * 10_000, ""):
        assert _restart(h, application=odd).status_code == 422
    assert _restart(h, environment="dev", extra=1).status_code == 422
    assert argocd_double.requests == []  # nothing was asked of Argo CD
    assert {row["outcome"] for row in h.audit()} == {"rejected"}


def test_an_application_argocd_does_not_know_is_a_409(
    gitops: GitOpsRepo, harness: HarnessFactory, argocd_double: ArgoCDDouble
) -> None:
    _seed(gitops)
    h = harness(**_argocd(argocd_double.url, applicationName="{environment}-{application}"))
    argocd_double.add_app(f"{APP}-prod", deployment(APP, "payments"))  # named otherwise
    status, code, message = _error(_restart(h))
    assert (status, code) == (409, "argocd_application_not_found")
    assert f"Argo CD has no application 'prod-{APP}'" in message


def test_a_protected_environment_is_restarted_only_by_those_listed(
    gitops: GitOpsRepo, harness: HarnessFactory, argocd_double: ArgoCDDouble
) -> None:
    _seed(gitops)
    argocd_double.add_app(f"{APP}-prod", deployment(APP, "payments"))
    argocd_double.add_app(f"{APP}-dev", deployment(APP, "payments-dev"))
    h = harness(
        **_argocd(argocd_double.url),
        restart={"protected": {"prod": [PLATFORM]}},
        auth={"trustedTokens": [AUTOMATION]},
    )
    status, code, message = _error(_restart(h, requestedBy=BOB))
    assert (status, code) == (403, "forbidden")
    assert "may restart an application there" in message
    refused = _restart(h, AUTOMATION, requestedBy=BOB)
    assert _error(refused)[2] == (
        f"'prod' is protected: only {PLATFORM} may restart an application there, and"
        f" {BOB!r} is none of them"
    )
    allowed = _restart(h, AUTOMATION, requestedBy=BOB, requestedByGroups=[PLATFORM])
    assert allowed.status_code == 200, allowed.text
    assert _restart(h, environment="dev", requestedBy=BOB).status_code == 200  # open
    assert [row["outcome"] for row in h.audit()] == [
        "succeeded",
        "succeeded",
        "rejected",
        "rejected",
    ]
    assert argocd_double.restarts() == [
        (f"{APP}-prod", "payments", APP),
        (f"{APP}-dev", "payments-dev", APP),
    ]


def test_an_application_whose_manifest_has_errors_may_still_be_restarted(
    gitops: GitOpsRepo, harness: HarnessFactory, argocd_double: ArgoCDDouble
) -> None:
    """It runs all the same: a typo in its manifest must not stop an on-call restart."""
    _seed(gitops, MANIFEST.replace("  source: {repository: acme/payments-api}\n", ""))
    argocd_double.add_app(f"{APP}-prod", deployment(APP, "payments"))
    h = harness(**_argocd(argocd_double.url))
    response = _restart(h)
    assert response.status_code == 200, response.text
    assert argocd_double.restarts() == [(f"{APP}-prod", "payments", APP)]


def _manifest_without_prod() -> str:
    return "\n".join(line for line in MANIFEST.splitlines() if "prod:" not in line) + "\n"
