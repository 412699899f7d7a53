"""The pull-request check's report, sent to GitHub: the check run the double records, and the
commit status that stands in for it."""

from __future__ import annotations

from catalog_service.domain.pull_request_check import CHECK_NAME
from catalog_service.github.report import check_run_output, commit_status
from tests.domain.test_pull_request_check import demo_pull_request
from tests.github.support import REPO, make_client
from tests.support.github_double import GitHubDouble

SHA = "0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c"


def test_the_demo_pull_request_s_check_run_as_github_records_it(
    github_double: GitHubDouble,
) -> None:
    report = demo_pull_request()
    make_client(github_double).create_check_run(
        REPO,
        name=CHECK_NAME,
        head_sha=SHA,
        conclusion=report.conclusion,
        output=check_run_output(report),
    )
    [create] = github_double.requests_to("POST", f"/repos/{REPO}/check-runs")
    assert create.json["name"] == "idp / manifests"
    assert create.json["conclusion"] == "failure"
    assert create.json["output"]["title"] == "1 problem in 1 manifest"
    assert create.json["output"]["summary"] == report.summary
    assert create.json["output"]["annotations"] == [
        {
            "path": "apps/payments/payments-api.yaml",
            "start_line": 24,
            "end_line": 24,
            "annotation_level": "failure",
            "message": "spec.dependsOn[1]: removing 'fraud-scoring'"
            " (apps/payments/fraud-scoring.yaml) leaves 'payments-api' depending on it",
            "title": "Removed application still depended on",
            "start_column": 27,
            "end_column": 27,
        },
        {
            "path": "apps/payments/refund-worker.yaml",
            "start_line": 15,
            "end_line": 15,
            "annotation_level": "warning",
            "message": "spec.dependsOn[2]: no application named 'chargeback-api' in the catalog",
            "title": "Manifest warning",
            "start_column": 41,
            "end_column": 41,
        },
    ]


def test_the_commit_status_says_the_title_within_github_s_limit() -> None:
    report = demo_pull_request()
    assert commit_status(report) == ("failure", "1 problem in 1 manifest")
    long = type(report)(report.conclusion, "x" * 300, report.summary, ())
    _, description = commit_status(long)
    assert len(description) == 140 and description.endswith("…")
