"""``POST /api/v1/actions/set-version`` (what CI calls after a build): a commit on the GitOps
branch, or a pull request; only the first environment; CI tokens for this action alone. On a real
bare remote, pull requests on the double, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import git
import httpx

from tests.actions.conftest import ALICE, AUTH, REPO, Harness, HarnessFactory
from tests.actions.test_promote_image import APP, MANIFEST, PATH
from tests.db.support import run_together
from tests.support.repos import GitOpsRepo
from tests.support.settings import TEST_TOKEN

CI_TOKEN = "ci-token-0123456789abcdef"
CI = {"Authorization": f"Bearer {CI_TOKEN}"}
CI_AUTH = {"auth": {"tokens": [TEST_TOKEN], "ciTokens": [CI_TOKEN]}}
BUILD = "github:acme/payments-api"


def _seed(gitops: GitOpsRepo, manifest: str = MANIFEST) -> None:
    gitops.write(PATH, manifest)
    gitops.commit()


def _set(h: Harness, headers: dict[str, str] | None = None, **body: Any) -> httpx.Response:
    body = {"application": APP, "version": "1.5.0", "requestedBy": BUILD, **body}
    response: httpx.Response = h.client.post(
        "/api/v1/actions/set-version", json=body, headers=headers or CI
    )
    return response


def _remote(gitops: GitOpsRepo) -> git.Repo:
    assert gitops.remote_dir is not None
    return git.Repo(gitops.remote_dir)


def test_a_version_is_committed_on_the_gitops_branch_one_line_changed(
    gitops: GitOpsRepo, harness: HarnessFactory
) -> None:
    _seed(gitops)
    before = gitops.head
    h = harness(**CI_AUTH)
    response = _set(h)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["branch"] == "main" and body["pullRequestUrl"] is None and body["changed"]
    assert '-    dev:     {version: "1.4.2"}' in body["diff"]
    assert '+    dev:     {version: "1.5.0"}' in body["diff"]
    commit = _remote(gitops).commit("main")
    assert commit.parents[0].hexsha == before
    old, new = MANIFEST.splitlines(), h.remote_file("main", PATH).splitlines()
    assert [(a, b) for a, b in zip(old, new, strict=True) if a != b] == [
        ('    dev:     {version: "1.4.2"}', '    dev:     {version: "1.5.0"}')
    ]
    assert "# dev gets every build" in new[new.index('    dev:     {version: "1.5.0"}') - 1]
    assert h.double is not None and not h.double.pulls[REPO]
    [row] = h.audit()
    assert row["action"] == "set-version" and row["outcome"] == "succeeded"
    assert row["branch"] == "main" and row["actor"] == BUILD
    assert row["message"] == f"Set {APP} 1.5.0 in dev: committed on main"


def test_the_same_version_twice_changes_nothing_and_says_so(
    gitops: GitOpsRepo, harness: HarnessFactory
) -> None:
    _seed(gitops)
    h = harness(**CI_AUTH)
    assert _set(h).status_code == 200
    head = _remote(gitops).commit("main").hexsha
    h.refresh()
    again = _set(h)
    assert again.status_code == 200, again.text
    assert again.json()["changed"] is False and again.json()["branch"] is None
    assert _remote(gitops).commit("main").hexsha == head
    assert "already says this" in h.audit()[0]["message"]
    # Also when the catalog has not caught up yet: the branch is read, not the catalog.
    gitops.repo.git.pull("origin", "main", "--no-rebase", "--no-edit")
    _seed(gitops, MANIFEST.replace('"1.4.2"', '"1.6.0"'))
    h.refresh()
    assert _set(h, version="1.7.0").json()["changed"] is True
    late = _set(h, version="1.7.0")
    assert late.status_code == 200, late.text
    assert late.json()["changed"] is False


def test_a_dry_run_answers_the_diff_and_writes_nothing(
    gitops: GitOpsRepo, harness: HarnessFactory
) -> None:
    _seed(gitops)
    h = harness(**CI_AUTH)
    response = _set(h, dryRun=True)
    assert response.status_code == 200, response.text
    assert (
        response.json()["branch"] is None
        and '+    dev:     {version: "1.5.0"}' in (response.json()["diff"])
    )
    assert h.remote_branches() == {"main": gitops.head}
    assert h.audit()[0]["dryRun"] is True


def test_only_the_first_environment_is_set(gitops: GitOpsRepo, harness: HarnessFactory) -> None:
    _seed(gitops)
    h = harness(**CI_AUTH)
    refused = _set(h, environment="prod")
    assert refused.status_code == 400, refused.text
    assert (
        "sets the first environment only ('dev'), not 'prod'"
        in (refused.json()["error"]["message"])
    )
    assert _set(h, environment="dev").status_code == 200
    assert h.audit()[1]["outcome"] == "rejected"
    missing = _set(h, application="nope")
    assert missing.status_code == 404


def test_a_ci_token_may_call_set_version_and_nothing_else(
    gitops: GitOpsRepo, harness: HarnessFactory
) -> None:
    _seed(gitops)
    h = harness(**CI_AUTH)
    promote = {"application": APP, "from": "dev", "requestedBy": ALICE}
    refused = h.client.post("/api/v1/actions/promote-image", json=promote, headers=CI)
    assert refused.status_code == 403, refused.text
    assert "auth.ciTokens" in refused.json()["error"]["message"]
    assert h.client.post("/api/v1/refresh", headers=CI).status_code == 403
    rows = h.audit()
    assert [row["outcome"] for row in rows] == ["rejected"], "the refused promotion, audited"
    assert "auth.ciTokens" in rows[0]["message"]
    assert _set(h, headers=AUTH).status_code == 200  # the service's own tokens may too
    wrong = _set(h, headers={"Authorization": "Bearer not-a-token-at-all"})
    assert wrong.status_code == 401
    assert h.remote_branches()["main"] != gitops.head


def test_a_pull_request_when_configured(gitops: GitOpsRepo, harness: HarnessFactory) -> None:
    _seed(gitops)
    h = harness(**CI_AUTH, actions={"setVersion": {"pullRequest": True}})
    response = _set(h)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["branch"].startswith(f"idp/set-version-{APP}-dev-1.5.0-")
    assert body["pullRequestUrl"].endswith("/pull/1")
    assert h.remote_branches()["main"] == gitops.head  # main untouched
    assert h.double is not None
    assert set(h.double.pulls[REPO][1].labels) == {"idp", "idp:set-version"}
    again = _set(h)
    assert again.json()["pullRequestUrl"] == body["pullRequestUrl"]


def test_concurrent_pushes_to_the_branch_are_retried_on_the_new_head_never_forced(
    gitops: GitOpsRepo, harness: HarnessFactory, tmp_path: Path
) -> None:
    apps = [f"svc{index}" for index in range(6)]
    for app in apps:
        gitops.write(f"apps/shop/{app}.yaml", MANIFEST.replace(APP, app))
    gitops.commit()
    start = gitops.head
    h = harness(**CI_AUTH)
    assert gitops.remote_dir is not None
    person = git.Repo.clone_from(gitops.remote_dir, tmp_path / "person")
    person.git.config("user.name", "Pat")
    person.git.config("user.email", "pat@example.com")
    pushed: list[str] = []

    def someone_else_pushes(index: int) -> None:
        for step in range(4):
            (tmp_path / "person" / "NOTES.md").write_text(f"note {step}\n")
            person.git.add("--all")
            person.git.commit("-m", f"note {step}")
            for _ in range(20):  # rebased onto what the service pushed meanwhile
                try:
                    person.git.push("origin", "HEAD:main")
                    break
                except git.GitCommandError:
                    person.git.pull("--rebase", "origin", "main")
            pushed.append(person.head.commit.hexsha)

    def work(index: int) -> httpx.Response | None:
        if index == len(apps):
            someone_else_pushes(index)
            return None
        return _set(h, application=apps[index], version=f"2.0.{index}")

    responses = run_together(len(apps) + 1, work)[:-1]
    assert all(r is not None and r.status_code == 200 for r in responses), [
        r.text for r in responses if r is not None
    ]
    history = {commit.hexsha for commit in _remote(gitops).iter_commits("main")}
    assert start in history and set(pushed) <= history  # nobody's push was forced away
    for index, app in enumerate(apps):
        assert f'"2.0.{index}"' in h.remote_file("main", f"apps/shop/{app}.yaml")
    assert h.remote_file("main", "NOTES.md") == "note 3\n"


def test_a_version_the_manifest_cannot_hold_is_refused_and_nothing_is_committed(
    gitops: GitOpsRepo, harness: HarnessFactory
) -> None:
    # Committed, such a version made the manifest invalid: the application left the catalog,
    # and render removed its deployments in every environment.
    _seed(gitops)
    h = harness(**CI_AUTH)
    head = _remote(gitops).commit("main").hexsha
    plus = _set(h, version="1.5.0+build.7")
    assert plus.status_code == 422, plus.text
    assert plus.json()["error"]["code"] == "manifest_invalid"
    assert (
        f"{PATH}:12:24: spec.environments.dev.version: an image tag cannot hold '+'"
        in (plus.json()["error"]["message"])
    )
    for version in ("-rc.1", ".hidden"):
        refused = _set(h, version=version)
        assert refused.status_code == 422, refused.text
    assert _remote(gitops).commit("main").hexsha == head
    assert [row["outcome"] for row in h.audit()] == ["rejected"] * 3
