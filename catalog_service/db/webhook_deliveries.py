"""GitHub webhook deliveries, by ``X-GitHub-Delivery``: a repeated delivery changes nothing.

Deliveries refused for their signature are never stored (nothing from an unsigned request is):
only counted, per event, in ``webhook_rejections``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import Session

from catalog_service.db.insert import insert_ignoring_conflicts, insert_statement
from catalog_service.db.models import WebhookDelivery, WebhookRejection
from catalog_service.vocabulary import DeliveryOutcome as DeliveryOutcome  # the stored ones


def record_if_absent(
    session: Session,
    delivery_id: str,
    event: str,
    *,
    outcome: DeliveryOutcome = "received",
    received_at: dt.datetime | None = None,
    work: Work | None = None,
) -> bool:
    """Store the delivery, with the ``work`` it asks for; True if it is new. A repeat only counts
    one more duplicate."""
    values: dict[str, Any] = {
        "delivery_id": delivery_id,
        "event": event,
        "received_at": received_at or dt.datetime.now(dt.UTC),
        "outcome": outcome,
        "duplicates": 0,
        "work_kind": work.kind if work else None,
        "work": dict(work.parameters) if work else None,
    }
    if insert_ignoring_conflicts(session, WebhookDelivery, values, ["delivery_id"]):
        return True
    session.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.delivery_id == delivery_id)
        .values(duplicates=WebhookDelivery.duplicates + 1)
    )
    return False


@dataclass(frozen=True)
class Work:
    """What a delivery asks to be done, stored with it: a kind and its JSON parameters."""

    kind: str
    parameters: Mapping[str, Any]


def requeue_failed(session: Session, delivery_id: str, work: Work) -> bool:
    """GitHub's "Redeliver" of a delivery whose work failed: its work is pending again."""
    requeued = session.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.delivery_id == delivery_id, WebhookDelivery.outcome == "failed")
        .values(outcome="received", work_kind=work.kind, work=dict(work.parameters),
                claimed_by=None, claimed_at=None)
    )  # fmt: skip
    return getattr(requeued, "rowcount", 0) == 1


@dataclass(frozen=True)
class ClaimedWork:
    delivery_id: str
    work: Work


def claim(
    session: Session, kind: str, limit: int, worker: str, *, lease: dt.timedelta
) -> list[ClaimedWork]:
    """Up to ``limit`` deliveries' pending work of ``kind``, claimed for ``worker``: unclaimed,
    or claimed longer ago than ``lease`` (that worker died). Replicas on one PostgreSQL skip the
    rows another is claiming (``FOR UPDATE SKIP LOCKED``); the update checks the claim again."""
    now = dt.datetime.now(dt.UTC)
    claimable = and_(
        WebhookDelivery.outcome == "received",
        WebhookDelivery.work_kind == kind,
        or_(WebhookDelivery.claimed_at.is_(None), WebhookDelivery.claimed_at < now - lease),
    )
    rows = session.execute(
        select(WebhookDelivery.id, WebhookDelivery.delivery_id, WebhookDelivery.work)
        .where(claimable)
        .order_by(WebhookDelivery.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    claimed: list[ClaimedWork] = []
    for row_id, delivery_id, parameters in rows:
        taken = session.execute(
            update(WebhookDelivery)
            .where(WebhookDelivery.id == row_id, claimable)
            .values(claimed_by=worker, claimed_at=now, attempts=WebhookDelivery.attempts + 1)
        )
        if getattr(taken, "rowcount", 0) == 1:
            claimed.append(ClaimedWork(delivery_id, Work(kind, parameters or {})))
    return claimed


def renew(session: Session, worker: str) -> None:
    """``worker`` is still at its claims: they are not taken over."""
    session.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.claimed_by == worker, WebhookDelivery.outcome == "received")
        .values(claimed_at=dt.datetime.now(dt.UTC))
    )


def finish(session: Session, delivery_id: str, worker: str, outcome: DeliveryOutcome) -> bool:
    """The work is done (``processed``) or failed; False if the claim was taken over meanwhile."""
    done = session.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.delivery_id == delivery_id, WebhookDelivery.claimed_by == worker)
        .values(outcome=outcome, claimed_by=None, claimed_at=None)
    )
    return getattr(done, "rowcount", 0) == 1


def release(session: Session, worker: str) -> int:
    """Hand ``worker``'s unfinished claims back (at shutdown): the next worker takes them."""
    released = session.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.claimed_by == worker, WebhookDelivery.outcome == "received")
        .values(claimed_by=None, claimed_at=None)
    )
    return int(getattr(released, "rowcount", 0))


def pending(session: Session) -> int:
    """Deliveries whose work is not done yet (claimed or not)."""
    query = select(func.count()).where(
        WebhookDelivery.outcome == "received", WebhookDelivery.work_kind.is_not(None)
    )
    return int(session.scalar(query) or 0)


def set_outcome(session: Session, delivery_id: str, outcome: DeliveryOutcome) -> None:
    session.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.delivery_id == delivery_id)
        .values(outcome=outcome)
    )


def get(session: Session, delivery_id: str) -> WebhookDelivery | None:
    return session.scalar(select(WebhookDelivery).where(WebhookDelivery.delivery_id == delivery_id))


def count_by_event_outcome(session: Session) -> dict[tuple[str, str], int]:
    """``{(event, outcome): deliveries}`` with the repeats as outcome ``duplicate``, the
    refused ones as ``rejected`` and those whose work failed as ``failed``, for
    ``idp_webhook_deliveries_total``."""
    query = select(
        WebhookDelivery.event,
        WebhookDelivery.outcome,
        func.count(),
        func.coalesce(func.sum(WebhookDelivery.duplicates), 0),
    ).group_by(WebhookDelivery.event, WebhookDelivery.outcome)
    counts: dict[tuple[str, str], int] = {}
    for event, stored, deliveries, duplicates in session.execute(query):
        counts[event, stored] = counts.get((event, stored), 0) + deliveries
        if duplicates:
            counts[event, "duplicate"] = counts.get((event, "duplicate"), 0) + int(duplicates)
    for event, rejected in rejections_by_event(session).items():
        counts[event, "rejected"] = rejected
    return counts


def count_rejection(session: Session, event: str) -> None:
    """One more delivery refused for its signature (two at once both count)."""
    statement = insert_statement(session, WebhookRejection).values(event=event, count=1)
    session.execute(
        statement.on_conflict_do_update(
            index_elements=["event"], set_={"count": WebhookRejection.count + 1}
        )
    )


def rejections_by_event(session: Session) -> dict[str, int]:
    return {
        event: count
        for event, count in session.execute(select(WebhookRejection.event, WebhookRejection.count))
    }
