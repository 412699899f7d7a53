"""``POST /api/v1/actions/promote-image`` on a real bare remote, pull requests on the double."""

from __future__ import annotations

from pathlib import Path

import git

from tests.actions.conftest import ALICE, AUTH, REPO, HarnessFactory
from tests.support.repos import GitOpsRepo
from tests.support.servers import GitHttpServer
from tests.support.settings import TEST_TOKEN

APP = "payments-api"
PATH = f"apps/payments/{APP}.yaml"
STAGING_BRANCH = f"idp/promote-{APP}-staging-1.4.2"  # and a hash of the change
MANIFEST = f"""apiVersion: idp/v1alpha1
kind: Application
metadata:
  name: {APP}   # card payments
  system: payments
  owner: team-payments
spec:
  type: service
  image: registry.example.com/{APP}
  environments:
    # dev gets every build
    dev:     {{version: "1.4.2"}}
    staging: {{version: '1.4.1'}}   # kept quoted
    prod:    {{version: "1.3.0", replicas: 3}}
"""


def _seed(gitops: GitOpsRepo, manifest: str = MANIFEST) -> None:
    gitops.write(PATH, manifest)
    gitops.commit()


def _changed_lines(before: str, after: str) -> list[tuple[str, str]]:
    old, new = before.splitlines(), after.splitlines()
    assert len(old) == len(new)
    return [(a, b) for a, b in zip(old, new, strict=True) if a != b]


def test_a_promotion_pushes_a_branch_and_opens_a_labelled_pull_request(
    gitops: GitOpsRepo, harness: HarnessFactory
) -> None:
    _seed(gitops)
    h = harness()
    response = h.promote(application=APP, **{"from": "dev"})
    assert response.status_code == 200, response.text
    body = response.json()
    branch = body["branch"]
    assert branch.startswith(f"{STAGING_BRANCH}-") and body["changed"] is True
    assert body["pullRequestUrl"].endswith("/acme/gitops/pull/1")
    assert "-    staging: {version: '1.4.1'}" in body["diff"]
    assert "+    staging: {version: '1.4.2'}" in body["diff"]
    # Only the version changed; comments, quoting, alignment kept.
    assert _changed_lines(MANIFEST, h.remote_file(branch, PATH)) == [
        (
            "    staging: {version: '1.4.1'}   # kept quoted",
            "    staging: {version: '1.4.2'}   # kept quoted",
        )
    ]
    assert gitops.remote_dir is not None
    commit = git.Repo(gitops.remote_dir).commit(branch)
    assert commit.author.name == "alice" and commit.parents[0].hexsha == gitops.head
    assert h.double is not None
    pull = h.double.pulls[REPO][1]
    assert pull.head_ref == branch and pull.base_ref == "main"
    assert set(pull.labels) == {"idp", "idp:promote-image"}
    assert ALICE in pull.body and "1.4.2" in pull.title
    [row] = h.audit()
    assert row["id"] == body["auditId"] and row["outcome"] == "succeeded"
    assert row["branch"] == branch and row["pullRequestUrl"] == body["pullRequestUrl"]
    assert row["actor"] == ALICE and row["action"] == "promote-image"
    assert row["inputs"]["from"] == "dev" and row["dryRun"] is False
    assert list(h.temp_root.iterdir()) == []


def test_the_same_request_again_answers_the_open_pull_request(
    gitops: GitOpsRepo, harness: HarnessFactory
) -> None:
    _seed(gitops)
    h = harness()
    first = h.promote(application=APP, **{"from": "dev"}).json()
    heads = h.remote_branches()
    again = h.promote(application=APP, **{"from": "dev"}, version="1.4.2")
    assert again.status_code == 200, again.text
    assert again.json()["pullRequestUrl"] == first["pullRequestUrl"]
    assert again.json()["branch"] == first["branch"]
    assert h.remote_branches() == heads
    assert h.double is not None and len(h.double.pulls[REPO]) == 1
    assert [row["outcome"] for row in h.audit()] == ["succeeded", "succeeded"]


def test_a_pull_request_that_failed_is_opened_on_retry_from_the_same_branch(
    gitops: GitOpsRepo, harness: HarnessFactory
) -> None:
    _seed(gitops)
    h = harness()
    assert h.double is not None
    h.double.fail("POST", "/repos/{owner}/{repo}/pulls", 500, "Server Error")
    failed = h.promote(application=APP, **{"from": "dev"})
    assert failed.status_code == 503, failed.text
    assert failed.json()["error"]["code"] == "github_unavailable"
    heads = h.remote_branches()
    [row] = h.audit()
    assert row["outcome"] == "failed" and row["message"] == failed.json()["error"]["message"]
    # The branch that was pushed is named by the entry, though the call failed after the push.
    assert [b for b in heads if b.startswith(STAGING_BRANCH)] == [row["branch"]]
    retried = h.promote(application=APP, **{"from": "dev"})
    assert retried.status_code == 200, retried.text
    assert h.remote_branches() == heads  # the same branch, not a second commit
    assert len(h.double.pulls[REPO]) == 1
    assert retried.json()["pullRequestUrl"].endswith("/pull/1")


