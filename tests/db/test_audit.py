"""Audit entries: append, filters, cursor paging newest first, counts for the metrics."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy.exc import IntegrityError

from catalog_service.db import Database, audit, storable
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


def _add_raw(db: Database, minute: int, inputs: dict[str, object], **text: str) -> int:
    fields = {
        "actor": "user:default/alice",
        "message": "opened",
        "branch": "idp/b",
        "pull_request_url": "https://github.com/acme/gitops/pull/7",
        **text,
    }
    with db.session() as session:
        return audit.add(
            session,
            action="promote-image",
            inputs=inputs,
            dry_run=False,
            outcome="rejected",
            duration_seconds=0.1,
            created_at=START + dt.timedelta(minutes=minute),
            **fields,
        ).id


def test_unencodable_code_points_in_any_field_are_stored_as_replacement_characters(
    database: Database,
) -> None:
    poison = "a\ud800b\x00c\udfff"
    _add_raw(
        database,
        0,
        {poison: poison, "list": [poison, {poison: [poison]}]},
        actor=poison,
        message=poison,
        branch=poison,
        pull_request_url=poison,
    )
    with database.session() as session:
        [entry] = audit.list_entries(session).items
        clean = "a\ufffdb\ufffdc\ufffd"
        assert (entry.actor, entry.message, entry.branch, entry.pull_request_url) == (clean,) * 4
        assert entry.inputs == {clean: clean, "list": [clean, {clean: [clean]}]}
        json.dumps(entry.inputs, ensure_ascii=False).encode("utf-8")  # servable


def test_the_inputs_kept_per_entry_are_at_most_8_kib_with_long_strings_marked(
    database: Database,
) -> None:
    _add_raw(database, 0, {"description": "x" * 5000, "tags": ["t"] * 500})
    _add_raw(database, 1, {f"key{i}": "y" * 1000 for i in range(7600)})  # 7.6 MB
    _add_raw(database, 2, {"v": 1.0, "nan": float("nan"), "deep": _nested(50)})
    _add_raw(database, 3, {"grid": [["w" * 200] * 50] * 50})
    with database.session() as session:
        grid, deep, huge, long = audit.list_entries(session).items
        for entry in (grid, deep, huge, long):
            assert (
                len(json.dumps(entry.inputs, ensure_ascii=False).encode())
                <= storable.MAX_INPUTS_BYTES
            )
        assert long.inputs["description"].endswith("… (2,977 more characters)")
        assert len(long.inputs["description"]) == 2048
        assert long.inputs["tags"][-1] == "… (400 more items)"
        assert huge.inputs["…"] == "7,580 more keys" and len(huge.inputs) == 21
        assert huge.inputs["key0"] == "y" * 105 + "… (895 more characters)"
        assert grid.inputs["bytes"] > 500_000
        assert grid.inputs["truncated"].startswith('{"grid": [["www')
        assert deep.inputs["nan"] == "nan" and deep.inputs["v"] == 1.0
        assert "(nested deeper than 8 levels)" in json.dumps(deep.inputs)


def _nested(depth: int) -> object:
    value: object = "bottom"
    for _ in range(depth):
        value = [value]
    return value


def test_a_page_of_large_entries_stops_at_the_byte_budget_and_continues(
    database: Database,
) -> None:
    for minute in range(300):  # about 8 KiB each: 2.4 MB in all
        _add_raw(database, minute, {f"k{i}": "z" * 1000 for i in range(8)})
    seen: list[int] = []
    cursor: str | None = None
    pages = 0
    while True:
        with database.session() as session:
            page = audit.list_entries(session, cursor=cursor, limit=MAX_LIMIT)
            sizes = [audit.entry_bytes(entry) for entry in page.items]
            seen.extend(entry.id for entry in page.items)
        assert sum(sizes) <= audit.MAX_PAGE_BYTES
        pages += 1
        cursor = page.next_cursor
        if cursor is None:
            break
    assert pages == 3 and len(seen) == len(set(seen)) == 300
