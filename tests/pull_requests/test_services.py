"""The checker is built with the service when GitHub is configured, for the GitOps repository."""

from __future__ import annotations

import asyncio

import pytest

from catalog_service.service import build_services, gitops_repository
from catalog_service.settings import load_settings
from catalog_service.sources.repository import identity_of
from catalog_service.webhooks.events import PullRequestEvent
from tests.pull_requests.support import base_catalog
from tests.support.github_double import GitHubDouble
from tests.support.github_fixtures import DOUBLE_TOKEN
from tests.support.repos import GitOpsRepo
from tests.support.settings import SettingsFactory


@pytest.mark.parametrize(
    ("source", "api_url", "expected"),
    [
        ({"url": "https://github.com/acme/gitops.git"}, None, "acme/gitops"),
        ({"url": "git@github.com:acme/gitops.git"}, None, "acme/gitops"),
        (  # GitHub Enterprise: its host is the API's
            {"url": "https://git.acme.example/platform/gitops"},
            "https://git.acme.example/api/v3",
            "platform/gitops",
        ),
        (  # a mirror: the repository is the one webUrl names
            {"url": "https://mirror.acme.example/gitops.git", "webUrl": "https://github.com/a/b"},
            None,
            "a/b",
        ),
        ({"url": "/srv/gitops", "webUrl": "https://github.com/acme/gitops/"}, None, "acme/gitops"),
        ({"url": "/srv/gitops"}, None, None),
    ],
)
def test_the_gitops_repository_on_github(
    source: dict[str, str], api_url: str | None, expected: str | None
) -> None:
    github = {"apiUrl": api_url} if api_url else {}
    assert gitops_repository(load_settings(source=source, github=github)) == expected


def test_services_check_pull_requests_when_github_is_configured(
    gitops: GitOpsRepo, make_settings: SettingsFactory, github_double: GitHubDouble
) -> None:
    base_catalog(gitops)
    gitops.repo.git.checkout("-b", "feature")
    gitops.add_application("orders-api", system="payments")
    sha = gitops.commit("Add orders-api", push=False)
    gitops.repo.git.push("origin", f"{sha}:refs/pull/3/head")
    settings = make_settings(
        source={"webUrl": "https://github.com/acme/gitops"},
        github={"token": DOUBLE_TOKEN, "apiUrl": github_double.api_url},
    )
    services = build_services(settings)
    try:
        asyncio.run(services.refresher.refresh())
        assert services.pull_request_checker is not None
        event = PullRequestEvent("acme/gitops", 3, sha, "feature", "main", "reopened")
        services.pull_request_checker.check(event)
    finally:
        services.close()

    [run] = github_double.check_runs.values()
    assert (run["name"], run["head_sha"], run["conclusion"]) == ("idp / manifests", sha, "success")


def test_without_github_there_is_no_checker(make_settings: SettingsFactory) -> None:
    services = build_services(make_settings(source={"webUrl": "https://github.com/acme/gitops"}))
    try:
        assert services.pull_request_checker is None
    finally:
        services.close()


def test_one_repository_for_the_actions_the_checker_the_recorder_and_the_entities(
    make_settings: SettingsFactory, github_double: GitHubDouble
) -> None:
    # source.url names acme/gitops on GitHub; a stale webUrl names another repository. Before,
    # the actions opened pull requests on the webUrl's while checks went to source.url's.
    settings = make_settings(
        source={
            "url": "https://github.com/acme/gitops.git",
            "webUrl": "https://github.com/acme/old-gitops",
        },
        github={"token": DOUBLE_TOKEN, "apiUrl": github_double.api_url},
    )
    services = build_services(settings)
    try:
        recorder = services.recorder()
        assert services.actions is not None and services.pull_request_checker is not None
        assert recorder is not None
        assert services.actions.repository == "acme/gitops"
        assert services.pull_request_checker.repository == "acme/gitops"  # type: ignore[attr-defined]
        assert recorder.repository == "acme/gitops"
        assert services.context.location_prefix == "url:https://github.com/acme/gitops/blob/main/"
    finally:
        services.close()


@pytest.mark.parametrize(
    ("source", "web", "on_github"),
    [
        ({"url": "https://github.com/acme/gitops.git"}, "https://github.com/acme/gitops", True),
        (
            {"url": "https://mirror.acme.example/gitops.git", "webUrl": "https://github.com/a/b/"},
            "https://github.com/a/b",
            True,
        ),
        ({"url": "https://gitlab.acme.example/a/b.git"}, "https://gitlab.acme.example/a/b", False),
        ({"url": "/srv/gitops"}, None, False),
    ],
)
def test_the_repository_identity_web_page(
    source: dict[str, str], web: str | None, on_github: bool
) -> None:
    identity = identity_of(load_settings(source=source))
    assert (identity.web_url, identity.on_github) == (web, on_github)
    if identity.github is None:
        assert "set source.webUrl" in identity.unknown_reason()
