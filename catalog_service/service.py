"""Wiring: the parts the settings describe, built once at start."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from catalog_service.actions.janitor import Janitor
from catalog_service.actions.service import ActionService
from catalog_service.actions.wiring import build_action_service, mirror_reader
from catalog_service.adoption.history import AdoptionHistory
from catalog_service.argocd.client import ArgoCD, HttpArgoCD
from catalog_service.argocd.status import StatusService
from catalog_service.db import Database
from catalog_service.db.leases import JobLeases, SingleReplicaLeases, job_leases
from catalog_service.domain.catalog import Catalog
from catalog_service.domain.entities import EntityContext, utc_now
from catalog_service.github.client import GitHubClient
from catalog_service.github.pull_request_check import PullRequestChecker
from catalog_service.github.pygithub import PyGithubClient
from catalog_service.http.validation import RequestLimits, WorkGate
from catalog_service.identity.backstage import BackstageTokenVerifier
from catalog_service.identity.verifier import IdentityVerifier
from catalog_service.ingest.backstage_events import BackstageNotifier
from catalog_service.ingest.build import build_ingestor, git_token
from catalog_service.ingest.heap import settle_after_ingest
from catalog_service.ingest.ingestor import Ingestor, IngestOutcome
from catalog_service.ingest.refresher import IngestListener, Refresher
from catalog_service.ingest.served import ServedSnapshot
from catalog_service.metrics import ServiceMetrics
from catalog_service.pools import PoolLimits, WorkPools
from catalog_service.pull_requests.history import GitHistory
from catalog_service.pull_requests.recorder import PullRequestRecorder
from catalog_service.settings import Settings
from catalog_service.sources.git import GitSource
from catalog_service.sources.repository import (
    RepositoryIdentity,
    edit_url_prefix,
    entity_context,
    gitops_repository,
    identity_of,
    location_prefix,
)
from catalog_service.webhooks.events import PullRequestChecks
from catalog_service.webhooks.wiring import Webhooks, build_webhooks


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
    identity: IdentityVerifier | None = None  # checks Backstage's user tokens (auth.backstage)
    pools: WorkPools = field(default_factory=lambda: WorkPools.of(PoolLimits()))
    leases: JobLeases = field(default_factory=SingleReplicaLeases)  # the once-only jobs
    janitor: Janitor | None = None  # removes expired database copies (docs/self-service.md)
    clock: Callable[[], datetime] = utc_now  # copies' expiry warnings count from it
    argocd: ArgoCD | None = None  # Argo CD's API (argocd:); None when not configured
    application_status: StatusService | None = None  # GET /api/v1/applications/{name}/status

    @property
    def repository(self) -> RepositoryIdentity:
        """The one answer to "which GitHub repository is ours" (sources/repository.py)."""
        return identity_of(self.settings)

    @property
    def gitops_repository(self) -> str | None:
        return self.repository.github

    def recorder(self) -> PullRequestRecorder | None:
        """Records merged manifest pull requests; None without a GitOps repository on GitHub."""
        return recorder_for(self.settings, self.database, self.github)

    def history(self) -> GitHistory | None:
        """The mirror's history (for pull requests when there is no GitHub API)."""
        return history_of(self.ingestor)

    def close(self) -> None:
        """Stop what the parts run; the ingestor too when it was built here."""
        if self.actions is not None:
            self.actions.close()  # a push in flight is killed, never lands after the stop
        if self.application_status is not None:
            self.application_status.close()
        if isinstance(self.argocd, HttpArgoCD):
            self.argocd.close()
        if self.owns_ingestor:
            self.ingestor.close()
        self.validations.close()
        self.leases.close()
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
    leases: JobLeases | None = None,
    argocd: ArgoCD | None = None,
) -> Services:
    """The service's parts; an ``ingestor`` passed in stays its caller's to close. A GitHub
    client is built from the settings when none is passed and GitHub is configured; so is the
    Argo CD client (``argocd:``)."""
    owns_ingestor = ingestor is None
    if github is None and settings.github.configured:
        github = PyGithubClient(settings.github)
    if ingestor is None:
        ingestor = build_ingestor(settings, github)
    if argocd is None and settings.argocd is not None:
        argocd = HttpArgoCD(settings.argocd, app_namespace=_app_namespace(settings))
    database = database or Database(settings.database.url)
    served = ServedSnapshot(ingestor)
    metrics = ServiceMetrics.for_ingest(ingestor, database)
    identity = identity_of(settings)
    identity.log_ignored_web_url()
    context = entity_context(settings)
    leases = leases or job_leases(database.url)
    history = _adoption_history(ingestor, database, context)
    refresher = _refresher(settings, ingestor, served, metrics, history, leases)
    actions = build_action_service(
        settings,
        context,
        database,
        lambda: ingestor.snapshot,
        ingestor,
        identity.github,
        github=github,  # the one client: it holds the App's tokens and the rate-limit state
        git_token=git_token(settings, github),
        argocd=argocd,
    )
    limits = limits or RequestLimits()
    pools = WorkPools.of(limits.pools)
    checker = _pull_request_checker(settings, ingestor, served, github)
    webhooks = build_webhooks(
        settings,
        database=database,
        pools=pools,
        refresher=refresher,
        repository=identity,
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
        leases=leases,
        janitor=Janitor(actions, lambda: ingestor.snapshot, mirror_reader(ingestor), leases),
        argocd=argocd,
        application_status=StatusService(settings.argocd, argocd, lambda: _catalog_of(ingestor)),
        identity=BackstageTokenVerifier(settings.auth.backstage)
        if settings.auth.backstage
        else None,
    )


