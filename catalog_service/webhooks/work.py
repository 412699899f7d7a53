"""The background work a delivery starts: a failure is logged and marks the delivery failed;
what it missed the reconcile job records later."""

from __future__ import annotations

import asyncio
import logging

from catalog_service.db import webhook_deliveries
from catalog_service.domain.pull_requests import FileChange
from catalog_service.errors import SourceError
from catalog_service.pull_requests.history import commit_files, parents_of
from catalog_service.pull_requests.recorder import MergedPullRequest
from catalog_service.service import Services
from catalog_service.webhooks.events import PullRequestChecks, PullRequestEvent
from catalog_service.webhooks.payloads import MergedPayload

logger = logging.getLogger(__name__)


async def check(
    services: Services, checker: PullRequestChecks, event: PullRequestEvent, delivery_id: str
) -> None:
    try:
        await asyncio.to_thread(checker.check, event)
    except Exception:
        logger.exception("checking %s#%d failed", event.repository, event.number)
        await asyncio.to_thread(_failed, services, delivery_id)


async def record_merged(services: Services, merged: MergedPayload, delivery_id: str) -> None:
    try:
        await _record_merged(services, merged)
    except Exception:
        logger.exception("recording the merged pull request #%d failed", merged.number)
        await asyncio.to_thread(_failed, services, delivery_id)


async def _record_merged(services: Services, merged: MergedPayload) -> None:
    recorder = services.recorder()
    if recorder is None:
        return
    if services.github is not None:
        pull = await asyncio.to_thread(
            services.github.pull_request, recorder.repository, merged.number
        )
        await asyncio.to_thread(recorder.record_from_api, pull)
        return
    files = await _files_from_git(services, merged)
    record = MergedPullRequest(
        number=merged.number,
        title=merged.title,
        author=merged.author,
        merged_at=merged.merged_at,
        merge_commit_sha=merged.merge_commit_sha,
        url=merged.url,
        files=files,
    )
    await asyncio.to_thread(recorder.record, record)


async def _files_from_git(services: Services, merged: MergedPayload) -> tuple[FileChange, ...]:
    """The merge commit's files against its first parent, fetched first if it is not here yet."""
    git = services.history()
    sha = merged.merge_commit_sha
    if git is None or sha is None:
        return ()
    try:
        parents = await asyncio.to_thread(parents_of, git, sha)
    except SourceError:
        await services.refresher.refresh(wait=services.settings.source.timeoutSeconds)
        parents = await asyncio.to_thread(parents_of, git, sha)
    return await asyncio.to_thread(commit_files, git, sha, parents[0] if parents else None)


def _failed(services: Services, delivery_id: str) -> None:
    with services.database.session() as session:
        webhook_deliveries.set_outcome(session, delivery_id, "failed")
