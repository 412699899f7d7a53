"""PyGithub's and requests' exceptions to the service's :class:`GitHubError` classes.

Messages say what was being done and what GitHub answered (its ``message`` only): never the
headers or the request, so no credential can leak into an error.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import requests
from github.GithubException import GithubException, RateLimitExceededException

from catalog_service.errors import (
    GitHubError,
    GitHubNotFoundError,
    GitHubPermissionError,
    GitHubRateLimitError,
    GitHubUnavailableError,
)


@contextmanager
def translated(doing: str) -> Iterator[None]:
    """Raise our GitHubError for whatever goes wrong while ``doing`` (a phrase: "listing ...")."""
    try:
        yield
    except GithubException as error:
        raise github_error(doing, error) from None
    except requests.RequestException as error:
        # The class name only: requests' messages repeat the URL and its connection pool details.
        raise GitHubUnavailableError(
            f"GitHub could not be reached while {doing} ({type(error).__name__})"
        ) from None


def github_error(doing: str, error: GithubException) -> GitHubError:
    status = error.status
    answer = f"GitHub answered {status} while {doing}: {_message(error.data)}"
    headers = {name.lower(): str(value) for name, value in (error.headers or {}).items()}
    if isinstance(error, RateLimitExceededException) or _rate_limited(status, headers):
        reset = headers.get("x-ratelimit-reset")
        later = f"; the limit resets at {reset} (epoch seconds)" if reset else ""
        return GitHubRateLimitError(f"{answer} (rate limited{later})")
    if status == 401:
        return GitHubPermissionError(f"{answer} (the token or GitHub App is not accepted)")
    if status == 403:
        return GitHubPermissionError(
            f"{answer} (the token or GitHub App lacks the permission; docs/github.md lists them)"
        )
    if status == 404:
        return GitHubNotFoundError(answer)
    if status >= 500:
        return GitHubUnavailableError(f"{answer} (still after the retries)")
    return GitHubError(answer)


def _rate_limited(status: int, headers: Mapping[str, str]) -> bool:
    if status == 429:
        return True
    return status == 403 and (
        "retry-after" in headers or headers.get("x-ratelimit-remaining") == "0"
    )


def _message(data: Any) -> str:
    if not isinstance(data, Mapping):
        return "(no message)"
    message = str(data.get("message") or "(no message)")
    details = [
        str(item.get("message") or item.get("code"))
        for item in data.get("errors") or ()
        if isinstance(item, Mapping) and (item.get("message") or item.get("code"))
    ]
    return f"{message} ({'; '.join(details)})" if details else message