def test_a_dry_run_answers_the_diff_and_leaves_nothing_anywhere(
    gitops: GitOpsRepo, harness: HarnessFactory
) -> None:
    _seed(gitops)
    h = harness()
    heads = h.remote_branches()
    response = h.promote(application=APP, **{"from": "staging"}, dryRun=True)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["branch"] is None and body["pullRequestUrl"] is None and body["changed"]
    assert '-    prod:    {version: "1.3.0", replicas: 3}' in body["diff"]
    assert '+    prod:    {version: "1.4.1", replicas: 3}' in body["diff"]
    assert h.remote_branches() == heads
    assert list(h.temp_root.iterdir()) == []
    assert h.double is not None and not h.double.pulls[REPO]
    [row] = h.audit()
    assert row["dryRun"] is True and row["outcome"] == "succeeded" and row["branch"] is None


def test_promoting_what_runs_already_changes_nothing(
    gitops: GitOpsRepo, harness: HarnessFactory
) -> None:
    _seed(gitops, MANIFEST.replace("'1.4.1'", '"1.4.2"'))
    h = harness()
    heads = h.remote_branches()
    response = h.promote(application=APP, **{"from": "dev"})
    assert response.status_code == 200, response.text
    assert response.json() | {"auditId": 0} == {
        "branch": None,
        "pullRequestUrl": None,
        "diff": "",
        "auditId": 0,
        "changed": False,
    }
    assert h.remote_branches() == heads
    [row] = h.audit()
    assert row["outcome"] == "succeeded" and "already" in row["message"]


def test_the_target_environment_is_added_when_missing(
    gitops: GitOpsRepo, harness: HarnessFactory
) -> None:
    _seed(gitops, MANIFEST.replace('    prod:    {version: "1.3.0", replicas: 3}\n', ""))
    h = harness()
    body = h.promote(application=APP, **{"from": "staging"}).json()
    assert '+    prod:    {version: "1.4.1"}' in body["diff"] or "+    prod:" in body["diff"]
    assert "prod" in h.remote_file(body["branch"], PATH)


def test_without_github_the_branch_is_answered(gitops: GitOpsRepo, harness: HarnessFactory) -> None:
    _seed(gitops)
    h = harness(github=False)
    body = h.promote(application=APP, **{"from": "dev"}).json()
    assert body["pullRequestUrl"] is None
    assert body["branch"] in h.remote_branches()


def test_over_git_smart_http(
    gitops: GitOpsRepo, harness: HarnessFactory, git_http_server: GitHttpServer
) -> None:
    _seed(gitops)
    assert gitops.remote_dir is not None
    git.Repo(gitops.remote_dir).git.config("http.receivepack", "true")  # anonymous pushes
    h = harness(url=f"{git_http_server.base_url}/remote.git")
    response = h.promote(application=APP, **{"from": "dev"})
    assert response.status_code == 200, response.text
    assert response.json()["branch"] in h.remote_branches()


def test_a_push_the_remote_refuses_is_a_502_audited_as_failed(
    gitops: GitOpsRepo, harness: HarnessFactory
) -> None:
    _seed(gitops)
    h = harness()
    assert gitops.remote_dir is not None
    hook = Path(gitops.remote_dir) / "hooks" / "pre-receive"
    hook.write_text("#!/bin/sh\necho 'branch protection says no' >&2\nexit 1\n")
    hook.chmod(0o755)
    response = h.promote(application=APP, **{"from": "dev"})
    assert response.status_code == 502, response.text
    message = response.json()["error"]["message"]
    assert "branch protection says no" in message
    assert set(h.remote_branches()) == {"main"}
    [row] = h.audit()
    assert row["outcome"] == "failed" and row["message"] == message
    assert list(h.temp_root.iterdir()) == []


