"""The pull-request check end to end: real git repositories, reports sent to the GitHub double."""

from __future__ import annotations

import logging

import pytest

from catalog_service.errors import GitHubUnavailableError, SourceError
from tests.github.support import REPO
from tests.pull_requests.support import Checking
from tests.support.github_fixtures import DOUBLE_TOKEN
from tests.support.manifests import application_yaml
from tests.support.repos import GitOpsRepo

CHECK_RUNS = f"/repos/{REPO}/check-runs"


def add_orders(gitops: GitOpsRepo) -> None:
    gitops.add_application("orders-api", system="payments", depends_on=["payments-api"])


def test_a_valid_new_manifest_succeeds_with_its_entities_in_the_summary(
    checking: Checking,
) -> None:
    sha = checking.open_pull(7, add_orders)

    checking.checker.check(checking.event(7, sha))

    [create] = checking.double.requests_to("POST", CHECK_RUNS)
    assert create.json == {
        "name": "idp / manifests",
        "head_sha": sha,
        "status": "completed",
        "conclusion": "success",
        "output": {
            "title": "1 entity added",
            "summary": "### Backstage entities\n\n**Added (1)**\n\n"
            "- `component:default/orders-api`\n\n"
            "1 manifest file checked against the base branch's catalog.\n",
        },
    }
    assert len(checking.double.requests) == 1
    assert checking.private_refs() == ""  # dropped once checked
    assert checking.waits == []


def test_a_broken_manifest_fails_with_annotations_at_its_lines(checking: Checking) -> None:
    broken = application_yaml("orders-api", system="payments").replace(
        "  type: service", "  type: servise"
    )
    sha = checking.open_pull(8, lambda g: g.write("apps/payments/orders-api.yaml", broken))

    checking.checker.check(checking.event(8, sha, action="synchronize"))

    [create] = checking.double.requests_to("POST", CHECK_RUNS)
    assert create.json["conclusion"] == "failure"
    assert create.json["output"]["title"] == "1 problem in 1 manifest"
    [annotation] = create.json["output"]["annotations"]
    line = broken.splitlines().index("  type: servise") + 1
    assert annotation["path"] == "apps/payments/orders-api.yaml"
    assert (annotation["start_line"], annotation["end_line"]) == (line, line)
    assert annotation["annotation_level"] == "failure"
    assert annotation["message"].startswith("spec.type: must be 'service'")


def test_deleting_an_application_others_depend_on_fails(checking: Checking) -> None:
    sha = checking.open_pull(9, lambda g: g.delete("apps/payments/payments-api.yaml"))

    checking.checker.check(checking.event(9, sha))

    [create] = checking.double.requests_to("POST", CHECK_RUNS)
    output = create.json["output"]
    assert create.json["conclusion"] == "failure"
    assert (
        "- Removing `payments-api` (`apps/payments/payments-api.yaml`) leaves `ledger-api`"
        " depending on it." in output["summary"]
    )
    assert "**Removed (2)**" in output["summary"]
    [annotation] = output["annotations"]
    assert annotation["path"] == "apps/payments/ledger-api.yaml"
    assert annotation["title"] == "Removed application still depended on"
    assert annotation["message"].startswith("spec.dependsOn[0]: removing 'payments-api'")


def test_120_problems_are_annotated_in_three_requests(checking: Checking) -> None:
    def break_many(gitops: GitOpsRepo) -> None:
        for index in range(120):
            gitops.write(f"apps/broken/app-{index:03}.yaml", "kind: [\n")

    sha = checking.open_pull(10, break_many)

    checking.checker.check(checking.event(10, sha))

    [create] = checking.double.requests_to("POST", CHECK_RUNS)
    [run_id] = checking.double.check_runs
    updates = checking.double.requests_to("PATCH", f"{CHECK_RUNS}/{run_id}")
    sizes = [len(r.json["output"]["annotations"]) for r in [create, *updates]]
    assert sizes == [50, 50, 20]
    assert create.json["output"]["title"] == "120 problems in 120 manifests"
    paths = [a["path"] for a in checking.double.annotations[run_id]]
    assert paths == [f"apps/broken/app-{index:03}.yaml" for index in range(120)]


def test_without_permission_for_check_runs_a_commit_status_stands_in(
    checking: Checking, caplog: pytest.LogCaptureFixture
) -> None:
    checking.double.forbid("POST", "/repos/{owner}/{repo}/check-runs")
    sha = checking.open_pull(11, lambda g: g.delete("apps/payments/payments-api.yaml"))

    with caplog.at_level(logging.INFO):
        checking.checker.check(checking.event(11, sha))

    assert len(checking.double.requests_to("POST", CHECK_RUNS)) == 1
    [status] = checking.double.requests_to("POST", f"/repos/{REPO}/statuses/{sha}")
    assert status.json == {
        "state": "failure",
        "context": "idp/manifests",
        "description": "1 problem in 1 manifest",
    }
    assert "setting the commit status idp/manifests instead" in caplog.text
    assert checking.double.check_runs == {}


