"""Records written through the database layer, as the webhook and the actions write them."""

from __future__ import annotations

import datetime as dt

from catalog_service.db import Database, audit, pull_requests, webhook_deliveries

MERGED = dt.datetime(2026, 4, 1, 12, 0, tzinfo=dt.UTC)


def merged_pull_request(db: Database, number: int, *, autonomous: bool) -> None:
    with db.session() as session:
        assert pull_requests.record_if_absent(
            session,
            repository="acme/gitops",
            number=number,
            title=f"Add application {number}",
            author="dana" if autonomous else "platform-pat",
            merged_at=MERGED + dt.timedelta(hours=number),
            paths=[f"apps/shop/app-{number}.yaml"],
            autonomous=autonomous,
            approved_by_platform=not autonomous,
        )


def action_call(db: Database, action: str, outcome: audit.Outcome) -> None:
    with db.session() as session:
        audit.add(
            session,
            actor="dana",
            action=action,
            inputs={"name": "web"},
            dry_run=False,
            outcome=outcome,
            duration_seconds=0.5,
        )


def delivery(db: Database, delivery_id: str, event: str, outcome: str | None) -> None:
    """Store a delivery; ``outcome`` None leaves it received (still being worked on)."""
    with db.session() as session:
        webhook_deliveries.record_if_absent(session, delivery_id, event)
        if outcome is not None:
            webhook_deliveries.set_outcome(session, delivery_id, outcome)  # type: ignore[arg-type]


def rejected(db: Database, event: str) -> None:
    """A delivery refused for its signature: counted, not stored."""
    with db.session() as session:
        webhook_deliveries.count_rejection(session, event)
