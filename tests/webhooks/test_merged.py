"""Merged manifest pull requests: recorded from the webhook (files and approvals from the GitHub
double), listed by GET /api/v1/pull-requests, and caught up by the reconcile job."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from catalog_service.db import pull_requests
from catalog_service.domain.pull_requests import FileChange
from catalog_service.pull_requests.recorder import MergedPullRequest, PullRequestRecorder
from catalog_service.service import Services
from tests.github.support import make_client
from tests.support.github_double import GitHubDouble
from tests.support.repos import GitOpsRepo
from tests.support.settings import SettingsFactory
from tests.webhooks.support import (
    REPO,
    deliver,
    merged_payload,
    running,
    settle,
    webhook_settings,
)

MERGED = dt.datetime(2026, 11, 20, 12, 0, tzinfo=dt.UTC)


@pytest.fixture
def app(
    make_settings: SettingsFactory,
    database_url: str,
    gitops: GitOpsRepo,
    github_double: GitHubDouble,
) -> Iterator[tuple[TestClient, Services]]:
    gitops.add_application("web")
    gitops.commit()
    settings = webhook_settings(make_settings, database_url)
    with running(settings, github=make_client(github_double)) as found:
        yield found


def merged_pull(
    double: GitHubDouble, number: int, author: str, paths: dict[str, str], *approvers: str
) -> None:
    double.add_pull(REPO, number, author=author, merged_at=MERGED + dt.timedelta(minutes=number))
    for path, status in paths.items():
        double.add_file(REPO, number, path, status)
    for login in approvers:
        double.add_review(REPO, number, login)


def records(services: Services) -> dict[int, tuple[str, list[str], bool, bool]]:
    with services.database.session() as session:
        page = pull_requests.list_records(session, limit=500)
        return {r.number: (r.author, list(r.paths), r.autonomous, r.approved_by_platform)
                for r in page.items}  # fmt: skip


def test_a_merged_pull_request_is_recorded_with_its_manifest_paths(
    app: tuple[TestClient, Services], github_double: GitHubDouble
) -> None:
    client, services = app
    files = {"apps/shop/web.yaml": "modified", "README.md": "modified"}
    merged_pull(github_double, 7, "dana", files, "alice")
    merged_pull(github_double, 8, "bob", {"apps/shop/new.yaml": "added"})
    merged_pull(github_double, 9, "dana", {"docs/index.md": "added"}, "alice")
    merged_pull(github_double, 10, "renovate[bot]", {"apps/shop/web.yaml": "modified"})
    merged_pull(github_double, 11, "erin", {"apps/shop/old.yaml": "removed"})
    for number, author in ((7, "dana"), (8, "bob"), (9, "dana"), (10, "renovate[bot]")):
        answer = deliver(client, "pull_request", merged_payload(number, author))
        assert (answer.status_code, answer.json()["outcome"]) == (202, "processed")
    deliver(client, "pull_request", merged_payload(11, "erin"))
    settle(client, services)

    assert records(services) == {
        7: ("dana", ["apps/shop/web.yaml"], True, True),
        8: ("bob", ["apps/shop/new.yaml"], False, False),  # the platform team's own
        10: ("renovate[bot]", ["apps/shop/web.yaml"], False, False),
        11: ("erin", ["apps/shop/old.yaml"], False, False),  # removing is not adopting
    }  # 9 touches no manifest
    with services.database.session() as session:
        record = pull_requests.get(session, REPO, 7)
        assert record is not None
        assert record.merged_at == MERGED + dt.timedelta(minutes=7)
        assert record.title == "Change 7"
        assert record.url is not None and record.url.endswith("/acme/gitops/pull/7")


def test_a_repeated_merge_delivery_records_once(
    app: tuple[TestClient, Services], github_double: GitHubDouble
) -> None:
    client, services = app
    merged_pull(github_double, 7, "dana", {"apps/shop/web.yaml": "added"})
    assert deliver(client, "pull_request", merged_payload(7), "d-7").status_code == 202
    settle(client, services)
    files_requests = len(github_double.requests_to("GET", f"/repos/{REPO}/pulls/7/files"))
    assert deliver(client, "pull_request", merged_payload(7), "d-7").status_code == 200
    settle(client, services)
    assert list(records(services)) == [7]
    assert len(github_double.requests_to("GET", f"/repos/{REPO}/pulls/7/files")) == files_requests


def test_pull_requests_of_another_repository_are_ignored(
    app: tuple[TestClient, Services], github_double: GitHubDouble
) -> None:
    client, services = app
    answer = deliver(client, "pull_request", merged_payload(7, repo="acme/other"))
    assert answer.json()["outcome"] == "ignored"
    settle(client, services)
    assert records(services) == {}


def test_reconcile_records_the_merges_whose_webhooks_were_lost(
    app: tuple[TestClient, Services], github_double: GitHubDouble
) -> None:
    client, services = app
    for number in range(1, 6):
        merged_pull(github_double, number, "dana", {f"apps/shop/app{number}.yaml": "added"})
    for number in (1, 3):  # only these deliveries arrived
        deliver(client, "pull_request", merged_payload(number))
    settle(client, services)
    assert sorted(records(services)) == [1, 3]

    recorder = services.recorder()
    assert recorder is not None
    now = MERGED + dt.timedelta(hours=1)
    assert recorder.reconcile(now=now) == 3
    assert sorted(records(services)) == [1, 2, 3, 4, 5]
    assert recorder.reconcile(now=now) == 0  # nothing missing: nothing written


def test_a_failing_github_loses_nothing_and_reconcile_retries(
    app: tuple[TestClient, Services], github_double: GitHubDouble
) -> None:
    client, services = app
    merged_pull(github_double, 4, "dana", {"apps/shop/web.yaml": "added"})
    # Every try of the delivery's work fails (the first and the client's 3 retries).
    github_double.fail("GET", "/repos/{owner}/{repo}/pulls/{number}/files", 500, times=4)
    answer = deliver(client, "pull_request", merged_payload(4), "lost")
    assert answer.json()["outcome"] == "processed"  # accepted; its work runs afterwards
    settle(client, services)
    assert records(services) == {}
    metrics = client.get("/metrics").text
    assert 'idp_webhook_deliveries_total{event="pull_request",outcome="failed"} 1.0' in metrics
    assert 'idp_webhook_deliveries_total{event="pull_request",outcome="processed"} 0.0' in metrics
    recorder = services.recorder()
    assert recorder is not None
    assert recorder.reconcile(now=MERGED + dt.timedelta(hours=1)) == 1
    assert list(records(services)) == [4]


def add_records(recorder: PullRequestRecorder) -> None:
    for number in range(1, 8):
        recorder.record(
            MergedPullRequest(
                number=number,
                title=f"Change {number}",
                author="alice" if number % 3 == 0 else "dana",
                merged_at=MERGED + dt.timedelta(days=number),
                merge_commit_sha=None,
                url=None,
                files=(FileChange(f"apps/shop/app{number}.yaml", "added"),),
            )
        )


def test_the_list_pages_newest_first_and_filters(app: tuple[TestClient, Services]) -> None:
    client, services = app
    recorder = services.recorder()
    assert recorder is not None
    add_records(recorder)

    numbers: list[int] = []
    cursor = None
    while True:
        params: dict[str, str | int] = {"limit": 3}
        if cursor is not None:
            params["cursor"] = cursor
        page = client.get("/api/v1/pull-requests", params=params).json()
        numbers += [item["number"] for item in page["items"]]
        cursor = page["nextCursor"]
        if cursor is None:
            break
    assert numbers == [7, 6, 5, 4, 3, 2, 1]

    first = client.get("/api/v1/pull-requests", params={"limit": 1}).json()["items"][0]
    assert first == {
        "repository": REPO,
        "number": 7,
        "title": "Change 7",
        "author": "dana",
        "mergedAt": "2026-11-27T12:00:00Z",
        "mergeCommitSha": None,
        "url": None,
        "paths": ["apps/shop/app7.yaml"],
        "autonomous": True,
        "approvedByPlatform": False,
    }

    def listed(**params: str) -> list[int]:
        items = client.get("/api/v1/pull-requests", params=params).json()["items"]
        return [item["number"] for item in items]

    assert listed(author="alice") == [6, 3]
    assert listed(autonomous="false") == [6, 3]
    assert listed(autonomous="true") == [7, 5, 4, 2, 1]
    assert listed(since="2026-11-23T12:00:00Z", until="2026-11-26T00:00:00Z") == [5, 4, 3]
    assert listed(since="2026-11-25") == [7, 6, 5]  # a date is midnight UTC
    bad = client.get("/api/v1/pull-requests", params={"cursor": "nonsense"})
    assert bad.status_code == 400
    assert bad.json()["error"]["code"] == "invalid_request"
    assert client.get("/api/v1/pull-requests", params={"limit": 0}).status_code == 422
