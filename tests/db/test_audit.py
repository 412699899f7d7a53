"""Audit entries: append, filters, cursor paging newest first, counts for the metrics."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy.exc import IntegrityError

from catalog_service.db import Database, audit
from catalog_service.db.paging import MAX_LIMIT
from catalog_service.errors import InvalidRequestError

START = dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.UTC)


def add(
    db: Database,
    minute: int,
    *,
    action: str = "promote-image",
    actor: str = "user:default/alice",
    outcome: audit.Outcome = "succeeded",
) -> int:
    with db.session() as session:
        return audit.add(
            session,
            actor=actor,
            action=action,
            inputs={"application": "pay", "to": "prod"},
            dry_run=False,
            outcome=outcome,
            duration_seconds=0.5,
            message="opened pull request #7",
            branch="idp/promote-pay-prod",
            pull_request_url="https://github.com/acme/gitops/pull/7",
            created_at=START + dt.timedelta(minutes=minute),
        ).id


def test_an_entry_keeps_every_field(database: Database) -> None:
    entry_id = add(database, 0)
    with database.session() as session:
        entry = audit.get(session, entry_id)
    assert entry is not None
    assert (entry.actor, entry.action, entry.outcome) == (
        "user:default/alice",
        "promote-image",
        "succeeded",
    )
    assert entry.inputs == {"application": "pay", "to": "prod"}
    assert entry.dry_run is False
    assert entry.message == "opened pull request #7"
    assert entry.branch == "idp/promote-pay-prod"
    assert entry.pull_request_url == "https://github.com/acme/gitops/pull/7"
    assert entry.duration_seconds == 0.5
    assert entry.created_at == START


def test_an_unknown_outcome_is_refused_by_the_database(database: Database) -> None:
    with pytest.raises(IntegrityError):
        add(database, 0, outcome="maybe")  # type: ignore[arg-type]


def test_filters(database: Database) -> None:
    add(database, 0, action="create-application", actor="user:default/bob")
    add(database, 1, action="promote-image", outcome="rejected")
    add(database, 2, action="promote-image")
    add(database, 3, action="promote-image", actor="user:default/bob", outcome="failed")
    with database.session() as session:

        def minutes(**filters: object) -> list[int]:
            page = audit.list_entries(session, **filters)  # type: ignore[arg-type]
            return [int((e.created_at - START).total_seconds() // 60) for e in page.items]

        assert minutes() == [3, 2, 1, 0]
        assert minutes(action="promote-image") == [3, 2, 1]
        assert minutes(actor="user:default/bob") == [3, 0]
        assert minutes(outcome="rejected") == [1]
        assert minutes(since=START + dt.timedelta(minutes=1)) == [3, 2, 1]
        assert minutes(until=START + dt.timedelta(minutes=2)) == [1, 0]
        assert minutes(action="promote-image", actor="user:default/alice", outcome="succeeded") == [
            2
        ]


def test_the_application_filter_reads_each_actions_own_key(database: Database) -> None:
    """``application`` in the inputs of every action; ``name`` in create-application's only."""

    def call(minute: int, action: str, inputs: dict[str, object]) -> None:
        with database.session() as session:
            audit.add(
                session,
                actor="user:default/alice",
                action=action,
                inputs=inputs,
                dry_run=True,
                outcome="succeeded",
                duration_seconds=0.1,
                created_at=START + dt.timedelta(minutes=minute),
            )

    call(0, "create-application", {"name": "pay", "system": "money"})
    call(1, "promote-image", {"application": "pay", "from": "dev"})
    call(2, "promote-image", {"application": "ledger", "name": "pay"})
    call(3, "restart-application", {"application": "pay", "environment": "prod"})
    call(4, "promote-image", {"application": "pay'; --", "from": "dev"})
    call(5, "promote-image", {"application": "zahlungs-ä", "from": "dev"})
    call(6, "promote-image", {"application": ["pay"]})
    with database.session() as session:

        def minutes(application: str) -> list[int]:
            page = audit.list_entries(session, application=application)
            return [int((e.created_at - START).total_seconds() // 60) for e in page.items]

        assert minutes("pay") == [3, 1, 0]
        assert minutes("ledger") == [2]
        assert minutes("pay'; --") == [4]
        assert minutes("zahlungs-ä") == [5]
        assert minutes("nothing") == []


def test_paging_visits_every_entry_once_newest_first(database: Database) -> None:
    # Pairs of entries share an instant: the id orders them, and no page boundary loses one.
    ids = [add(database, minute // 2) for minute in range(25)]
    seen: list[int] = []
    cursor: str | None = None
    pages = 0
    with database.session() as session:
        while True:
            page = audit.list_entries(session, cursor=cursor, limit=7)
            seen += [entry.id for entry in page.items]
            pages += 1
            if page.next_cursor is None:
                break
            cursor = page.next_cursor
    assert pages == 4
    assert seen == sorted(ids, reverse=True)


def test_a_cursor_is_stable_when_newer_entries_arrive(database: Database) -> None:
    for minute in range(6):
        add(database, minute)
    with database.session() as session:
        first = audit.list_entries(session, limit=3)
    add(database, 100)  # newer than everything
    with database.session() as session:
        second = audit.list_entries(session, cursor=first.next_cursor, limit=3)
    assert [e.created_at.minute for e in first.items] == [5, 4, 3]
    assert [e.created_at.minute for e in second.items] == [2, 1, 0]
    assert second.next_cursor is None


@pytest.mark.parametrize("cursor", ["", "not-a-cursor", "WzEsMl0", "WyJ4IiwgMV0", "bnVsbA"])
def test_a_cursor_not_handed_out_is_refused(database: Database, cursor: str) -> None:
    with database.session() as session, pytest.raises(InvalidRequestError, match="invalid cursor"):
        audit.list_entries(session, cursor=cursor)


@pytest.mark.parametrize("limit", [0, -1, MAX_LIMIT + 1])
def test_limits_out_of_range_are_refused(database: Database, limit: int) -> None:
    with database.session() as session, pytest.raises(InvalidRequestError, match="limit"):
        audit.list_entries(session, limit=limit)


def test_counts_by_action_and_outcome(database: Database) -> None:
    add(database, 0, action="create-application")
    add(database, 1, action="create-application", outcome="rejected")
    add(database, 2)
    add(database, 3)
    add(database, 4, outcome="failed")
    with database.session() as session:
        assert audit.count_by_action_outcome(session) == {
            ("create-application", "succeeded"): 1,
            ("create-application", "rejected"): 1,
            ("promote-image", "succeeded"): 2,
            ("promote-image", "failed"): 1,
        }
