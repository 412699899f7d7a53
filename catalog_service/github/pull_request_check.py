"""The manifest check on a pull request: fetch its head, review its manifest changes against the
base branch's catalog with the one rule engine, and report the result on GitHub.

The report is the check run ``idp / manifests`` on the head commit; where the credentials may
not create check runs (a token rather than a GitHub App: 403), the commit status
``idp/manifests`` stands in for it. Only YAML is ever read from a pull request, with the limits
of ingest: nothing in it is checked out or run.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from catalog_service.domain.entities import EntityContext
from catalog_service.domain.pull_request_check import CHECK_NAME, CheckReport, check_report
from catalog_service.domain.review import Changes, review
from catalog_service.errors import CatalogError, GitHubPermissionError, NotReadyError
from catalog_service.github.client import GitHubClient
from catalog_service.github.report import check_run_output, commit_status
from catalog_service.ingest.ingestor import compile_entries
from catalog_service.ingest.served import ServedSnapshot
from catalog_service.sources.git import GitSource
from catalog_service.sources.pull_requests import PullRequestCommits, PullRequestFetcher
from catalog_service.webhooks.events import PullRequestEvent

logger = logging.getLogger(__name__)

STATUS_CONTEXT = "idp/manifests"
# What GitHub sends when a pull request's manifests may have changed.
ACTIONS = frozenset({"opened", "synchronize", "reopened", "ready_for_review"})


class PullRequestChecker:
    """Checks pull requests on ``repository`` (``owner/name``) into ``source``'s branch.

    :meth:`check` blocks (git and GitHub calls): run it in a worker thread. ``retry_delay`` is
    the pause before fetching once more when the head found is not the event's."""

    def __init__(
        self,
        *,
        repository: str,
        source: GitSource,
        served: ServedSnapshot,
        github: GitHubClient,
        context: EntityContext,
        retry_delay: float = 2.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.repository = repository
        self._source = source
        self._fetcher = PullRequestFetcher(source)
        self._served = served
        self._github = github
        self._context = context
        self._retry_delay = retry_delay
        self._sleep = sleep
        self._lock = threading.Lock()  # one check at a time: they share the mirror's refs

    def applies(self, event: PullRequestEvent) -> bool:
        """A pull request into the served branch of the GitOps repository that may have
        changed its manifests."""
        return (
            event.repository.lower() == self.repository.lower()  # GitHub ignores the case
            and event.base_ref == self._source.branch
            and event.action in ACTIONS
        )

    def check(self, event: PullRequestEvent) -> None:
        """Check the pull request and report on its head commit; do nothing for one this
        service does not check. Raises SourceError, NotReadyError or a GitHubError (logged)."""
        if not self.applies(event):
            logger.debug("not checking %s#%d (%s)", event.repository, event.number, event.action)
            return
        try:
            with self._lock:
                report = self._report(event)
            if report is not None:
                self._post(event, report)
        except CatalogError as error:
            logger.warning(
                "the manifest check of %s#%d at %s failed: %s",
                event.repository,
                event.number,
                event.head_sha[:12],
                error.message,
            )
            raise

    def _report(self, event: PullRequestEvent) -> CheckReport | None:
        snapshot = self._served.get()
        if snapshot is None:
            raise NotReadyError("no catalog yet to check the pull request against")
        try:
            commits = self._fetch(event)
            if commits is None:
                return None
            changes = self._changes(commits)
        finally:
            self._release(event.number)
        if not changes:
            return no_manifest_report(self._source.roots)
        result = review(snapshot.catalog, changes, self._context)
        return check_report(result)

    def _release(self, number: int) -> None:
        try:
            self._fetcher.release(number)
        except CatalogError as error:  # only a ref left behind: the next check overwrites it
            logger.warning("cannot drop the refs of pull request %d: %s", number, error.message)

    def _fetch(self, event: PullRequestEvent) -> PullRequestCommits | None:
        """The pull request's commits, or None when its head is no longer the event's (a later
        push: that push's own event checks it)."""
        commits = self._fetcher.fetch(event.number)
        if commits.head != event.head_sha:
            # GitHub may update refs/pull/<n>/head a moment after it sends the event.
            self._sleep(self._retry_delay)
            commits = self._fetcher.fetch(event.number)
        if commits.head != event.head_sha:
            logger.info(
                "not checking %s#%d at %s: its head is now %s; the event for that one checks it",
                event.repository,
                event.number,
                event.head_sha[:12],
                commits.head[:12],
            )
            return None
        return commits

    def _changes(self, commits: PullRequestCommits) -> Changes:
        """Each changed manifest compiled as ingest compiles it (None: deleted)."""
        found = self._fetcher.changes(commits)
        entries = [change.entry for change in found if change.entry is not None]
        compiled = {
            entry.path: file
            for entry, file in compile_entries(self._source, entries, self._context)
        }
        return {change.path: compiled.get(change.path) for change in found}

    def _post(self, event: PullRequestEvent, report: CheckReport) -> None:
        try:
            self._github.create_check_run(
                event.repository,
                name=CHECK_NAME,
                head_sha=event.head_sha,
                status="completed",
                conclusion=report.conclusion,
                output=check_run_output(report),
            )
        except GitHubPermissionError as refused:
            logger.info(
                "no check run on %s (%s); setting the commit status %s instead",
                event.repository,
                refused.message,
                STATUS_CONTEXT,
            )
            state, description = commit_status(report)
            self._github.create_commit_status(
                event.repository,
                event.head_sha,
                state=state,
                context=STATUS_CONTEXT,
                description=description,
            )


def no_manifest_report(roots: tuple[str, ...]) -> CheckReport:
    """The success reported on a pull request that touches no manifest."""
    where = ", ".join(f"`{root}/`" for root in roots if root not in ("", "."))
    under = f" under {where}" if where else ""
    return CheckReport(
        conclusion="success",
        title="No manifest changes",
        summary=f"This pull request changes no manifest file{under}: nothing to check.\n",
        annotations=(),
    )
