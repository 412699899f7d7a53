"""A GitHub delivery from its headers to its answer, within a second: the work it asks for is
stored with it, in the same transaction, and done afterwards by the
:class:`~catalog_service.webhooks.worker.DeliveryWorker`.

Order: the signature header first, before the body is read (a missing or malformed one is
refused at once); then the body, at most ``MAX_BODY_BYTES``, and its signature (nothing from an
unsigned request is stored, only counted); then the JSON, then the delivery id (a repeat answers
200 and changes nothing), then the dispatch.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from catalog_service.db import Database, webhook_deliveries
from catalog_service.db.webhook_deliveries import DeliveryOutcome, Work
from catalog_service.errors import AuthenticationError, InvalidRequestError
from catalog_service.github.signatures import verify_signature, well_formed
from catalog_service.pools import WorkPool
from catalog_service.sources.repository import RepositoryIdentity
from catalog_service.webhooks import payloads

logger = logging.getLogger(__name__)

# GitHub caps its payloads at 25 MB; the limit is 25 MiB, a little above.
MAX_BODY_BYTES = 25 * 1024 * 1024


@dataclass(frozen=True)
class Answer:
    status: int
    body: dict[str, Any]


@dataclass(frozen=True)
class Dispatch:
    """What a delivery asks for: its outcome, why, and the work to store with it."""

    outcome: DeliveryOutcome
    detail: str
    work: Work | None = None
    refresh: bool = False


@dataclass(frozen=True)
class WebhookReceiver:
    """Takes GitHub's deliveries: what it needs, and nothing more."""

    secret: bytes  # github.webhookSecret; empty: every delivery is refused
    database: Database
    repository: RepositoryIdentity  # which GitHub repository is ours (sources/repository.py)
    branch: str  # source.branch
    trigger_refresh: Callable[[], None]
    checks: bool  # whether pull requests are checked (GitHub configured)
    pool: WorkPool  # the deliveries' database writes
    wake_worker: Callable[[], None]

    async def refuse_early(self, headers: Mapping[str, str]) -> None:
        """Refuse before the body is read when the headers alone say it will be refused."""
        signature = headers.get("x-hub-signature-256")
        if self.secret and well_formed(signature):
            return
        await self.pool.run(lambda: self._count_rejection(headers.get("x-github-event")))
        raise _refusal(self.secret, signature)

    async def receive(self, headers: Mapping[str, str], body: bytes) -> Answer:
        event = headers.get("x-github-event")
        signature = headers.get("x-hub-signature-256")
        if not verify_signature(self.secret, body, signature):
            await self.pool.run(lambda: self._count_rejection(event))
            raise _refusal(self.secret, signature)
        payload = parse(body)
        delivery_id = headers.get("x-github-delivery")
        if not event or not delivery_id:
            raise InvalidRequestError("send X-GitHub-Event and X-GitHub-Delivery, as GitHub does")
        what = self.dispatch(event, payload)
        stored = await self.pool.run(lambda: self._store(delivery_id, event, what))
        if stored is None:
            return Answer(200, {"delivery": delivery_id, "outcome": "duplicate"})
        if what.refresh:
            self.trigger_refresh()
        if what.work is not None:
            self.wake_worker()
        status = 200 if event == "ping" else 202
        return Answer(status, {"delivery": delivery_id, "outcome": what.outcome, "detail": stored})

    def dispatch(self, event: str, payload: Mapping[str, Any]) -> Dispatch:
        """What the delivery asks for (no I/O)."""
        if event == "ping":
            return Dispatch("processed", "pong")
        identity = self.repository
        repository = payloads.repository(payload)
        if event not in ("push", "pull_request"):
            return Dispatch("ignored", f"{event} events are not handled")
        if identity.github is None:
            logger.warning("a %s delivery ignored: %s", event, identity.unknown_reason())
            return Dispatch("ignored", identity.unknown_reason())
        if not identity.is_ours(repository):
            return Dispatch(
                "ignored", f"{repository} is not the GitOps repository ({identity.github})"
            )
        if event == "push":
            if payload.get("ref") != f"refs/heads/{self.branch}":
                ref = payload.get("ref")
                return Dispatch("ignored", f"a push to {ref}, not to refs/heads/{self.branch}")
            return Dispatch("processed", "refresh triggered", refresh=True)
        merged = payloads.merged_pull_request(payload)
        if merged is not None:
            work = payloads.record_work(merged)
            return Dispatch("processed", "recording the merged pull request", work)
        pull = payloads.pull_request_event(payload)
        if pull is None or pull.action not in payloads.CHECK_ACTIONS:
            return Dispatch("ignored", f"pull_request {payload.get('action')} is not handled")
        if not self.checks:
            return Dispatch("ignored", "the pull-request check is not configured")
        return Dispatch("processed", "checking the pull request", payloads.check_work(pull))

    def _store(self, delivery_id: str, event: str, what: Dispatch) -> str | None:
        """The delivery and its work, in one transaction; the answer's detail, or None for a
        repeat (which changes nothing, unless its work had failed: then it is queued again)."""
        # Work to do stays "received" until the worker has done it.
        outcome: DeliveryOutcome = "received" if what.work else what.outcome
        with self.database.session() as session:
            if webhook_deliveries.record_if_absent(
                session, delivery_id, event[:64], outcome=outcome, work=what.work
            ):
                return what.detail
            if what.work and webhook_deliveries.requeue_failed(session, delivery_id, what.work):
                return f"{what.detail} (its work had failed: queued again)"
            return None

    def _count_rejection(self, event: str | None) -> None:
        with self.database.session() as session:
            webhook_deliveries.count_rejection(session, payloads.event_label(event))


def _refusal(secret: bytes, signature: str | None) -> AuthenticationError:
    if not secret:
        return AuthenticationError("webhooks are disabled: no github.webhookSecret is configured")
    if not signature:
        return AuthenticationError("send X-Hub-Signature-256 (set the webhook's secret on GitHub)")
    if not well_formed(signature):
        return AuthenticationError("X-Hub-Signature-256 is not sha256= and 64 hex digits")
    return AuthenticationError("X-Hub-Signature-256 does not match: check github.webhookSecret")


def parse(body: bytes) -> Mapping[str, Any]:
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, ValueError) as error:
        raise InvalidRequestError(
            f"the body is not JSON ({error}): set the webhook's content type to application/json"
        ) from None
    except RecursionError:  # signed, yet nested deeper than any GitHub payload
        raise InvalidRequestError("the body is JSON nested too deeply to be a delivery") from None
    if not isinstance(data, dict):
        raise InvalidRequestError("the body is not a JSON object")
    return data
