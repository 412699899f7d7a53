"""A PyGithub client pointed at the double, with waits recorded instead of slept."""

from __future__ import annotations

from typing import Any

from catalog_service.github.pygithub import ClientOptions, PyGithubClient
from catalog_service.settings import GitHubSettings
from tests.support.github_double import GitHubDouble
from tests.support.github_fixtures import DOUBLE_TOKEN

REPO = "acme/gitops"


class Waits(list[float]):
    """The client's sleep: remembers each wait; tests assert on them without waiting."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def make_client(
    double: GitHubDouble, waits: Waits | None = None, **settings: Any
) -> PyGithubClient:
    options = ClientOptions(
        per_page=settings.pop("per_page", 100),
        max_retries=settings.pop("max_retries", 3),
        max_wait=settings.pop("max_wait", 60.0),
        backoff_base=settings.pop("backoff_base", 1.0),
        seconds_between_requests=0,
        seconds_between_writes=0,
        sleep=waits if waits is not None else Waits(),
        git_token_margin=settings.pop("git_token_margin", ClientOptions.git_token_margin),
    )
    settings.setdefault("apiUrl", double.api_url)
    if "app" not in settings:
        settings.setdefault("token", DOUBLE_TOKEN)
    return PyGithubClient(GitHubSettings(**settings), options)
