"""A GitHub delivery from verified bytes to its answer; the work it asks for runs in the
background (``Services.tasks``) so the answer comes within a second.

Order: the signature first (nothing from an unsigned request is stored, only counted), then the
JSON, then the delivery id (a repeat answers 200 and changes nothing), then the dispatch.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from catalog_service.db import webhook_deliveries
from catalog_service.db.webhook_deliveries import DeliveryOutcome
from catalog_service.errors import AuthenticationError, InvalidRequestError
from catalog_service.github.signatures import verify_signature
from catalog_service.service import Services
from catalog_service.webhooks import payloads, work

logger = logging.getLogger(__name__)

MAX_BODY_BYTES = 25 * 1024 * 1024  # GitHub caps payloads at 25 MB


@dataclass(frozen=True)
class Answer:
    status: int
    body: dict[str, Any]


def verify(services: Services, event: str | None, signature: str | None, body: bytes) -> None:
    """Raise :class:`AuthenticationError` (401) unless ``body`` is signed with the secret; the
    refusal is counted (blocking: the database)."""
    secret = services.settings.github.webhookSecret
    key = secret.get_secret_value().encode() if secret is not None else b""
    if verify_signature(key, body, signature):
        return
    with services.database.session() as session:
        webhook_deliveries.count_rejection(session, payloads.event_label(event))
    if not key:
        raise AuthenticationError("webhooks are disabled: no github.webhookSecret is configured")
    if not signature:
        raise AuthenticationError("send X-Hub-Signature-256 (set the webhook's secret on GitHub)")
    raise AuthenticationError("X-Hub-Signature-256 does not match: check github.webhookSecret")


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


async def receive(services: Services, headers: Mapping[str, str], body: bytes) -> Answer:
    event = headers.get("x-github-event")
    await asyncio.to_thread(verify, services, event, headers.get("x-hub-signature-256"), body)
    payload = parse(body)
    delivery_id = headers.get("x-github-delivery")
    if not event or not delivery_id:
        raise InvalidRequestError("send X-GitHub-Event and X-GitHub-Delivery, as GitHub does")
    if not await asyncio.to_thread(_record, services, delivery_id, event):
        return Answer(200, {"delivery": delivery_id, "outcome": "duplicate"})
    outcome, detail = dispatch(services, event, payload, delivery_id)
    await asyncio.to_thread(_set_outcome, services, delivery_id, outcome)
    status = 200 if event == "ping" else 202
    return Answer(status, {"delivery": delivery_id, "outcome": outcome, "detail": detail})


def _record(services: Services, delivery_id: str, event: str) -> bool:
    with services.database.session() as session:
        return webhook_deliveries.record_if_absent(session, delivery_id, event[:64])


def _set_outcome(services: Services, delivery_id: str, outcome: DeliveryOutcome) -> None:
    with services.database.session() as session:
        webhook_deliveries.set_outcome(session, delivery_id, outcome)


def dispatch(
    services: Services, event: str, payload: Mapping[str, Any], delivery_id: str
) -> tuple[DeliveryOutcome, str]:
    """Start the work the delivery asks for (on the event loop); its outcome and why."""
    if event == "ping":
        return "processed", "pong"
    gitops = services.gitops_repository
    repository = payloads.repository(payload)
    if event not in ("push", "pull_request"):
        return "ignored", f"{event} events are not handled"
    if gitops is None or repository is None or repository.casefold() != gitops.casefold():
        return "ignored", f"{repository} is not the GitOps repository ({gitops})"
    if event == "push":
        branch = services.settings.source.branch
        if payload.get("ref") != f"refs/heads/{branch}":
            return "ignored", f"a push to {payload.get('ref')}, not to refs/heads/{branch}"
        services.refresher.trigger()
        return "processed", "refresh triggered"
    return _pull_request(services, payload, delivery_id)


def _pull_request(
    services: Services, payload: Mapping[str, Any], delivery_id: str
) -> tuple[DeliveryOutcome, str]:
    merged = payloads.merged_pull_request(payload)
    if merged is not None:
        services.tasks.spawn(
            work.record_merged(services, merged, delivery_id), f"record #{merged.number}"
        )
        return "processed", "recording the merged pull request"
    event = payloads.pull_request_event(payload)
    checker = services.pull_request_checker
    if event is None or event.action not in payloads.CHECK_ACTIONS:
        return "ignored", f"pull_request {payload.get('action')} is not handled"
    if checker is None:
        return "ignored", "the pull-request check is not configured"
    services.tasks.spawn(
        work.check(services, checker, event, delivery_id), f"check #{event.number}"
    )
    return "processed", "checking the pull request"
