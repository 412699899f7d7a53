"""The :class:`~catalog_service.github.client.GitHubClient` through PyGithub.

``github.apiUrl`` is the base URL (``https://github.example.com/api/v3`` for GitHub Enterprise).
Credentials are a token or a GitHub App installation; PyGithub's ``AppInstallationAuth`` fetches
an installation token with a JWT signed by the App's key and fetches a new one shortly before it
expires. Retries and rate limits are :class:`~catalog_service.github.retry.GitHubRetry`'s.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import github
from github import Auth
from github.InstallationAuthorization import InstallationAuthorization
from github.Repository import Repository

from catalog_service.errors import ConfigurationError
from catalog_service.github import convert
from catalog_service.github.client import (
    CheckConclusion,
    CheckRun,
    CheckRunOutput,
    CheckStatus,
    CommitState,
    CommitStatus,
    PullRequest,
    PullRequestFile,
    Review,
    annotation_batches,
)
from catalog_service.github.errors import translated
from catalog_service.github.retry import GitHubRetry
from catalog_service.settings import GitHubSettings

# GitHub cuts a commit status description at 140 characters; we cut it ourselves, visibly.
STATUS_DESCRIPTION_MAX = 140


@dataclass(frozen=True)
class ClientOptions:
    """How patiently the client talks to GitHub. Tests shrink the waits; nothing else should."""

    max_retries: int = 3
    backoff_base: float = 1.0  # seconds before the second retry; doubles after each
    max_wait: float = 60.0  # the longest wait for a rate limit or backoff; longer raises
    per_page: int = 100
    timeout: int = 15
    # PyGithub spaces writes out to stay clear of GitHub's secondary rate limits.
    seconds_between_requests: float = 0.25
    seconds_between_writes: float = 1.0
    sleep: Callable[[float], None] = field(default=time.sleep)
    # An installation token for git is renewed when less than this is left: a fetch or push
    # (up to source.timeoutSeconds) must not outlive it. PyGithub's own margin is 20 s.
    git_token_margin: timedelta = timedelta(minutes=5)


class _RedactTokens(logging.Filter):
    """PyGithub logs response bodies at DEBUG; an installation token's body holds the token."""

    _TOKEN = re.compile(r"""(["']token["']\s*:\s*["'])[^"']+""")

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = self._TOKEN.sub(r"\1(removed)", message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


_REDACTOR = _RedactTokens()


def _credentials(settings: GitHubSettings) -> Auth.Auth:
    if settings.app is not None:
        app = Auth.AppAuth(settings.app.id, settings.app.privateKey.get_secret_value())
        return app.get_installation_auth(settings.app.installationId)
    if settings.token is not None:
        return Auth.Token(settings.token.get_secret_value())
    raise ConfigurationError("GitHub is not configured: set github.token or github.app")


def _integration(
    settings: GitHubSettings, api_url: str, options: ClientOptions
) -> github.GithubIntegration | None:
    """The App itself (authenticated by its JWT), for installation tokens of git's own."""
    if settings.app is None:
        return None
    app = Auth.AppAuth(settings.app.id, settings.app.privateKey.get_secret_value())
    retry = GitHubRetry(
        total=options.max_retries,
        backoff_factor=options.backoff_base,
        max_wait=options.max_wait,
        sleep=options.sleep,
    )
    return github.GithubIntegration(
        auth=app, base_url=api_url, timeout=options.timeout, retry=retry
    )


class PyGithubClient:
    """GitHub's REST API through PyGithub; see :class:`GitHubClient` for what each method does."""

    def __init__(self, settings: GitHubSettings, options: ClientOptions | None = None) -> None:
        options = options or ClientOptions()
        logging.getLogger("github.Requester").addFilter(_REDACTOR)
        self._auth = _credentials(settings)
        self._api_url = settings.apiUrl.rstrip("/")
        self._git_token_margin = options.git_token_margin
        self._git_token: InstallationAuthorization | None = None
        self._git_token_lock = threading.Lock()  # one token request at a time
        self._integration = _integration(settings, self._api_url, options)
        self._github = github.Github(
            auth=self._auth,
            base_url=self._api_url,
            per_page=options.per_page,
            timeout=options.timeout,
            retry=GitHubRetry(
                total=options.max_retries,
                backoff_factor=options.backoff_base,
                max_wait=options.max_wait,
                sleep=options.sleep,
            ),
            seconds_between_requests=options.seconds_between_requests,
            seconds_between_writes=options.seconds_between_writes,
            lazy=True,  # a repository is a URL until something is asked of it
        )

    def access_token(self) -> str:
        """A token for git over HTTPS: ``github.token``, or an installation token of the App,
        cached and renewed once less than ``git_token_margin`` of its hour is left. Ask for it
        for each fetch or push; never keep it."""
        if self._integration is None or not isinstance(self._auth, Auth.AppInstallationAuth):
            with translated("fetching an access token"):
                token: str = self._auth.token
                return token
        with self._git_token_lock, translated("fetching an installation token for git"):
            cached = self._git_token
            if cached is None or cached.expires_at - datetime.now(UTC) < self._git_token_margin:
                cached = self._integration.get_access_token(self._auth.installation_id)
                self._git_token = cached
            return cached.token

    def _repo(self, repo: str) -> Repository:
        return self._github.get_repo(repo)

    # pull requests ------------------------------------------------------------------------

    def merged_pull_requests(self, repo: str, since: datetime) -> Iterator[PullRequest]:
        with translated(f"listing the pull requests of {repo}"):
            pulls = self._repo(repo).get_pulls(state="closed", sort="updated", direction="desc")
            for pull in pulls:
                value = convert.pull_request(pull)
                if value.updated_at < since:
                    return  # sorted by update: every later one was updated earlier still
                if value.merged_at is not None and value.merged_at >= since:
                    yield value

    def pull_request(self, repo: str, number: int) -> PullRequest:
        with translated(f"reading pull request {repo}#{number}"):
            return convert.pull_request(self._repo(repo).get_pull(number))

    def pull_request_files(self, repo: str, number: int) -> list[PullRequestFile]:
        with translated(f"listing the files of {repo}#{number}"):
            pull = self._repo(repo).get_pull(number)
            return [convert.pull_request_file(item) for item in pull.get_files()]

    def pull_request_reviews(self, repo: str, number: int) -> list[Review]:
        with translated(f"listing the reviews of {repo}#{number}"):
            pull = self._repo(repo).get_pull(number)
            return [convert.review(item) for item in pull.get_reviews()]

    def create_pull_request(
        self, repo: str, *, title: str, body: str, head: str, base: str
    ) -> PullRequest:
        with translated(f"opening a pull request on {repo}"):
            pull = self._repo(repo).create_pull(base=base, head=head, title=title, body=body)
            return convert.pull_request(pull)

    def add_labels(self, repo: str, number: int, labels: Sequence[str]) -> None:
        with translated(f"labelling {repo}#{number}"):
            self._repo(repo).get_issue(number).add_to_labels(*labels)

    def find_open_pull_request(self, repo: str, head_branch: str) -> PullRequest | None:
        owner = repo.split("/", 1)[0]
        with translated(f"looking for the pull request of {head_branch} on {repo}"):
            pulls = self._repo(repo).get_pulls(state="open", head=f"{owner}:{head_branch}")
            for pull in pulls:
                return convert.pull_request(pull)
            return None

    # checks and statuses ------------------------------------------------------------------

    def create_check_run(
        self,
        repo: str,
        *,
        name: str,
        head_sha: str,
        status: CheckStatus = "completed",
        conclusion: CheckConclusion | None = None,
        output: CheckRunOutput | None = None,
        details_url: str | None = None,
    ) -> CheckRun:
        batches = annotation_batches(output.annotations) if output else [()]
        with translated(f"creating check run {name!r} on {repo}"):
            check_run = self._repo(repo).create_check_run(
                name=name,
                head_sha=head_sha,
                status=status,
                **convert.optional(
                    conclusion=conclusion,
                    details_url=details_url,
                    output=convert.check_output(output, batches[0]) if output else None,
                ),
            )
            for batch in batches[1:]:  # only when output has over 50 annotations
                assert output is not None
                check_run.edit(output=convert.check_output(output, batch))
            return convert.check_run(check_run)

    def update_check_run(
        self,
        repo: str,
        check_run_id: int,
        *,
        status: CheckStatus | None = None,
        conclusion: CheckConclusion | None = None,
        output: CheckRunOutput | None = None,
    ) -> CheckRun:
        batches = annotation_batches(output.annotations) if output else [()]
        with translated(f"updating check run {check_run_id} on {repo}"):
            check_run = self._repo(repo).get_check_run(check_run_id)
            for index, batch in enumerate(batches):
                changes = convert.optional(
                    output=convert.check_output(output, batch) if output else None
                )
                if index == 0:
                    changes |= convert.optional(status=status, conclusion=conclusion)
                check_run.edit(**changes)
            return convert.check_run(check_run)

    def create_commit_status(
        self,
        repo: str,
        sha: str,
        *,
        state: CommitState,
        context: str,
        description: str,
        target_url: str | None = None,
    ) -> CommitStatus:
        if len(description) > STATUS_DESCRIPTION_MAX:
            description = description[: STATUS_DESCRIPTION_MAX - 1] + "…"
        body = {"state": state, "context": context, "description": description}
        if target_url is not None:
            body["target_url"] = target_url
        with translated(f"setting commit status {context!r} on {repo}"):
            # Through the requester: PyGithub's Commit would first GET the commit for its SHA.
            _, data = self._github.requester.requestJsonAndCheck(
                "POST", f"{self._repo(repo).url}/statuses/{sha}", input=body
            )
            return convert.commit_status(data)