def test_every_refusal_answers_its_status_and_is_audited(
    gitops: GitOpsRepo, harness: HarnessFactory
) -> None:
    _seed(gitops)
    # A trusted token (automation): the body's requestedBy and requestedByGroups are believed.
    h = harness(
        auth={"tokens": [], "trustedTokens": [TEST_TOKEN]},
        promotion={"protected": {"prod": ["group:default/team-platform", ALICE]}},
    )
    bob = "user:default/bob"
    cases = [
        ({"from": "dev", "version": "9.9.9"}, 409, "runs '1.4.2' in 'dev', not '9.9.9'"),
        ({"from": "dev", "to": "prod"}, 409, "the next environment is staging, not 'prod'"),
        ({"from": "prod"}, 409, "'prod' is the last environment"),
        ({"from": "qa"}, 404, "unknown environment 'qa'"),
        ({"from": "dev", "application": "nope"}, 404, "no application named 'nope'"),
        ({"from": "staging", "requestedBy": bob}, 403, "'prod' is protected"),
    ]
    for extra, status, message in cases:
        body = {"application": APP, "requestedBy": ALICE} | extra
        response = h.post("promote-image", body)
        assert response.status_code == status, (extra, response.text)
        assert message in response.json()["error"]["message"]
        row = h.audit()[0]
        assert row["outcome"] == "rejected" and message in row["message"], row
        assert row["actor"] == body["requestedBy"]
    assert len(h.audit()) == len(cases)
    assert h.remote_branches() == {"main": gitops.head}
    # A member of a listed group may, when the request says so.
    allowed = h.promote(
        application=APP,
        **{"from": "staging"},
        requestedBy=bob,
        requestedByGroups=["group:default/team-platform"],
        dryRun=True,
    )
    assert allowed.status_code == 200, allowed.text


def test_bad_requests_are_refused_before_the_service(
    gitops: GitOpsRepo, harness: HarnessFactory
) -> None:
    _seed(gitops)
    h = harness()
    body = {"application": APP, "from": "dev", "requestedBy": ALICE}
    assert h.client.post("/api/v1/actions/promote-image", json=body).status_code == 401
    typo = h.post("promote-image", body | {"verison": "1"})
    assert typo.status_code == 422 and "verison" in typo.json()["error"]["message"]
    odd = h.post("promote-image", body | {"application": "../etc"})
    assert odd.status_code == 422
    unknown = h.post("deploy-everything", body)
    assert unknown.status_code == 404 and "promote-image" in unknown.json()["error"]["message"]
    assert h.client.post("/api/v1/actions/nope", json=body).status_code == 401


def test_twenty_simultaneous_promotions_of_one_application_lose_nothing(
    gitops: GitOpsRepo, harness: HarnessFactory
) -> None:
    from tests.db.support import run_together

    environments = [f"e{index}" for index in range(21)]
    lines = [f'    e{index}: {{version: "1.0.{index}"}}' for index in range(21)]
    manifest = MANIFEST.split("  environments:\n")[0] + "  environments:\n" + "\n".join(lines)
    _seed(gitops, manifest + "\n")
    h = harness(environments=environments)
    responses = run_together(20, lambda index: h.promote(application=APP, **{"from": f"e{index}"}))
    assert [r.status_code for r in responses] == [200] * 20, [r.text for r in responses]
    branches = h.remote_branches()
    for index, response in enumerate(responses):
        branch = response.json()["branch"]
        assert branch.startswith(f"idp/promote-{APP}-e{index + 1}-1.0.{index}-")
        # Each branch is main plus exactly its own change.
        assert _changed_lines(manifest + "\n", h.remote_file(branch, PATH)) == [
            (lines[index + 1], lines[index + 1].replace(f"1.0.{index + 1}", f"1.0.{index}"))
        ]
        assert branch in branches
    assert h.double is not None and len(h.double.pulls[REPO]) == 20
    rows = h.audit(limit=100)
    assert len(rows) == 20 and {row["outcome"] for row in rows} == {"succeeded"}
    assert list(h.temp_root.iterdir()) == []
    assert AUTH  # the harness sends the token


SIBLINGS = {
    "a mapping where metadata should be": "kind: Application\nmetadata: broken\n",
    "a custom tag": "kind: Config\nvalue: !Ref other\n",
    "a boolean that is not one": "kind: Config\nflag: !!bool maybe\n",
}


def test_a_sibling_document_the_catalog_rejects_does_not_stop_a_promotion(
    gitops: GitOpsRepo, harness: HarnessFactory
) -> None:
    siblings = "".join(f"---\n# {what}\n{text}" for what, text in SIBLINGS.items())
    _seed(gitops, MANIFEST + siblings)
    h = harness()
    response = h.promote(application=APP, **{"from": "dev"})
    assert response.status_code == 200, response.text
    after = h.remote_file(response.json()["branch"], PATH)
    assert after.endswith(siblings)  # the other documents stay exactly as they were
    assert _changed_lines(MANIFEST + siblings, after) == [
        (
            "    staging: {version: '1.4.1'}   # kept quoted",
            "    staging: {version: '1.4.2'}   # kept quoted",
        )
    ]


def test_a_sibling_document_naming_the_application_is_a_located_422(
    gitops: GitOpsRepo, harness: HarnessFactory
) -> None:
    sibling = f"---\nkind: Config\nnote: {APP} runs here\nvalue: !Ref other\n"
    _seed(gitops, MANIFEST + sibling)
    h = harness()
    response = h.promote(application=APP, **{"from": "dev"})
    assert response.status_code == 422, response.text
    line = MANIFEST.count("\n") + 4
    assert f"{PATH}:{line}:" in response.json()["error"]["message"]
    assert set(h.remote_branches()) == {"main"}
