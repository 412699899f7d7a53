"""Wiring: the parts the settings describe, built once at start."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from catalog_service.actions.service import ActionService
from catalog_service.actions.wiring import build_action_service
from catalog_service.adoption.history import AdoptionHistory
from catalog_service.db import Database
from catalog_service.domain.entities import EntityContext, LinkTemplate
from catalog_service.github.client import GitHubClient
from catalog_service.github.pull_request_check import PullRequestChecker
from catalog_service.github.pygithub import PyGithubClient
from catalog_service.http.validation import RequestLimits, WorkGate
from catalog_service.ingest.backstage_events import BackstageNotifier
from catalog_service.ingest.heap import settle_after_ingest
from catalog_service.ingest.ingestor import Ingestor, IngestOutcome
from catalog_service.ingest.refresher import IngestListener, Refresher
from catalog_service.ingest.served import ServedSnapshot
from catalog_service.metrics import ServiceMetrics
from catalog_service.pools import PoolLimits, WorkPools
from catalog_service.pull_requests.history import GitHistory
from catalog_service.pull_requests.recorder import PullRequestRecorder
from catalog_service.settings import Settings
from catalog_service.sources.credentials import Token
from catalog_service.sources.git import GitSource
from catalog_service.webhooks.events import PullRequestChecks
from catalog_service.webhooks.wiring import Webhooks, build_webhooks

_SCP_LIKE = re.compile(r"^[\w.-]+@(?P<host>[\w.-]+):(?P<path>.+)$")
_SSH_URL = re.compile(r"^(?:ssh|git)://(?:[^@/]+@)?(?P<host>[^/:]+)(?::\d+)?/(?P<path>.+)$")


def build_ingestor(settings: Settings, github: GitHubClient | None = None) -> Ingestor:
    """The ingestor; a private repository is fetched with the GitHub token, or with the App's
    installation token (``github``), given to git through its environment, never its argv.
    Without ``github`` (the CLI's export and backfill), an App gets a client of its own."""
    if github is None and settings.github.app is not None:
        github = PyGithubClient(settings.github)
    source = GitSource(
        url=settings.source.url,
        branch=settings.source.branch,
        roots=settings.source.roots,
        mirror_dir=settings.mirror_dir(),
        token=git_token(settings, github),
        timeout=settings.source.timeoutSeconds,
        # The default folder lies in the service's own cache: what is there came from us.
        adopt_old_mirror=settings.source.cacheDir is None,
    )
    return Ingestor(source, entity_context(settings), settings.ingest)


def git_token(settings: Settings, github: GitHubClient | None) -> Token | None:
    """What git over HTTPS authenticates with: ``github.token``, or, with a GitHub App, the
    client's installation tokens, asked for anew by each fetch or push (they last an hour)."""
    if settings.github.token is not None:
        return settings.github.token.get_secret_value()
    if isinstance(github, PyGithubClient) and settings.github.app is not None:
        return github.access_token
    return None


def entity_context(settings: Settings) -> EntityContext:
    return EntityContext(
        environments=tuple(settings.environments),
        links=tuple(LinkTemplate(link.title, link.url) for link in settings.links),
        location_prefix=location_prefix(settings),
        github_web_url=settings.github.web_url,
        edit_url_prefix=edit_url_prefix(settings),
    )


def location_prefix(settings: Settings) -> str:
    """Where a manifest can be seen: its blob on GitHub at the branch, or its file locally."""
    web = _repository_web_url(settings)
    if web is not None:
        return f"url:{web}/blob/{settings.source.branch}/"
    return f"file:{Path(settings.source.url).expanduser().resolve()}/"


def edit_url_prefix(settings: Settings) -> str | None:
    """GitHub's editor for the branch's files, when the repository is on GitHub."""
    web = _repository_web_url(settings)
    github_hosts = {"github.com", urlsplit(settings.github.web_url).hostname}
    if web is None or urlsplit(web).hostname not in github_hosts:
        return None
    return f"{web}/edit/{settings.source.branch}/"


def _repository_web_url(settings: Settings) -> str | None:
    """The repository's web page, without a trailing slash: configured, or derived."""
    web = settings.source.webUrl or _web_url(settings.source.url)
    return web.rstrip("/") if web is not None else None


def gitops_repository(settings: Settings) -> str | None:
    """``owner/name`` of the GitOps repository on GitHub: the one ``source.url`` names, or the
    one ``source.webUrl`` names when the source URL is not GitHub's (a mirror, a local path)."""
    github_hosts = {"github.com", urlsplit(settings.github.web_url).hostname}
    derived = _web_url(settings.source.url)
    if derived is not None and urlsplit(derived).hostname in github_hosts:
        web: str | None = derived
    else:
        web = settings.source.webUrl
    if web is None:
        return None
    parts = [part for part in urlsplit(web).path.split("/") if part]
    if len(parts) < 2:
        return None
    return f"{parts[-2]}/{parts[-1].removesuffix('.git')}"


def _web_url(url: str) -> str | None:
    parts = urlsplit(url)
    if parts.scheme in ("http", "https"):
        host = parts.hostname or ""
        netloc = f"{host}:{parts.port}" if parts.port else host  # never the credentials
        path = parts.path.rstrip("/").removesuffix(".git")
        return f"{parts.scheme}://{netloc}{path}"
    match = _SCP_LIKE.match(url) or _SSH_URL.match(url)
    if match is None:
        return None
    path = match["path"].rstrip("/").removesuffix(".git")
    return f"https://{match['host']}/{path}"


@dataclass
class Services:
    """Everything a running service holds, built once from the settings: the HTTP layer reads it
    through ``catalog_service.http.deps``, and tests build it with their own parts."""

    settings: Settings
    ingestor: Ingestor
    served: ServedSnapshot
    refresher: Refresher
    database: Database
    metrics: ServiceMetrics
    context: EntityContext
    validations: WorkGate
    webhooks: Webhooks  # the receiver of GitHub's deliveries and the worker doing their work
    adoption: AdoptionHistory | None = None  # None when the source is not a git repository
    owns_ingestor: bool = True  # closed at shutdown (its git processes killed) when built here
    github: GitHubClient | None = None  # None: no github.token or github.app configured
    pull_request_checker: PullRequestChecks | None = None  # when GitHub is configured
    actions: ActionService | None = None  # the self-service actions (docs/self-service.md)
    pools: WorkPools = field(default_factory=lambda: WorkPools.of(PoolLimits()))

    @property
    def gitops_repository(self) -> str | None:
        return gitops_repository(self.settings)

    def recorder(self) -> PullRequestRecorder | None:
        """Records merged manifest pull requests; None without a GitOps repository on GitHub."""
        return recorder_for(self.settings, self.database, self.github)

    def history(self) -> GitHistory | None:
        """The mirror's history (for pull requests when there is no GitHub API)."""
        return history_of(self.ingestor)

    def close(self) -> None:
        """Stop what the parts run; the ingestor too when it was built here."""
        if self.owns_ingestor:
            self.ingestor.close()
        self.validations.close()
        self.pools.close()
        self.database.dispose()


def recorder_for(
    settings: Settings, database: Database, github: GitHubClient | None
) -> PullRequestRecorder | None:
    """Records merged manifest pull requests; None without a GitOps repository on GitHub."""
    repository = gitops_repository(settings)
    if repository is None:
        return None
    roots, team = settings.source.roots, settings.platformTeam
    return PullRequestRecorder(database, repository, roots, team, github)


def history_of(ingestor: Ingestor) -> GitHistory | None:
    source = ingestor.source
    return source if isinstance(source, GitHistory) else None


def build_services(
    settings: Settings,
    ingestor: Ingestor | None = None,
    *,
    database: Database | None = None,
    limits: RequestLimits | None = None,
    github: GitHubClient | None = None,
) -> Services:
    """The service's parts; an ``ingestor`` passed in stays its caller's to close. A GitHub
    client is built from the settings when none is passed and GitHub is configured."""
    owns_ingestor = ingestor is None
    if github is None and settings.github.configured:
        github = PyGithubClient(settings.github)
    if ingestor is None:
        ingestor = build_ingestor(settings, github)
    database = database or Database(settings.database.url)
    served = ServedSnapshot(ingestor)
    metrics = ServiceMetrics.for_ingest(ingestor, database)
    refresher = Refresher(
        ingestor,
        served,
        settings.source.pollSeconds,
        # The heap first: the metrics' preparation then allocates with the catalog frozen.
        listeners=[
            settle_after_ingest,
            lambda outcome: metrics.observe_ingest(outcome.duration_seconds),
        ],
    )
    context = entity_context(settings)
    history = _adoption_history(ingestor, database, context)
    if history is not None:
        refresher.add_listener(_history_listener(history), background=True)
        refresher.add_listener(settle_after_ingest, background=True)  # the walk's tree, too
    if settings.backstage is not None:
        refresher.add_listener(BackstageNotifier(settings.backstage))
    actions = build_action_service(
        settings,
        context,
        database,
        lambda: ingestor.snapshot,
        ingestor,
        _repository_web_url(settings),
        github=github,  # the one client: it holds the App's tokens and the rate-limit state
        git_token=git_token(settings, github),
    )
    limits = limits or RequestLimits()
    pools = WorkPools.of(limits.pools)
    checker = _pull_request_checker(settings, ingestor, served, github)
    webhooks = build_webhooks(
        settings,
        database=database,
        pools=pools,
        refresher=refresher,
        repository=gitops_repository(settings),
        recorder=recorder_for(settings, database, github),
        checker=checker,
        github=github,
        history=history_of(ingestor),
    )
    return Services(
        settings=settings,
        ingestor=ingestor,
        served=served,
        refresher=refresher,
        database=database,
        metrics=metrics,
        context=context,
        validations=WorkGate(limits, "validate"),
        webhooks=webhooks,
        pools=pools,
        adoption=history,
        owns_ingestor=owns_ingestor,
        pull_request_checker=checker,
        actions=actions,
        github=github,
    )


def _pull_request_checker(
    settings: Settings, ingestor: Ingestor, served: ServedSnapshot, github: GitHubClient | None
) -> PullRequestChecker | None:
    repository = gitops_repository(settings)
    source = ingestor.source
    if github is None or repository is None or not isinstance(source, GitSource):
        return None
    context = entity_context(settings)
    return PullRequestChecker(
        repository=repository, source=source, served=served, github=github, context=context
    )


def _adoption_history(
    ingestor: Ingestor, database: Database, context: EntityContext
) -> AdoptionHistory | None:
    """The history walks the ingest's own mirror (no second fetch)."""
    source = ingestor.source
    return AdoptionHistory(source, database, context) if isinstance(source, GitSource) else None


def _history_listener(history: AdoptionHistory) -> IngestListener:
    """Records the days the ingested revision adds, in the refresher's worker thread (which
    logs a failure; the next ingest goes on from what was recorded)."""

    def listener(outcome: IngestOutcome) -> None:
        history.update(outcome.revision)

    return listener
