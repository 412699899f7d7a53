"""Who asks, through the HTTP API: a protected environment trusts a Backstage user token the
service checked (``X-Backstage-Token``, ``auth.backstage``) or a token of ``auth.trustedTokens``,
never a ``requestedBy``/``requestedByGroups`` sent with a plain token; ``create-application``
with a version in a protected environment is a promotion into it. Every such refusal is audited."""

from __future__ import annotations

from typing import Any

import httpx

from tests.actions.conftest import ALICE, AUTH, Harness, HarnessFactory
from tests.actions.test_promote_image import APP, _seed
from tests.support.backstage_identity import BackstageAuth
from tests.support.repos import GitOpsRepo

BOB = "user:default/bob"
PLATFORM = "group:default/team-platform"
PROTECTED = {"protected": {"prod": [PLATFORM, ALICE]}}
TO_PROD = {"application": APP, "from": "staging", "dryRun": True}


def _as(h: Harness, action: str, body: dict[str, Any], token: str | None) -> httpx.Response:
    headers = AUTH | ({"X-Backstage-Token": token} if token else {})
    response: httpx.Response = h.client.post(
        f"/api/v1/actions/{action}", json=body, headers=headers
    )
    return response


def _message(response: httpx.Response) -> str:
    message: str = response.json()["error"]["message"]
    return message


def test_a_shared_token_cannot_claim_the_platform_group(
    gitops: GitOpsRepo, harness: HarnessFactory, backstage_auth: BackstageAuth
) -> None:
    """The hole: anyone with the shared token could say they were in the platform team."""
    _seed(gitops)
    h = harness(promotion=PROTECTED, auth={"backstage": backstage_auth.settings()})
    claim = {**TO_PROD, "requestedBy": BOB, "requestedByGroups": [PLATFORM]}
    refused = _as(h, "promote-image", claim, None)
    assert refused.status_code == 403
    assert _message(refused) == (
        "'prod' is protected, and who asks is not verified: only a Backstage user token"
        " (X-Backstage-Token, checked with auth.backstage) or a token listed in"
        " auth.trustedTokens may promote into it"
    )
    [row] = h.audit()
    assert row["outcome"] == "rejected" and row["actor"] == BOB
    assert row["message"] == _message(refused)
    # Unprotected environments stay open to the shared token, as before.
    assert _as(h, "promote-image", {**TO_PROD, "from": "dev", "requestedBy": BOB}, None).is_success


def test_a_verified_user_may_promote_where_listed_and_groups_count_when_signed(
    gitops: GitOpsRepo, harness: HarnessFactory, backstage_auth: BackstageAuth
) -> None:
    _seed(gitops)
    h = harness(promotion=PROTECTED, auth={"backstage": backstage_auth.settings()})
    alice = backstage_auth.limited_token(ALICE)
    assert _as(h, "promote-image", {**TO_PROD, "requestedBy": ALICE}, alice).status_code == 200
    assert h.audit()[0]["actor"] == ALICE and h.audit()[0]["outcome"] == "succeeded"
    # Bob's limited token names Bob only: the groups he claims in the body are ignored.
    bob = backstage_auth.limited_token(BOB)
    claim = {**TO_PROD, "requestedBy": BOB, "requestedByGroups": [PLATFORM]}
    refused = _as(h, "promote-image", claim, bob)
    assert refused.status_code == 403
    assert _message(refused) == (
        f"'prod' is protected: only {PLATFORM}, {ALICE} may promote into it, and {BOB!r} is none"
        " of them (the Backstage token names its user only, not the user's groups: list the"
        " user in promotion.protected)"
    )
    # A full Backstage user token carries the groups (ent): those count.
    signed = backstage_auth.user_token(BOB, [BOB, PLATFORM])
    assert _as(h, "promote-image", {**TO_PROD, "requestedBy": BOB}, signed).status_code == 200
    assert [row["outcome"] for row in h.audit()] == ["succeeded", "rejected", "succeeded"]


