"""Calls refused before the action ran: with a valid bearer token (the body refused by the
schema: 422) they leave exactly one audit entry each; without one (no or a wrong bearer token:
401) they leave none, however many come, and are only counted as ``rejected``."""

from __future__ import annotations

import json
import re
from typing import Any

import httpx

from tests.actions.conftest import ALICE, AUTH, Harness, HarnessFactory
from tests.support.repos import GitOpsRepo

WRONG_TOKEN = "not-the-token-0123456789-presented"


def _seed(gitops: GitOpsRepo) -> None:
    gitops.add_application("ledger", system="shop")
    gitops.commit()


def _post(h: Harness, action: str, headers: dict[str, str], **kwargs: Any) -> httpx.Response:
    response: httpx.Response = h.client.post(f"/api/v1/actions/{action}", headers=headers, **kwargs)
    return response


def _error(response: httpx.Response) -> tuple[str, str]:
    error = response.json()["error"]
    return error["code"], error["message"]


def test_a_body_the_schema_refuses_is_answered_as_before_and_audited(
    gitops: GitOpsRepo, harness: HarnessFactory
) -> None:
    _seed(gitops)
    h = harness()
    body = {"requestedBy": ALICE, "application": "ledger", "from": "BAD NAME", "apiToken": "s3"}
    refused = _post(h, "promote-image", AUTH, json=body)
    assert refused.status_code == 422
    code, message = _error(refused)
    assert code == "invalid_request"
    assert message.startswith("body.from: String should match pattern")
    assert "body.apiToken: Extra inputs are not permitted" in message
    [row] = h.audit()
    assert row["action"] == "promote-image" and row["outcome"] == "rejected"
    assert row["actor"] == ALICE and row["message"] == message
    assert row["inputs"] == {**body, "apiToken": "***"}
    assert row["dryRun"] is False and row["branch"] is None

    missing = _post(h, "create-application", AUTH, json={"name": "web", "dryRun": True})
    assert missing.status_code == 422
    assert "body.requestedBy: Field required" in _error(missing)[1]
    newest = h.audit()[0]
    assert newest["actor"] == "unknown" and newest["dryRun"] is True
    assert newest["action"] == "create-application" and newest["message"] == _error(missing)[1]
    assert h.remote_branches() == {"main": gitops.head}


def test_a_body_that_is_not_json_or_huge_is_not_stored_whole(
    gitops: GitOpsRepo, harness: HarnessFactory
) -> None:
    _seed(gitops)
    h = harness()
    as_json = {**AUTH, "Content-Type": "application/json"}
    garbage = _post(h, "create-application", as_json, content=b"name=web&token=hunter2")
    assert garbage.status_code == 422
    assert _error(garbage)[1].startswith("body.0: JSON decode error")
    huge = {"requestedBy": ALICE, "name": "web", "description": "x" * 300_000}
    too_long = _post(h, "create-application", AUTH, json=huge)
    assert too_long.status_code == 422
    assert "body.description: String should have at most 1024 characters" in _error(too_long)[1]
    big_but_parsed = {"requestedBy": ALICE, "tags": ["t" * 100] * 100}
    assert _post(h, "create-application", AUTH, json=big_but_parsed).status_code == 422

    parsed, huge_row, garbage_row = h.audit()
    assert garbage_row["inputs"] == {"body": "not a JSON object (22 bytes); not stored"}
    assert garbage_row["actor"] == "unknown"
    assert "hunter2" not in json.dumps(garbage_row)
    assert huge_row["actor"] == "unknown"  # a body this large is not read at all
    assert len(json.dumps(huge_row)) < 4096 and "xxxx" not in json.dumps(huge_row)
    assert parsed["actor"] == ALICE
    assert parsed["inputs"]["truncated"].startswith('{"requestedBy": "user:default/alice"')
    assert len(parsed["inputs"]["truncated"]) == 2048


