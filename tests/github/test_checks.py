"""Check runs and commit statuses through PyGithub against the double."""

from __future__ import annotations

import pytest

from catalog_service.errors import GitHubPermissionError
from catalog_service.github.client import Annotation, CheckRunOutput
from tests.github.support import REPO, make_client
from tests.support.github_double import GitHubDouble

SHA = "0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c"
CHECK_RUNS = "/repos/{owner}/{repo}/check-runs"


def many_annotations(count: int) -> tuple[Annotation, ...]:
    return tuple(
        Annotation(
            path=f"apps/shop/app-{index}.yaml", start_line=index + 1, message=f"problem {index}"
        )
        for index in range(count)
    )


def expected(index: int) -> dict[str, object]:
    return {
        "path": f"apps/shop/app-{index}.yaml",
        "start_line": index + 1,
        "end_line": index + 1,
        "annotation_level": "failure",
        "message": f"problem {index}",
    }


def test_120_annotations_go_in_three_requests(github_double: GitHubDouble) -> None:
    output = CheckRunOutput(
        title="3 problems", summary="Adds 1 entity", annotations=many_annotations(120)
    )

    run = make_client(github_double).create_check_run(
        REPO, name="idp / manifests", head_sha=SHA, conclusion="failure", output=output
    )

    [create] = github_double.requests_to("POST", f"/repos/{REPO}/check-runs")
    assert create.json == {
        "name": "idp / manifests",
        "head_sha": SHA,
        "status": "completed",
        "conclusion": "failure",
        "output": {
            "title": "3 problems",
            "summary": "Adds 1 entity",
            "annotations": [expected(i) for i in range(50)],
        },
    }
    updates = github_double.requests_to("PATCH", f"/repos/{REPO}/check-runs/{run.id}")
    assert [u.json for u in updates] == [
        {
            "output": {
                "title": "3 problems",
                "summary": "Adds 1 entity",
                "annotations": [expected(i) for i in range(50, 100)],
            }
        },
        {
            "output": {
                "title": "3 problems",
                "summary": "Adds 1 entity",
                "annotations": [expected(i) for i in range(100, 120)],
            }
        },
    ]
    assert len(github_double.annotations[run.id]) == 120
    assert (run.name, run.head_sha, run.status, run.conclusion) == (
        "idp / manifests",
        SHA,
        "completed",
        "failure",
    )
    assert github_double.check_runs[run.id]["output"]["annotations_count"] == 120


def test_a_check_run_without_annotations_is_one_request(github_double: GitHubDouble) -> None:
    output = CheckRunOutput(title="No problems", summary="Changes payments-api", text="details")
    make_client(github_double).create_check_run(
        REPO, name="idp / manifests", head_sha=SHA, conclusion="success", output=output
    )
    [create] = github_double.requests_to("POST", f"/repos/{REPO}/check-runs")
    assert create.json["output"] == {
        "title": "No problems",
        "summary": "Changes payments-api",
        "text": "details",
    }
    assert len(github_double.requests) == 1


def test_an_annotation_on_one_line_keeps_its_columns(github_double: GitHubDouble) -> None:
    one_line = Annotation(
        "apps/a.yaml", 3, "bad", level="warning", title="name", start_column=2, end_column=9
    )
    spanning = Annotation("apps/a.yaml", 3, "bad", end_line=5, start_column=2, end_column=9)
    make_client(github_double).create_check_run(
        REPO,
        name="x",
        head_sha=SHA,
        conclusion="neutral",
        output=CheckRunOutput("t", "s", annotations=(one_line, spanning)),
    )
    [create] = github_double.requests_to("POST", f"/repos/{REPO}/check-runs")
    sent = create.json["output"]["annotations"]
    assert sent[0] == {
        "path": "apps/a.yaml",
        "start_line": 3,
        "end_line": 3,
        "annotation_level": "warning",
        "message": "bad",
        "title": "name",
        "start_column": 2,
        "end_column": 9,
    }
    assert "start_column" not in sent[1] and sent[1]["end_line"] == 5


def test_an_in_progress_run_completed_by_an_update(github_double: GitHubDouble) -> None:
    client = make_client(github_double)
    run = client.create_check_run(REPO, name="idp / manifests", head_sha=SHA, status="in_progress")
    assert run.status == "in_progress" and run.conclusion is None

    done = client.update_check_run(
        REPO,
        run.id,
        conclusion="failure",
        output=CheckRunOutput("60 problems", "summary", annotations=many_annotations(60)),
    )

    assert (done.status, done.conclusion) == ("completed", "failure")
    updates = github_double.requests_to("PATCH", f"/repos/{REPO}/check-runs/{run.id}")
    assert [len(u.json["output"]["annotations"]) for u in updates] == [50, 10]
    assert updates[0].json["conclusion"] == "failure" and "conclusion" not in updates[1].json
    assert len(github_double.annotations[run.id]) == 60


def test_403_on_check_runs_is_a_permission_error_and_not_retried(
    github_double: GitHubDouble,
) -> None:
    github_double.forbid("POST", CHECK_RUNS)
    with pytest.raises(GitHubPermissionError) as raised:
        make_client(github_double).create_check_run(
            REPO,
            name="idp / manifests",
            head_sha=SHA,
            conclusion="success",
            output=CheckRunOutput("ok", "ok"),
        )
    assert (
        "403" in raised.value.message
        and "Resource not accessible by integration" in raised.value.message
    )
    assert len(github_double.requests_to("POST", f"/repos/{REPO}/check-runs")) == 1


def test_a_commit_status(github_double: GitHubDouble) -> None:
    status = make_client(github_double).create_commit_status(
        REPO,
        SHA,
        state="failure",
        context="idp/manifests",
        description="x" * 200,
        target_url="https://catalog.example.com/pr/4",
    )
    [sent] = github_double.requests_to("POST", f"/repos/{REPO}/statuses/{SHA}")
    assert sent.json == {
        "state": "failure",
        "context": "idp/manifests",
        "description": "x" * 139 + "…",
        "target_url": "https://catalog.example.com/pr/4",
    }
    assert (status.state, status.context) == ("failure", "idp/manifests")
    assert [s["state"] for s in github_double.statuses_for(REPO, SHA)] == ["failure"]
