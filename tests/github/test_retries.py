"""Rate limits and server errors: GitHub's headers decide the wait, retries are bounded, and what
is left over is our own error. Waits are recorded, not slept."""

from __future__ import annotations

import pytest

from catalog_service.errors import GitHubRateLimitError, GitHubUnavailableError
from catalog_service.github.client import CheckRunOutput
from tests.github.support import REPO, Waits, make_client
from tests.support.fixtures_net import closed_port
from tests.support.github_double import GitHubDouble

PULL = "/repos/{owner}/{repo}/pulls/{number}"


@pytest.fixture
def pull(github_double: GitHubDouble) -> int:
    return github_double.add_pull(REPO, 5).number


def test_retry_after_is_honoured(github_double: GitHubDouble, pull: int) -> None:
    github_double.rate_limit("GET", PULL, retry_after=7)
    waits = Waits()
    assert make_client(github_double, waits).pull_request(REPO, pull).number == pull
    assert waits == [7.0]
    assert len(github_double.requests_to("GET", f"/repos/{REPO}/pulls/{pull}")) == 2


def test_a_spent_limit_waits_until_its_reset(github_double: GitHubDouble, pull: int) -> None:
    github_double.rate_limit("GET", PULL, reset_in=30)
    waits = Waits()
    make_client(github_double, waits).pull_request(REPO, pull)
    [wait] = waits
    assert 29 <= wait <= 32, "until x-ratelimit-reset, plus a second"


def test_a_reset_further_away_than_max_wait_is_not_waited_for(
    github_double: GitHubDouble, pull: int
) -> None:
    github_double.rate_limit("GET", PULL, reset_in=3600)
    waits = Waits()
    with pytest.raises(GitHubRateLimitError, match="rate limited; the limit resets at"):
        make_client(github_double, waits, max_wait=60).pull_request(REPO, pull)
    assert waits == [] and len(github_double.requests) == 1


def test_a_secondary_limit_on_a_write_is_retried(github_double: GitHubDouble) -> None:
    github_double.rate_limit("POST", "/repos/{owner}/{repo}/check-runs", retry_after=2, times=2)
    waits = Waits()
    make_client(github_double, waits).create_check_run(
        REPO,
        name="idp / manifests",
        head_sha="a" * 40,
        conclusion="success",
        output=CheckRunOutput("ok", "ok"),
    )
    assert waits == [2.0, 2.0]
    assert len(github_double.requests_to("POST", f"/repos/{REPO}/check-runs")) == 3
    assert len(github_double.check_runs) == 1


def test_5xx_is_retried_with_backoff_then_raised(github_double: GitHubDouble, pull: int) -> None:
    github_double.fail("GET", PULL, 502, "Server Error", times=10)
    waits = Waits()
    with pytest.raises(GitHubUnavailableError, match="502 while reading pull request"):
        make_client(github_double, waits, backoff_base=0.5, max_retries=3).pull_request(REPO, pull)
    assert waits == [0.5, 1.0, 2.0]
    assert len(github_double.requests) == 4, "the first try and three retries"


def test_a_passing_5xx_is_invisible(github_double: GitHubDouble, pull: int) -> None:
    github_double.fail("GET", "/repos/{owner}/{repo}/pulls/{number}/files", 503, times=2)
    github_double.add_file(REPO, pull, "apps/a.yaml")
    files = make_client(github_double).pull_request_files(REPO, pull)
    assert [f.path for f in files] == ["apps/a.yaml"]
    assert len(github_double.requests) == 3


def test_a_page_failing_midway_is_retried_alone(github_double: GitHubDouble) -> None:
    github_double.add_pull(REPO, 1)
    for index in range(5):
        github_double.add_file(REPO, 1, f"apps/{index}.yaml")
    github_double.fail("GET", "/repos/{owner}/{repo}/pulls/{number}/files", 500, after=1)
    files = make_client(github_double, per_page=2).pull_request_files(REPO, 1)
    assert len(files) == 5
    pages = [r.query.get("page", "1") for r in github_double.requests]
    assert pages == ["1", "2", "2", "3"]


def test_github_out_of_reach(github_double: GitHubDouble) -> None:
    client = make_client(
        github_double, apiUrl=f"http://127.0.0.1:{closed_port()}/api/v3", max_retries=1
    )
    with pytest.raises(GitHubUnavailableError, match="GitHub could not be reached while reading"):
        client.pull_request(REPO, 1)
