"""The delivery worker on a real database (SQLite and PostgreSQL): two replicas do each delivery's
work once; shutdown hands unfinished work back; a dead worker's claim is taken over."""

from __future__ import annotations

import asyncio
import datetime as dt
import threading
from collections.abc import Iterator, Mapping
from typing import Any

import pytest
from sqlalchemy import select

from catalog_service.db import Database, upgrade, webhook_deliveries
from catalog_service.db.models import WebhookDelivery
from catalog_service.db.webhook_deliveries import Work
from catalog_service.pools import WorkPool
from catalog_service.webhooks.worker import DeliveryWorker, Handler, WorkKind

KIND = "record"


@pytest.fixture
def database(database_url: str) -> Iterator[Database]:
    upgrade(database_url)
    db = Database(database_url)
    try:
        yield db
    finally:
        db.dispose()


def store(database: Database, count: int) -> None:
    with database.session() as session:
        for number in range(count):
            webhook_deliveries.record_if_absent(
                session, f"d-{number}", "pull_request", work=Work(KIND, {"number": number})
            )


def rows(database: Database) -> list[tuple[str, str | None, int]]:
    with database.session() as session:
        found = session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id))
        return [(row.outcome, row.claimed_by, row.attempts) for row in found]


def worker(database_url: str, handle: Handler, **options: float) -> DeliveryWorker:
    """A worker as a replica has it: its own engine and pool."""
    pool = WorkPool("webhook", 4)
    return DeliveryWorker(Database(database_url), pool, {KIND: WorkKind(handle, 4)}, **options)


def test_two_replicas_do_each_delivery_once(database: Database, database_url: str) -> None:
    store(database, 120)
    done: list[int] = []

    async def handle(parameters: Mapping[str, Any]) -> None:
        done.append(parameters["number"])
        await asyncio.sleep(0.001)

    async def both() -> None:
        replicas = [worker(database_url, handle), worker(database_url, handle)]
        runs = [asyncio.create_task(replica.run()) for replica in replicas]
        for replica in replicas:
            await replica.join()
        for replica, run in zip(replicas, runs, strict=True):
            await replica.close()
            await run
            replica.database.dispose()

    asyncio.run(both())
    assert sorted(done) == list(range(120))
    assert {(outcome, claimed) for outcome, claimed, _ in rows(database)} == {("processed", None)}


def test_shutdown_hands_back_what_it_could_not_finish(
    database: Database, database_url: str
) -> None:
    store(database, 3)
    done: list[int] = []

    async def stuck(parameters: Mapping[str, Any]) -> None:
        await asyncio.Event().wait()  # never finishes

    async def handle(parameters: Mapping[str, Any]) -> None:
        done.append(parameters["number"])

    async def stop_then_resume() -> None:
        first = worker(database_url, stuck)
        run = asyncio.create_task(first.run())
        while sum(claimed is not None for _, claimed, _ in rows(database)) < 3:
            await asyncio.sleep(0.02)
        await first.close(grace=0.1)
        await run
        assert rows(database) == [("received", None, 1)] * 3  # pending again, not lost
        second = worker(database_url, handle)
        run = asyncio.create_task(second.run())
        await second.join()
        await second.close()
        await run

    asyncio.run(stop_then_resume())
    assert sorted(done) == [0, 1, 2]
    assert rows(database) == [("processed", None, 2)] * 3


def test_a_dead_workers_claim_is_taken_over_after_the_lease(
    database: Database, database_url: str
) -> None:
    store(database, 2)
    with database.session() as session:  # a worker that claimed them, then was killed
        webhook_deliveries.claim(session, KIND, 2, "killed", lease=dt.timedelta(seconds=20))
    done: list[int] = []

    async def handle(parameters: Mapping[str, Any]) -> None:
        done.append(parameters["number"])

    async def resume() -> None:
        replica = worker(database_url, handle, lease_seconds=0.5)
        run = asyncio.create_task(replica.run())
        await asyncio.sleep(0.2)
        assert done == []  # still the dead worker's
        await replica.join()
        await replica.close()
        await run

    asyncio.run(resume())
    assert sorted(done) == [0, 1]


def test_one_worker_run_on_two_event_loops_at_once_waits_on_each_loops_own_event(
    database: Database, database_url: str
) -> None:
    """An app whose lifespan runs twice at once (a test's two clients) runs its worker twice."""

    async def handle(parameters: Mapping[str, Any]) -> None:
        return None

    shared = worker(database_url, handle, poll_seconds=0.05)
    failures: list[BaseException] = []

    def run_for_a_moment() -> None:
        async def run() -> None:
            task = asyncio.create_task(shared.run())
            await asyncio.sleep(0.5)  # several rounds of waiting, beside the other loop's
            await shared.close(grace=0.1)
            await asyncio.wait_for(task, 5)

        try:
            asyncio.run(run())
        except BaseException as error:  # reported by the assertion below
            failures.append(error)

    threads = [threading.Thread(target=run_for_a_moment) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    shared.database.dispose()
    assert failures == []
