"""What a webhook delivery tells the parts that act on it (no I/O here)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class PullRequestEvent:
    """A ``pull_request`` delivery on the GitOps repository, reduced to what a check needs."""

    repository: str  # owner/name
    number: int
    head_sha: str
    head_ref: str
    base_ref: str
    action: str  # opened / synchronize / reopened / ready_for_review / closed ...


class PullRequestChecks(Protocol):
    """Checks a pull request's manifests and posts the result (blocking: run in a thread)."""

    def check(self, event: PullRequestEvent) -> None: ...
