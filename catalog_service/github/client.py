"""What the service needs from GitHub's REST API, as a small protocol and frozen values of our own.

The service and its tests depend on :class:`GitHubClient` only; ``PyGithubClient`` (in
``catalog_service.github.pygithub``) implements it. Repositories are named ``owner/name``.
Every method raises a :class:`~catalog_service.errors.GitHubError` subclass on failure.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal, Protocol

# GitHub takes at most 50 annotations per check run request; more go in follow-up updates.
ANNOTATIONS_PER_REQUEST = 50

CheckStatus = Literal["queued", "in_progress", "completed"]
CheckConclusion = Literal[
    "success", "failure", "neutral", "cancelled", "skipped", "timed_out", "action_required"
]
AnnotationLevel = Literal["notice", "warning", "failure"]
CommitState = Literal["error", "failure", "pending", "success"]


@dataclass(frozen=True)
class PullRequest:
    number: int
    title: str
    body: str
    state: str  # open | closed
    author: str  # the login of the user who opened it
    html_url: str
    head_ref: str
    head_sha: str
    head_repo: str | None  # owner/name of the head's repository (a fork's); None when deleted
    base_ref: str
    base_sha: str
    draft: bool
    merged: bool
    merged_at: datetime | None
    merge_commit_sha: str | None
    updated_at: datetime
    labels: tuple[str, ...] = ()


@dataclass(frozen=True)
class PullRequestFile:
    path: str
    # added | removed | modified | renamed | copied | changed | unchanged
    status: str
    previous_path: str | None = None  # the old path of a renamed file


@dataclass(frozen=True)
class Review:
    id: int
    author: str
    state: str  # APPROVED | CHANGES_REQUESTED | COMMENTED | DISMISSED | PENDING
    commit_sha: str | None
    submitted_at: datetime | None


@dataclass(frozen=True)
class Annotation:
    path: str
    start_line: int
    message: str
    level: AnnotationLevel = "failure"
    end_line: int | None = None  # the start line when None
    title: str | None = None
    # Columns are allowed only when the annotation stays on one line.
    start_column: int | None = None
    end_column: int | None = None

    def to_json(self) -> dict[str, object]:
        """The annotation as GitHub's check run API takes it."""
        end_line = self.end_line if self.end_line is not None else self.start_line
        data: dict[str, object] = {
            "path": self.path,
            "start_line": self.start_line,
            "end_line": end_line,
            "annotation_level": self.level,
            "message": self.message,
        }
        if self.title is not None:
            data["title"] = self.title
        if end_line == self.start_line:
            if self.start_column is not None:
                data["start_column"] = self.start_column
            if self.end_column is not None:
                data["end_column"] = self.end_column
        return data


@dataclass(frozen=True)
class CheckRunOutput:
    title: str
    summary: str
    text: str | None = None
    annotations: tuple[Annotation, ...] = field(default=())


@dataclass(frozen=True)
class CheckRun:
    id: int
    name: str
    head_sha: str
    status: str
    conclusion: str | None
    html_url: str


@dataclass(frozen=True)
class CommitStatus:
    id: int
    state: str
    context: str
    description: str | None
    target_url: str | None


class GitHubClient(Protocol):
    """The GitHub REST calls the service makes."""

    def merged_pull_requests(self, repo: str, since: datetime) -> Iterator[PullRequest]:
        """Pull requests merged at or after ``since``, most recently updated first.

        Lists closed pull requests by update time, newest first, and stops at the first page
        entry updated before ``since`` (a merge updates the pull request, so none is missed).
        """
        ...

    def pull_request(self, repo: str, number: int) -> PullRequest: ...

    def pull_request_files(self, repo: str, number: int) -> list[PullRequestFile]: ...

    def pull_request_reviews(self, repo: str, number: int) -> list[Review]: ...

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
        """Create a check run; annotations beyond the first 50 follow in updates of 50 each."""
        ...

    def update_check_run(
        self,
        repo: str,
        check_run_id: int,
        *,
        status: CheckStatus | None = None,
        conclusion: CheckConclusion | None = None,
        output: CheckRunOutput | None = None,
    ) -> CheckRun:
        """Update a check run; its annotations go in batches of 50 (GitHub appends them)."""
        ...

    def create_commit_status(
        self,
        repo: str,
        sha: str,
        *,
        state: CommitState,
        context: str,
        description: str,
        target_url: str | None = None,
    ) -> CommitStatus: ...

    def create_pull_request(
        self, repo: str, *, title: str, body: str, head: str, base: str
    ) -> PullRequest: ...

    def add_labels(self, repo: str, number: int, labels: Sequence[str]) -> None: ...

    def find_open_pull_request(self, repo: str, head_branch: str) -> PullRequest | None:
        """The open pull request from ``head_branch`` of ``repo`` itself, if there is one."""
        ...


def annotation_batches(
    annotations: Sequence[Annotation],
) -> list[tuple[Annotation, ...]]:
    """Annotations in the batches GitHub accepts (at most 50 each); one empty batch for none."""
    if not annotations:
        return [()]
    return [
        tuple(annotations[start : start + ANNOTATIONS_PER_REQUEST])
        for start in range(0, len(annotations), ANNOTATIONS_PER_REQUEST)
    ]