def test_no_or_a_wrong_token_is_answered_as_before_counted_and_not_stored(
    gitops: GitOpsRepo, harness: HarnessFactory
) -> None:
    _seed(gitops)
    h = harness()
    body = {"requestedBy": ALICE, "application": "ledger", "from": "dev"}
    answers = [
        _post(h, "promote-image", {}, json=body),
        _post(h, "promote-image", {"Authorization": f"Bearer {WRONG_TOKEN}"}, json=body),
        _post(h, "create-application", {"Authorization": f"Basic {WRONG_TOKEN}"}, json={}),
        _post(h, "create-application", {"Content-Type": "application/json"}, content=b"["),
    ]
    assert [a.status_code for a in answers] == [401, 401, 401, 422]
    assert all(a.headers["www-authenticate"] == "Bearer" for a in answers[:3])
    messages = [_error(a)[1] for a in answers[:3]]
    assert messages == [
        "send Authorization: Bearer <token>",
        "the bearer token is not one of the configured auth.tokens",
        "send Authorization: Bearer <token>",
    ]
    assert h.audit() == []  # no row: a flood of these cannot fill the log
    assert WRONG_TOKEN not in h.client.get("/api/v1/audit").text
    metrics = h.client.get("/metrics").text
    assert 'idp_actions_total{action="promote-image",outcome="rejected"} 2.0' in metrics
    assert 'idp_actions_total{action="create-application",outcome="rejected"} 2.0' in metrics


def test_a_flood_without_a_token_writes_nothing_and_the_dashboard_does_not_count_it(
    gitops: GitOpsRepo, harness: HarnessFactory
) -> None:
    _seed(gitops)
    h = harness()
    for _ in range(200):
        assert _post(h, "promote-image", {}, json={"requestedBy": ALICE}).status_code == 401
    assert h.audit() == []
    assert 'outcome="rejected"} 200.0' in h.client.get("/metrics").text
    assert h.promote(application="ledger", **{"from": "dev"}, dryRun=True).status_code == 200
    [row] = h.audit()
    assert row["outcome"] == "succeeded"
    dashboard = h.client.get("/dashboard")
    assert dashboard.status_code == 200
    headline = re.search(r'<div id="h-actions"><dt>[^<]*</dt><dd>([^<]*)</dd>', dashboard.text)
    assert headline is not None and headline[1] == "1"


def test_every_refusal_is_counted_and_an_unknown_action_is_not_audited(
    gitops: GitOpsRepo, harness: HarnessFactory
) -> None:
    _seed(gitops)
    h = harness()
    _post(h, "promote-image", {}, json={})
    _post(h, "promote-image", AUTH, json={"requestedBy": ALICE})
    _post(h, "create-application", AUTH, content=b"[")
    assert h.create(name="ledger").status_code == 409  # refused by the action: audited once
    unknown = _post(h, "delete-everything", AUTH, json={"requestedBy": ALICE})
    assert unknown.status_code == 404
    assert len(h.audit()) == 3  # the call without a token is counted only
    metrics = h.client.get("/metrics").text
    assert 'idp_actions_total{action="promote-image",outcome="rejected"} 2.0' in metrics
    assert 'idp_actions_total{action="create-application",outcome="rejected"} 2.0' in metrics
    assert "delete-everything" not in metrics


def test_a_lone_surrogate_in_any_field_of_a_refused_body_keeps_the_log_readable(
    gitops: GitOpsRepo, harness: HarnessFactory
) -> None:
    _seed(gitops)
    h = harness()
    # JSON escapes a lone surrogate (and NUL) as text; decoded, no UTF-8 response can carry it.
    body = (
        b'{"requestedBy": "user:default/\\ud800", "application": "ledger\\ud800",'
        b' "\\udfffkey\\u0000": ["\\ud800", {"\\ud800": "\\u0000"}], "to": "\\ud800"}'
    )
    headers = {**AUTH, "Content-Type": "application/json"}
    refused = _post(h, "promote-image", headers, content=body)
    assert refused.status_code == 422, refused.text
    page = h.client.get("/api/v1/audit")
    assert page.status_code == 200, page.text
    [row] = page.json()["items"]
    assert row["outcome"] == "rejected"
    stored = json.dumps(row, ensure_ascii=False)
    assert "\ufffd" in stored
    assert row["inputs"]["application"] == "ledger\ufffd"
    assert row["inputs"]["\ufffdkey\ufffd"] == ["\ufffd", {"\ufffd": "\ufffd"}]


def test_the_audit_row_names_the_request_id_the_caller_gave_or_the_service_made(
    gitops: GitOpsRepo, harness: HarnessFactory
) -> None:
    _seed(gitops)
    h = harness()
    body = {"requestedBy": ALICE, "application": "ledger", "from": "BAD NAME"}
    given = _post(h, "promote-image", {**AUTH, "X-Request-Id": "build-7f3a:step/2"}, json=body)
    made = _post(h, "promote-image", AUTH, json=body)
    assert given.headers["X-Request-Id"] == "build-7f3a:step/2"
    newest, oldest = h.audit()
    assert oldest["requestId"] == "build-7f3a:step/2"
    assert newest["requestId"] == made.headers["X-Request-Id"] != "build-7f3a:step/2"
