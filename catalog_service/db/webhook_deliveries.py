"""GitHub webhook deliveries, by ``X-GitHub-Delivery``: a repeated delivery changes nothing.

Deliveries refused for their signature are never stored (nothing from an unsigned request is):
only counted, per event, in ``webhook_rejections``.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select, update
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
) -> bool:
    """Store the delivery; True if it is new. A repeat only counts one more duplicate."""
    values = {
        "delivery_id": delivery_id,
        "event": event,
        "received_at": received_at or dt.datetime.now(dt.UTC),
        "outcome": outcome,
        "duplicates": 0,
    }
    if insert_ignoring_conflicts(session, WebhookDelivery, values, ["delivery_id"]):
        return True
    session.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.delivery_id == delivery_id)
        .values(duplicates=WebhookDelivery.duplicates + 1)
    )
    return False


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
