"""The work a delivery asks for, done by the :class:`~catalog_service.webhooks.worker.
DeliveryWorker` from what the delivery row holds: a pull request checked, a merged pull request
recorded. Each kind runs in its own pool, so a check waiting out GitHub's rate limit delays
neither the recording nor anything else. A failure is raised: the worker marks the delivery
failed, and the reconcile job records later what it missed."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from catalog_service.domain.pull_requests import FileChange
from catalog_service.errors import SourceError
from catalog_service.github.client import GitHubClient
from catalog_service.pools import WorkPool
from catalog_service.pull_requests.history import GitHistory, commit_files, parents_of
from catalog_service.pull_requests.recorder import MergedPullRequest, PullRequestRecorder
from catalog_service.webhooks import payloads
from catalog_service.webhooks.events import PullRequestChecks

T = TypeVar("T")
# Fetch now, waiting up to this many seconds (the refresher's ``refresh``).
Fetch = Callable[[float], Awaitable[object]]


@dataclass(frozen=True)
class PullRequestCheckWork:
    """Checks a pull request, in the checks' pool."""

    checker: PullRequestChecks
    pool: WorkPool

    async def __call__(self, parameters: Mapping[str, Any]) -> None:
        event = payloads.check_of(parameters)
        await self.pool.run(lambda: self.checker.check(event), patient=True)


@dataclass(frozen=True)
class MergedRecordWork:
    """Records a merged pull request: from GitHub's API when there is a client, else from the
    merge commit in the mirror (fetched first if it is not there yet)."""

    recorder: PullRequestRecorder
    github: GitHubClient | None
    history: GitHistory | None
    fetch: Fetch
    fetch_wait_seconds: float
    pool: WorkPool

    async def __call__(self, parameters: Mapping[str, Any]) -> None:
        merged = payloads.record_of(parameters)
        recorder, github = self.recorder, self.github
        if github is not None:
            pull = await self._run(lambda: github.pull_request(recorder.repository, merged.number))
            await self._run(lambda: recorder.record_from_api(pull))
            return
        record = MergedPullRequest(
            number=merged.number,
            title=merged.title,
            author=merged.author,
            merged_at=merged.merged_at,
            merge_commit_sha=merged.merge_commit_sha,
            url=merged.url,
            files=await self._files_from_git(merged.merge_commit_sha),
        )
        await self._run(lambda: recorder.record(record))

    async def _files_from_git(self, sha: str | None) -> tuple[FileChange, ...]:
        """The merge commit's files against its first parent."""
        git = self.history
        if git is None or sha is None:
            return ()
        try:
            parents = await self._run(lambda: parents_of(git, sha))
        except SourceError:
            await self.fetch(self.fetch_wait_seconds)
            parents = await self._run(lambda: parents_of(git, sha))
        first = parents[0] if parents else None
        return await self._run(lambda: commit_files(git, sha, first))

    async def _run(self, work: Callable[[], T]) -> T:
        return await self.pool.run(work, patient=True)