def test_a_token_for_someone_else_or_one_that_does_not_check_out_is_refused_and_audited(
    gitops: GitOpsRepo, harness: HarnessFactory, backstage_auth: BackstageAuth
) -> None:
    _seed(gitops)
    h = harness(promotion=PROTECTED, auth={"backstage": backstage_auth.settings()})
    as_alice = {**TO_PROD, "requestedBy": ALICE}
    mismatch = _as(h, "promote-image", as_alice, backstage_auth.limited_token(BOB))
    assert mismatch.status_code == 403
    assert _message(mismatch) == (
        f"requestedBy is {ALICE!r}, but the Backstage token (X-Backstage-Token) is {BOB!r}'s:"
        " a call speaks for its own user only"
    )
    expired = _as(h, "promote-image", as_alice, backstage_auth.limited_token(ALICE, expires_in=-60))
    assert expired.status_code == 401
    assert _message(expired).startswith("X-Backstage-Token has expired (at ")
    rows = h.audit()
    assert [(r["outcome"], r["message"]) for r in rows] == [
        ("rejected", _message(expired)),
        ("rejected", _message(mismatch)),
    ]
    assert {r["actor"] for r in rows} == {ALICE}  # as claimed, with a valid bearer token
    assert h.remote_branches() == {"main": gitops.head}


def test_keys_that_cannot_be_fetched_answer_503_and_nothing_is_written(
    gitops: GitOpsRepo, harness: HarnessFactory, backstage_auth: BackstageAuth
) -> None:
    _seed(gitops)
    h = harness(promotion=PROTECTED, auth={"backstage": backstage_auth.settings()})
    backstage_auth.status = 500
    body = {**TO_PROD, "dryRun": False, "requestedBy": ALICE}
    answer = _as(h, "promote-image", body, backstage_auth.limited_token(ALICE))
    assert answer.status_code == 503
    assert answer.json()["error"]["code"] == "identity_unavailable"
    assert _message(answer).startswith(
        f"cannot fetch Backstage's signing keys from {backstage_auth.jwks_url}"
    )
    assert h.audit()[0]["outcome"] == "failed"
    assert h.remote_branches() == {"main": gitops.head}


def test_a_trusted_token_is_believed_and_without_auth_backstage_the_header_proves_nothing(
    gitops: GitOpsRepo, harness: HarnessFactory, backstage_auth: BackstageAuth
) -> None:
    _seed(gitops)
    automation = "automation-token-0123456789"
    h = harness(promotion=PROTECTED, auth={"trustedTokens": [automation]})
    claim = {**TO_PROD, "requestedBy": BOB, "requestedByGroups": [PLATFORM]}
    trusted = h.client.post(
        "/api/v1/actions/promote-image",
        json=claim,
        headers={"Authorization": f"Bearer {automation}"},
    )
    assert trusted.status_code == 200, trusted.text
    # auth.backstage is not configured: a Backstage token is not checked, so it proves nothing.
    unchecked = _as(h, "promote-image", claim, backstage_auth.user_token(BOB, [PLATFORM]))
    assert unchecked.status_code == 403
    assert "who asks is not verified" in _message(unchecked)


def test_create_application_with_a_version_in_a_protected_environment_is_a_promotion(
    gitops: GitOpsRepo, harness: HarnessFactory, backstage_auth: BackstageAuth
) -> None:
    """The hole: a new manifest could put any version straight into prod."""
    _seed(gitops)
    h = harness(promotion=PROTECTED, auth={"backstage": backstage_auth.settings()})
    new = {
        "name": "ledger",
        "system": "shop",
        "owner": "team-shop",
        "type": "service",
        "image": "registry.example.com/ledger",
        "sourceRepository": "acme/ledger",
        "dryRun": True,
        "environments": {"dev": {"version": "1.0.0"}, "prod": {"version": "1.0.0"}},
    }
    refused = _as(h, "create-application", {**new, "requestedBy": BOB}, None)
    assert refused.status_code == 403
    assert _message(refused).startswith("'prod' is protected, and who asks is not verified")
    bob = backstage_auth.limited_token(BOB)
    listed_not = _as(h, "create-application", {**new, "requestedBy": BOB}, bob)
    assert listed_not.status_code == 403
    assert _message(listed_not).startswith(
        f"'prod' is protected: only {PLATFORM}, {ALICE} may put a version in it (a new"
        " application with a version there is a promotion into it), and 'user:default/bob'"
    )
    dev_only = {**new, "environments": {"dev": {"version": "1.0.0"}}, "requestedBy": BOB}
    assert _as(h, "create-application", dev_only, None).status_code == 200
    alice = backstage_auth.limited_token(ALICE)
    assert _as(h, "create-application", {**new, "requestedBy": ALICE}, alice).status_code == 200
    assert [row["outcome"] for row in h.audit()] == [
        "succeeded",
        "succeeded",
        "rejected",
        "rejected",
    ]
