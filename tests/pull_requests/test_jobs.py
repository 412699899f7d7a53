"""The reconcile job runs only on the replica that holds its lease, and asks for it again."""

from __future__ import annotations

import asyncio

from catalog_service.pull_requests import jobs


class CountingReconciler:
    def __init__(self) -> None:
        self.backfills = 0
        self.reconciles = 0

    def backfill_once(self) -> int | None:
        self.backfills += 1
        return None

    def reconcile(self) -> int:
        self.reconciles += 1
        return 0


class Leases:
    """Held from the ``free_after``-th ask on: another replica holds the job until then."""

    def __init__(self, free_after: int) -> None:
        self.free_after = free_after
        self.asked = 0

    def hold(self, job: str) -> bool:
        assert job == jobs.JOB
        self.asked += 1
        return self.asked > self.free_after

    def close(self) -> None:
        return None


async def run_for(seconds: float, reconciler: CountingReconciler, leases: Leases) -> None:
    task = asyncio.create_task(jobs.reconcile_forever(reconciler, 0.001, leases))
    await asyncio.sleep(seconds)
    task.cancel()


def test_a_replica_without_the_lease_never_reconciles() -> None:
    reconciler, leases = CountingReconciler(), Leases(free_after=10**9)
    asyncio.run(run_for(0.3, reconciler, leases))
    assert leases.asked > 1, "it asks again"
    assert (reconciler.backfills, reconciler.reconciles) == (0, 0)


def test_the_lease_once_free_is_taken_and_the_job_runs() -> None:
    reconciler, leases = CountingReconciler(), Leases(free_after=3)
    asyncio.run(run_for(0.3, reconciler, leases))
    assert reconciler.backfills == 1 and reconciler.reconciles >= 1
