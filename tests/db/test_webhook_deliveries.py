"""Webhook deliveries: a delivery id is stored once; repeats (also at once) only count."""

from __future__ import annotations

import datetime as dt

from catalog_service.db import Database, webhook_deliveries
from tests.db.support import run_together

DELIVERY = "72d3162e-cc78-11e3-81ab-4c9367dc0958"


def deliver(db: Database, delivery_id: str = DELIVERY, event: str = "push") -> bool:
    with db.session() as session:
        return webhook_deliveries.record_if_absent(session, delivery_id, event)


def test_a_delivery_is_new_once(database: Database) -> None:
    assert deliver(database)
    assert not deliver(database)
    assert not deliver(database, event="pull_request")  # the id decides, not the event
    with database.session() as session:
        delivery = webhook_deliveries.get(session, DELIVERY)
    assert delivery is not None
    assert (delivery.event, delivery.outcome, delivery.duplicates) == ("push", "received", 2)
    assert delivery.received_at.tzinfo == dt.UTC


def test_the_same_delivery_from_many_threads_at_once(database: Database) -> None:
    results = run_together(8, lambda _: deliver(database))
    assert sorted(results) == [False] * 7 + [True]
    with database.session() as session:
        delivery = webhook_deliveries.get(session, DELIVERY)
        assert delivery is not None
        assert delivery.duplicates == 7


def test_outcomes_and_counts(database: Database) -> None:
    deliver(database, "a", "push")
    deliver(database, "b", "push")
    deliver(database, "b", "push")
    deliver(database, "c", "pull_request")
    deliver(database, "d", "issues")
    with database.session() as session:
        webhook_deliveries.set_outcome(session, "a", "processed")
        webhook_deliveries.set_outcome(session, "b", "processed")
        webhook_deliveries.set_outcome(session, "d", "ignored")
    with database.session() as session:
        assert webhook_deliveries.count_by_event_outcome(session) == {
            ("push", "processed"): 2,
            ("push", "duplicate"): 1,
            ("pull_request", "received"): 1,
            ("issues", "ignored"): 1,
        }
        assert webhook_deliveries.get(session, "unknown") is None
