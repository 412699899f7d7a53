"""Pull-request records: recorded once per repository and number (also from threads at once),
filters, cursor paging most recently merged first, counts for the metrics."""

from __future__ import annotations

import datetime as dt

from catalog_service.db import Database, pull_requests
from tests.db.support import run_together

MERGED = dt.datetime(2026, 4, 1, 12, 0, tzinfo=dt.UTC)


def record(
    db: Database,
    number: int,
    *,
    repository: str = "acme/gitops",
    author: str = "dana",
    autonomous: bool = True,
    day: int = 0,
    title: str | None = None,
) -> bool:
    with db.session() as session:
        return pull_requests.record_if_absent(
            session,
            repository=repository,
            number=number,
            title=title or f"Add application {number}",
            author=author,
            merged_at=MERGED + dt.timedelta(days=day),
            paths=[f"apps/shop/app-{number}.yaml"],
            autonomous=autonomous,
            approved_by_platform=not autonomous,
            merge_commit_sha=f"{number:040x}",
            url=f"https://github.com/{repository}/pull/{number}",
        )


def test_a_record_keeps_every_field(database: Database) -> None:
    assert record(database, 12, autonomous=False)
    with database.session() as session:
        pr = pull_requests.get(session, "acme/gitops", 12)
    assert pr is not None
    assert (pr.repository, pr.number, pr.title, pr.author) == (
        "acme/gitops",
        12,
        "Add application 12",
        "dana",
    )
    assert pr.merged_at == MERGED
    assert pr.merge_commit_sha == f"{12:040x}"
    assert pr.paths == ["apps/shop/app-12.yaml"]
    assert (pr.autonomous, pr.approved_by_platform) == (False, True)
    assert pr.url == "https://github.com/acme/gitops/pull/12"
    assert pr.recorded_at.tzinfo == dt.UTC


def test_recording_twice_changes_nothing(database: Database) -> None:
    assert record(database, 1)
    assert not record(database, 1, title="A later title", author="eve")
    assert record(database, 1, repository="acme/other")  # unique per repository and number
    with database.session() as session:
        pr = pull_requests.get(session, "acme/gitops", 1)
        assert pr is not None
        assert (pr.title, pr.author) == ("Add application 1", "dana")
        assert pull_requests.recorded_numbers(session, "acme/gitops") == {1}


def test_the_same_pull_request_from_many_threads_at_once(database: Database) -> None:
    # The webhook, the reconcile job and a second replica: one row, no error.
    results = run_together(8, lambda index: record(database, 5, title=f"from thread {index}"))
    assert sorted(results) == [False] * 7 + [True]
    with database.session() as session:
        page = pull_requests.list_records(session)
    assert [pr.number for pr in page.items] == [5]


def test_different_pull_requests_from_many_threads(database: Database) -> None:
    assert run_together(8, lambda index: record(database, 100 + index)) == [True] * 8
    with database.session() as session:
        assert pull_requests.recorded_numbers(session, "acme/gitops") == set(range(100, 108))


def test_filters(database: Database) -> None:
    record(database, 1, author="dana", day=0)
    record(database, 2, author="alice", autonomous=False, day=1)
    record(database, 3, author="dana", day=2)
    record(database, 4, repository="acme/other", day=3)
    with database.session() as session:

        def numbers(**filters: object) -> list[int]:
            page = pull_requests.list_records(session, **filters)  # type: ignore[arg-type]
            return [pr.number for pr in page.items]

        assert numbers() == [4, 3, 2, 1]
        assert numbers(repository="acme/gitops") == [3, 2, 1]
        assert numbers(author="dana") == [4, 3, 1]
        assert numbers(autonomous=False) == [2]
        assert numbers(autonomous=True) == [4, 3, 1]
        assert numbers(since=MERGED + dt.timedelta(days=1)) == [4, 3, 2]
        assert numbers(until=MERGED + dt.timedelta(days=1)) == [1]
        assert numbers(author="dana", since=MERGED + dt.timedelta(hours=1)) == [4, 3]


def test_paging_across_pages(database: Database) -> None:
    for number in range(1, 12):
        record(database, number, day=number % 4)  # several merged on the same instant
    seen: list[tuple[dt.datetime, int]] = []
    cursor: str | None = None
    with database.session() as session:
        while True:
            page = pull_requests.list_records(session, cursor=cursor, limit=3)
            assert len(page.items) <= 3
            seen += [(pr.merged_at, pr.id) for pr in page.items]
            cursor = page.next_cursor
            if cursor is None:
                break
    assert len(seen) == 11
    assert seen == sorted(seen, reverse=True)


def test_counts_by_autonomous(database: Database) -> None:
    with database.session() as session:
        assert pull_requests.count_by_autonomous(session) == {False: 0, True: 0}
    record(database, 1)
    record(database, 2)
    record(database, 3, autonomous=False)
    record(database, 3)  # a repeat counts once
    with database.session() as session:
        assert pull_requests.count_by_autonomous(session) == {False: 1, True: 2}
