"""Record merged manifest pull requests (docs/architecture.md §6.5), from GitHub's API or git.

The webhook, the reconcile job and ``backfill-prs`` all come here; the database keeps one record
per repository and number, so seeing a pull request twice changes nothing. Blocking: call it in
a worker thread.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from catalog_service.db import Database, pull_requests, state
from catalog_service.domain import pull_requests as rules
from catalog_service.domain.parsing import is_manifest_path
from catalog_service.github.client import GitHubClient, PullRequest

logger = logging.getLogger(__name__)

BACKFILLED_KEY = "pull_requests.backfilled_at"
RECONCILED_KEY = "pull_requests.reconciled_at"
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
# Reconcile looks back past its last run by this much: a merge lands in the list a little late.
RECONCILE_OVERLAP = dt.timedelta(hours=1)


@dataclass(frozen=True)
class MergedPullRequest:
    """What a record is made of, wherever it was learnt."""

    number: int
    title: str
    author: str
    merged_at: dt.datetime
    merge_commit_sha: str | None
    url: str | None
    files: tuple[rules.FileChange, ...]
    approvers: tuple[str, ...] = ()


@dataclass
class PullRequestRecorder:
    database: Database
    repository: str  # owner/name
    roots: Sequence[str]
    platform_team: Sequence[str]
    github: GitHubClient | None = None

    def is_manifest(self, path: str) -> bool:
        return is_manifest_path(path, self.roots)

    def record(self, merged: MergedPullRequest) -> bool:
        """Record it if it touches a manifest and is not recorded yet; True if recorded now."""
        paths = rules.manifest_paths(merged.files, self.is_manifest)
        if not paths:
            return False
        adds = rules.adds_or_changes_manifest(merged.files, self.is_manifest)
        with self.database.session() as session:
            recorded = pull_requests.record_if_absent(
                session,
                repository=self.repository,
                number=merged.number,
                title=merged.title,
                author=merged.author,
                merged_at=merged.merged_at,
                paths=paths,
                autonomous=rules.is_autonomous(merged.author, self.platform_team, adds),
                approved_by_platform=rules.approved_by_platform(
                    merged.approvers, self.platform_team
                ),
                merge_commit_sha=merged.merge_commit_sha,
                url=merged.url,
            )
        if recorded:
            logger.info("recorded merged pull request %s#%d", self.repository, merged.number)
        return recorded

    # through GitHub's API -----------------------------------------------------------------

    def _client(self) -> GitHubClient:
        if self.github is None:
            raise RuntimeError("GitHub is not configured")  # callers check first
        return self.github

    def from_api(self, pull: PullRequest) -> MergedPullRequest:
        """The pull request with its files and approvals, read through the API."""
        client = self._client()
        files = tuple(
            rules.FileChange(item.path, item.status, item.previous_path)
            for item in client.pull_request_files(self.repository, pull.number)
        )
        approvers: tuple[str, ...] = ()
        if rules.manifest_paths(files, self.is_manifest):  # else it is not recorded anyway
            approvers = tuple(
                review.author
                for review in client.pull_request_reviews(self.repository, pull.number)
                if review.state == "APPROVED"
            )
        return MergedPullRequest(
            number=pull.number,
            title=pull.title,
            author=pull.author,
            merged_at=pull.merged_at or dt.datetime.now(dt.UTC),
            merge_commit_sha=pull.merge_commit_sha,
            url=pull.html_url,
            files=files,
            approvers=approvers,
        )

    def record_from_api(self, pull: PullRequest) -> bool:
        return self.record(self.from_api(pull))

    def catch_up(self, since: dt.datetime) -> int:
        """Record the pull requests merged since ``since`` that are missing; how many."""
        with self.database.session() as session:
            known = pull_requests.recorded_numbers(session, self.repository)
        recorded = 0
        for pull in self._client().merged_pull_requests(self.repository, since):
            if pull.number in known or not pull.merged:
                continue
            known.add(pull.number)
            recorded += self.record_from_api(pull)
        return recorded

    def reconcile(self, now: dt.datetime | None = None, window: dt.timedelta | None = None) -> int:
        """Catch up from the last reconcile (less an overlap), or from ``window`` ago."""
        now = now or dt.datetime.now(dt.UTC)
        with self.database.session() as session:
            last = state.get(session, RECONCILED_KEY)
        since = now - (window or dt.timedelta(days=1))
        if last is not None:
            since = dt.datetime.fromisoformat(last) - RECONCILE_OVERLAP
        recorded = self.catch_up(since)
        with self.database.session() as session:
            state.put(session, RECONCILED_KEY, now.isoformat())
        return recorded

    def backfill_once(self) -> int | None:
        """The whole history, the first time only (remembered in the database); None when it ran
        before."""
        with self.database.session() as session:
            if state.get(session, BACKFILLED_KEY) is not None:
                return None
        recorded = self.catch_up(EPOCH)
        with self.database.session() as session:
            state.put(session, BACKFILLED_KEY, dt.datetime.now(dt.UTC).isoformat())
        return recorded
