"""The webhooks' parts, each given what it needs from the settings and the service's parts."""

from __future__ import annotations

from dataclasses import dataclass

from catalog_service.db import Database
from catalog_service.github.client import GitHubClient
from catalog_service.ingest.refresher import Refresher
from catalog_service.pools import WorkPools
from catalog_service.pull_requests.history import GitHistory
from catalog_service.pull_requests.recorder import PullRequestRecorder
from catalog_service.settings import Settings
from catalog_service.sources.repository import RepositoryIdentity
from catalog_service.webhooks import payloads
from catalog_service.webhooks.events import PullRequestChecks
from catalog_service.webhooks.service import WebhookReceiver
from catalog_service.webhooks.work import MergedRecordWork, PullRequestCheckWork
from catalog_service.webhooks.worker import DeliveryWorker, WorkKind


@dataclass(frozen=True)
class Webhooks:
    receiver: WebhookReceiver
    worker: DeliveryWorker


def build_webhooks(
    settings: Settings,
    *,
    database: Database,
    pools: WorkPools,
    refresher: Refresher,
    repository: RepositoryIdentity,
    recorder: PullRequestRecorder | None,
    checker: PullRequestChecks | None,
    github: GitHubClient | None,
    history: GitHistory | None,
) -> Webhooks:
    kinds: dict[str, WorkKind] = {}
    if checker is not None:
        kinds[payloads.CHECK] = WorkKind(
            PullRequestCheckWork(checker, pools.checks), pools.checks.size
        )
    if recorder is not None:
        record = MergedRecordWork(
            recorder,
            github,
            history,
            fetch=lambda wait: refresher.refresh(wait=wait),
            fetch_wait_seconds=settings.source.timeoutSeconds,
            pool=pools.deliveries,
        )
        kinds[payloads.RECORD] = WorkKind(record, pools.deliveries.size)
    worker = DeliveryWorker(database, pools.webhooks, kinds)
    secret = settings.github.webhookSecret
    receiver = WebhookReceiver(
        secret=secret.get_secret_value().encode() if secret is not None else b"",
        database=database,
        repository=repository,
        branch=settings.source.branch,
        trigger_refresh=refresher.trigger,
        checks=checker is not None,
        pool=pools.webhooks,
        wake_worker=worker.wake,
    )
    return Webhooks(receiver, worker)
