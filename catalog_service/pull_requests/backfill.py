"""``catalog-service backfill-prs``: record past merged manifest pull requests, through GitHub's
API when it is configured, else from the branch's first-parent history. Running it twice changes
nothing (one record per repository and number)."""

from __future__ import annotations

import datetime as dt
import logging

from catalog_service.db import Database, state, upgrade
from catalog_service.github.client import GitHubClient
from catalog_service.ingest.build import build_ingestor
from catalog_service.pull_requests.history import merged_in_history
from catalog_service.pull_requests.recorder import BACKFILLED_KEY, EPOCH, PullRequestRecorder
from catalog_service.settings import Settings
from catalog_service.sources.git import GitSource, redacted_url
from catalog_service.sources.repository import gitops_repository

logger = logging.getLogger(__name__)


def backfill(
    settings: Settings,
    since: dt.datetime | None = None,
    *,
    github: GitHubClient | None = None,
    database: Database | None = None,
) -> int:
    """How many pull requests this run recorded (those recorded before are skipped)."""
    database = database or Database(settings.database.url)
    upgrade(database.url)
    if github is None and settings.github.configured:
        from catalog_service.github.pygithub import PyGithubClient

        github = PyGithubClient(settings.github)
    # Without GitHub the records still need a name: the source URL, without credentials.
    repository = gitops_repository(settings) or redacted_url(settings.source.url)
    recorder = PullRequestRecorder(
        database, repository, settings.source.roots, settings.platformTeam, github
    )
    if github is not None:
        recorded = recorder.catch_up(since or EPOCH)
        if since is None:
            with database.session() as session:
                state.put(session, BACKFILLED_KEY, dt.datetime.now(dt.UTC).isoformat())
        return recorded
    return _from_history(settings, recorder, since)


def _from_history(
    settings: Settings, recorder: PullRequestRecorder, since: dt.datetime | None
) -> int:
    ingestor = build_ingestor(settings)
    try:
        source = ingestor.source
        assert isinstance(source, GitSource)  # build_ingestor builds one
        head = source.fetch()
        return sum(recorder.record(merged) for merged in merged_in_history(source, head, since))
    finally:
        ingestor.close()
