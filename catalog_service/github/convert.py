"""PyGithub's objects to our frozen values, and our values to GitHub's JSON.

Only attributes that GitHub's list payloads carry are read, so that no conversion makes PyGithub
fetch an object again (a pull request from a list has ``merged_at`` but not ``merged``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from github.CheckRun import CheckRun as GhCheckRun
from github.File import File as GhFile
from github.PullRequest import PullRequest as GhPullRequest
from github.PullRequestReview import PullRequestReview as GhReview

from catalog_service.github.client import (
    Annotation,
    CheckRun,
    CheckRunOutput,
    CommitStatus,
    PullRequest,
    PullRequestFile,
    Review,
)
from catalog_service.timestamps import as_utc


def pull_request(pull: GhPullRequest) -> PullRequest:
    head_repo = pull.head.repo
    merged_at = as_utc(pull.merged_at)
    updated_at = as_utc(pull.updated_at)
    assert updated_at is not None
    return PullRequest(
        number=pull.number,
        title=pull.title,
        body=pull.body or "",
        state=pull.state,
        author=pull.user.login,
        html_url=pull.html_url,
        head_ref=pull.head.ref,
        head_sha=pull.head.sha,
        head_repo=head_repo.full_name if head_repo is not None else None,
        base_ref=pull.base.ref,
        base_sha=pull.base.sha,
        draft=bool(pull.draft),
        merged=merged_at is not None,
        merged_at=merged_at,
        merge_commit_sha=pull.merge_commit_sha,
        updated_at=updated_at,
        labels=tuple(label.name for label in pull.labels),
    )


def pull_request_file(item: GhFile) -> PullRequestFile:
    return PullRequestFile(
        path=item.filename, status=item.status, previous_path=item.previous_filename
    )


def review(item: GhReview) -> Review:
    return Review(
        id=item.id,
        author=item.user.login if item.user is not None else "ghost",
        state=item.state,
        commit_sha=item.commit_id,
        submitted_at=as_utc(item.submitted_at),
    )


def check_run(item: GhCheckRun) -> CheckRun:
    return CheckRun(
        id=item.id,
        name=item.name,
        head_sha=item.head_sha,
        status=item.status,
        conclusion=item.conclusion,
        html_url=item.html_url,
    )


def commit_status(data: Mapping[str, Any]) -> CommitStatus:
    return CommitStatus(
        id=int(data["id"]),
        state=str(data["state"]),
        context=str(data["context"]),
        description=data.get("description"),
        target_url=data.get("target_url"),
    )


def check_output(output: CheckRunOutput, annotations: tuple[Annotation, ...]) -> dict[str, Any]:
    """The ``output`` object of a check run request, with one batch of annotations."""
    data: dict[str, Any] = {"title": output.title, "summary": output.summary}
    if output.text is not None:
        data["text"] = output.text
    if annotations:
        data["annotations"] = [annotation.to_json() for annotation in annotations]
    return data


def optional(**values: Any) -> dict[str, Any]:
    """The keyword arguments that are given (PyGithub tells "not given" from ``None``)."""
    return {name: value for name, value in values.items() if value is not None}