def _refresher(
    settings: Settings,
    ingestor: Ingestor,
    served: ServedSnapshot,
    metrics: ServiceMetrics,
    history: AdoptionHistory | None,
    leases: JobLeases,
) -> Refresher:
    """When ingests run, and who hears of each: the heap, the metrics, the adoption history's
    walk (in the background) and Backstage's events endpoint."""
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
    if history is not None:
        refresher.add_listener(_history_listener(history, leases), background=True)
        refresher.add_listener(settle_after_ingest, background=True)  # the walk's tree, too
    if settings.backstage is not None:
        refresher.add_listener(BackstageNotifier(settings.backstage))
    return refresher


ARGOCD_NAMESPACE = "argocd"  # Argo CD's own namespace, where its Applications live by default


def _app_namespace(settings: Settings) -> str | None:
    """Where render puts the Applications, when that is not Argo CD's usual namespace."""
    namespace = settings.render.argocd.namespace
    return namespace if namespace != ARGOCD_NAMESPACE else None


def _catalog_of(ingestor: Ingestor) -> Catalog | None:
    """The newest applied catalog (as the actions read it; rendering its bodies is not needed)."""
    current = ingestor.snapshot
    return current.catalog if current is not None else None


def _pull_request_checker(
    settings: Settings, ingestor: Ingestor, served: ServedSnapshot, github: GitHubClient | None
) -> PullRequestChecker | None:
    repository = identity_of(settings).github
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


HISTORY_JOB = "adoption-history"


def _history_listener(history: AdoptionHistory, leases: JobLeases) -> IngestListener:
    """Records the days the ingested revision adds, in the refresher's worker thread (which
    logs a failure; the next ingest goes on from what was recorded). With several replicas, the
    one that holds the job's lease walks; the others read what it recorded."""

    def listener(outcome: IngestOutcome) -> None:
        if leases.hold(HISTORY_JOB):
            history.update(outcome.revision)

    return listener


__all__ = [  # the builders of the ingest and the entities live beside them; named here as before
    "Services",
    "build_ingestor",
    "build_services",
    "edit_url_prefix",
    "entity_context",
    "git_token",
    "gitops_repository",
    "location_prefix",
]
