"""Pull requests through PyGithub against the double: pages, the merged-since walk, reviews and
the calls the self-service actions make."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from catalog_service.errors import GitHubError, GitHubNotFoundError
from tests.github.support import REPO, make_client
from tests.support.github_double import GitHubDouble

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


def test_files_are_read_over_several_pages(github_double: GitHubDouble) -> None:
    github_double.add_pull(REPO, 7)
    paths = [f"apps/shop/app-{index}.yaml" for index in range(7)]
    for path in paths:
        github_double.add_file(REPO, 7, path, "added")
    github_double.add_file(
        REPO, 7, "apps/shop/new.yaml", "renamed", previous_filename="apps/old.yaml"
    )

    files = make_client(github_double, per_page=3).pull_request_files(REPO, 7)

    assert [f.path for f in files] == [*paths, "apps/shop/new.yaml"]
    assert files[-1].status == "renamed" and files[-1].previous_path == "apps/old.yaml"
    sent = github_double.requests_to("GET", f"/repos/{REPO}/pulls/7/files")
    assert [r.query for r in sent] == [
        {"per_page": "3"},
        {"per_page": "3", "page": "2"},
        {"per_page": "3", "page": "3"},
    ]
    assert len(github_double.requests) == 3, "the pull request itself is not fetched"


def test_merged_since_stops_at_the_first_older_update(github_double: GitHubDouble) -> None:
    # Ten closed pull requests, one updated per day; the odd ones were closed without merging.
    for day in range(10):
        moment = NOW - timedelta(days=day)
        if day % 2:
            github_double.add_pull(
                REPO, day + 1, state="closed", closed_at=moment, updated_at=moment
            )
        else:
            github_double.add_pull(REPO, day + 1, merged_at=moment)
    github_double.add_pull(REPO, 50, updated_at=NOW)  # open: not listed

    since = NOW - timedelta(days=4, hours=12)
    merged = list(make_client(github_double, per_page=2).merged_pull_requests(REPO, since))

    assert [p.number for p in merged] == [1, 3, 5]
    assert all(p.merged and p.merged_at is not None and p.merged_at >= since for p in merged)
    sent = github_double.requests_to("GET", f"/repos/{REPO}/pulls")
    # Days 0..4 fill pages 1-3; day 5 (page 3) is older than since: page 4 is never asked for.
    assert [r.query.get("page", "1") for r in sent] == ["1", "2", "3"]
    assert sent[0].query == {
        "state": "closed",
        "sort": "updated",
        "direction": "desc",
        "per_page": "2",
    }
    assert len(github_double.requests) == 3, "no pull request is fetched again one by one"


def test_a_merged_pull_request_in_full(github_double: GitHubDouble) -> None:
    github_double.add_pull(
        REPO, 12, title="Add payments-api", author="dana", merged_at=NOW, labels=["manifest"]
    )
    pull = make_client(github_double).pull_request(REPO, 12)
    assert (pull.number, pull.title, pull.author, pull.state) == (
        12,
        "Add payments-api",
        "dana",
        "closed",
    )
    assert pull.merged and pull.merged_at == NOW and pull.merge_commit_sha
    assert pull.labels == ("manifest",) and pull.html_url == f"https://github.com/{REPO}/pull/12"
    assert pull.head_repo == REPO and pull.base_ref == "main"


def test_a_pull_request_from_a_fork(github_double: GitHubDouble) -> None:
    github_double.add_pull(REPO, 3, head_repo="someone/gitops", head_ref="patch-1")
    pull = make_client(github_double).pull_request(REPO, 3)
    assert pull.head_repo == "someone/gitops" and pull.head_ref == "patch-1" and not pull.merged


def test_an_unknown_pull_request_is_not_found(github_double: GitHubDouble) -> None:
    with pytest.raises(GitHubNotFoundError, match=rf"404 while reading pull request {REPO}#9"):
        make_client(github_double).pull_request(REPO, 9)


def test_reviews_over_pages(github_double: GitHubDouble) -> None:
    github_double.add_pull(REPO, 4)
    github_double.add_review(REPO, 4, "alice", "CHANGES_REQUESTED")
    github_double.add_review(REPO, 4, "bob", "COMMENTED")
    github_double.add_review(REPO, 4, "alice", "APPROVED")
    reviews = make_client(github_double, per_page=2).pull_request_reviews(REPO, 4)
    assert [(r.author, r.state) for r in reviews] == [
        ("alice", "CHANGES_REQUESTED"),
        ("bob", "COMMENTED"),
        ("alice", "APPROVED"),
    ]
    assert len(github_double.requests_to("GET", f"/repos/{REPO}/pulls/4/reviews")) == 2


def test_open_a_pull_request_label_it_and_find_it_again(github_double: GitHubDouble) -> None:
    client = make_client(github_double)
    assert client.find_open_pull_request(REPO, "idp/create-pay") is None

    pull = client.create_pull_request(
        REPO,
        title="Create pay",
        body="Requested by user:default/dana",
        head="idp/create-pay",
        base="main",
    )
    client.add_labels(REPO, pull.number, ["idp", "self-service"])
    found = client.find_open_pull_request(REPO, "idp/create-pay")

    assert found is not None and found.number == pull.number and found.title == "Create pay"
    assert found.labels == ("idp", "self-service")
    [create] = github_double.requests_to("POST", f"/repos/{REPO}/pulls")
    assert create.json == {
        "title": "Create pay",
        "body": "Requested by user:default/dana",
        "head": "idp/create-pay",
        "base": "main",
    }
    [label] = github_double.requests_to("POST", f"/repos/{REPO}/issues/{pull.number}/labels")
    assert label.json == ["idp", "self-service"]
    lookups = github_double.requests_to("GET", f"/repos/{REPO}/pulls")
    assert (
        lookups[-1].query["head"] == "acme:idp/create-pay" and lookups[-1].query["state"] == "open"
    )


def test_a_second_pull_request_from_the_same_branch_is_refused(github_double: GitHubDouble) -> None:
    client = make_client(github_double)
    client.create_pull_request(REPO, title="One", body="", head="idp/x", base="main")
    with pytest.raises(GitHubError, match=r"422.*A pull request already exists for acme:idp/x"):
        client.create_pull_request(REPO, title="Two", body="", head="idp/x", base="main")