def test_a_pull_request_from_a_fork_is_checked_the_same_way(checking: Checking) -> None:
    # The fork's commit reaches the base repository only as refs/pull/12/head, as on GitHub.
    fork = GitOpsRepo(checking.gitops.root.parent / "fork", bare_remote=False)
    fork.repo.git.pull(str(checking.gitops.remote_dir), "main")
    fork.add_application("refunds-api", system="payments")
    sha = fork.commit("From a fork", push=False)
    fork.repo.git.push(str(checking.gitops.remote_dir), f"{sha}:refs/pull/12/head")

    checking.checker.check(checking.event(12, sha, head_ref="octocat:refunds"))

    [create] = checking.double.requests_to("POST", CHECK_RUNS)
    assert (create.json["head_sha"], create.json["conclusion"]) == (sha, "success")
    assert "- `component:default/refunds-api`" in create.json["output"]["summary"]


def test_a_pull_request_touching_no_manifest_succeeds_saying_so(checking: Checking) -> None:
    sha = checking.open_pull(13, lambda g: g.write("README.md", "# GitOps\n"))

    checking.checker.check(checking.event(13, sha))

    [create] = checking.double.requests_to("POST", CHECK_RUNS)
    assert create.json["conclusion"] == "success"
    assert create.json["output"] == {
        "title": "No manifest changes",
        "summary": "This pull request changes no manifest file under `apps/`: nothing to check.\n",
    }


def test_a_head_that_moved_on_is_not_checked(
    checking: Checking, caplog: pytest.LogCaptureFixture
) -> None:
    old = checking.open_pull(14, add_orders)
    checking.gitops.repo.git.checkout("pr-14")
    checking.gitops.write("apps/payments/orders-api.yaml", "kind: [\n")
    new = checking.gitops.commit("Another push", push=False)
    checking.gitops.repo.git.push("--force", "origin", f"{new}:refs/pull/14/head")
    checking.gitops.repo.git.checkout("main")

    with caplog.at_level(logging.INFO):
        checking.checker.check(checking.event(14, old))

    assert checking.double.requests == []  # nothing reported on either commit
    assert checking.waits == [2.0]  # fetched once more after a pause
    assert f"its head is now {new[:12]}" in caplog.text
    assert checking.private_refs() == ""


def test_changes_are_those_since_the_pull_request_branched_off(checking: Checking) -> None:
    sha = checking.open_pull(15, add_orders)
    # The base branch moves on after the pull request branched off: its changes are not the
    # pull request's (a plain diff from the branch would call refunds-api removed).
    checking.gitops.add_application("refunds-api", system="payments")
    checking.gitops.commit("Meanwhile on main")
    checking.refresh()

    checking.checker.check(checking.event(15, sha))

    [create] = checking.double.requests_to("POST", CHECK_RUNS)
    assert create.json["output"]["title"] == "1 entity added"
    assert "refunds-api" not in create.json["output"]["summary"]


@pytest.mark.parametrize(
    "fields",
    [
        {"repository": "acme/other"},
        {"base_ref": "release"},
        {"action": "closed"},
        {"action": "labeled"},
    ],
)
def test_other_repositories_branches_and_actions_are_left_alone(
    checking: Checking, fields: dict[str, str]
) -> None:
    sha = checking.open_pull(16, add_orders)
    checking.checker.check(checking.event(16, sha, **fields))
    assert checking.double.requests == []


def test_the_repository_name_is_compared_as_github_does_without_case(
    checking: Checking,
) -> None:
    sha = checking.open_pull(17, add_orders)
    checking.checker.check(checking.event(17, sha, repository="Acme/GitOps"))
    assert len(checking.double.requests_to("POST", "/repos/Acme/GitOps/check-runs")) == 1


def test_a_github_failure_is_logged_without_the_token_and_raised(
    checking: Checking, caplog: pytest.LogCaptureFixture
) -> None:
    checking.double.fail("POST", "/repos/{owner}/{repo}/check-runs", 502, times=4)
    sha = checking.open_pull(18, add_orders)

    with caplog.at_level(logging.DEBUG), pytest.raises(GitHubUnavailableError) as raised:
        checking.checker.check(checking.event(18, sha))

    assert "502" in raised.value.message
    assert f"the manifest check of {REPO}#18 at {sha[:12]} failed" in caplog.text
    assert DOUBLE_TOKEN not in caplog.text
    assert checking.private_refs() == ""


def test_a_pull_request_the_remote_does_not_have_is_a_source_error(checking: Checking) -> None:
    with pytest.raises(SourceError) as raised:
        checking.checker.check(checking.event(404, "0" * 40))
    assert "cannot fetch refs/pull/404/head" in raised.value.message
    assert checking.double.requests == []
