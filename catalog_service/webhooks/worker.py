"""Does the work deliveries stored with them (``webhook_deliveries.work``), so that none is lost:
a delivery is ``processed`` only once its work is done. The worker claims pending work in the
database (replicas on one PostgreSQL each take different rows), renews its claims while it works,
and at shutdown hands back what it could not finish; a claim that is not renewed for
``lease_seconds`` (its process was killed) is taken over. A restart resumes what was accepted.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from catalog_service.db import Database, webhook_deliveries
from catalog_service.db.webhook_deliveries import ClaimedWork
from catalog_service.errors import DatabaseError
from catalog_service.pools import WorkPool

logger = logging.getLogger(__name__)

T = TypeVar("T")
Handler = Callable[[Mapping[str, Any]], Awaitable[None]]
LEASE_SECONDS = 10.0  # a claim not renewed for this long is taken over (its worker died)
POLL_SECONDS = 2.0  # looking for work other replicas stored, and renewing the claims


@dataclass(frozen=True)
class WorkKind:
    """How one kind of work is done, and how many at once (its pool's size)."""

    handle: Handler
    at_once: int


class DeliveryWorker:
    def __init__(
        self,
        database: Database,
        pool: WorkPool,
        kinds: Mapping[str, WorkKind],
        *,
        lease_seconds: float = LEASE_SECONDS,
        poll_seconds: float = POLL_SECONDS,
    ) -> None:
        self.database = database
        self.kinds = dict(kinds)
        self.name = f"worker-{uuid.uuid4().hex[:12]}"  # this process's claims
        self._pool = pool  # the database calls
        self._lease = dt.timedelta(seconds=lease_seconds)
        self._poll_seconds = min(poll_seconds, lease_seconds / 4)
        self._running: dict[str, set[asyncio.Task[None]]] = {kind: set() for kind in kinds}
        self._wake = asyncio.Event()
        self._closing = False

    def wake(self) -> None:
        """New work was stored: look now rather than at the next poll."""
        self._wake.set()

    async def run(self) -> None:
        """Claim and do work until :meth:`close`."""
        self._closing = False  # an app started again (tests) runs its worker again
        # On this event loop, and this run's own: an app whose lifespan runs twice at once (tests
        # with two clients) has two runs, each waiting on the event of its own loop.
        wake = self._wake = asyncio.Event()
        renewed = time.monotonic()
        while not self._closing:
            try:
                await self._claim_more()
                if time.monotonic() - renewed > self._poll_seconds and self._busy():
                    await self._db(lambda: self._renew())
                    renewed = time.monotonic()
            except Exception:  # the database away: the next round tries again
                logger.exception("claiming webhook work failed (retried in a moment)")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wake.wait(), self._poll_seconds)
            wake.clear()

    async def join(self) -> None:
        """Wait until no work is pending or running (tests, and a quiet shutdown)."""
        while self._busy() or await self._db(self._pending) > 0:
            self.wake()
            await asyncio.sleep(0.02)

    async def close(self, grace: float = 5.0) -> None:
        """Stop claiming; let the running work finish for ``grace`` seconds, then hand back what
        is left (pending again, for the next process or another replica)."""
        self._closing = True
        self.wake()
        running = [task for tasks in self._running.values() for task in tasks]
        if running:
            _, unfinished = await asyncio.wait(running, timeout=grace)
            for task in unfinished:
                task.cancel()
            await asyncio.gather(*unfinished, return_exceptions=True)
        try:
            released = await self._db(self._release)
        except DatabaseError as error:  # the database away: their claims lapse by themselves
            logger.warning("could not hand back unfinished webhook deliveries: %s", error)
            return
        if released:
            logger.info("handed back %d unfinished webhook deliveries", released)

    def _busy(self) -> bool:
        return any(self._running.values())

    async def _claim_more(self) -> None:
        for kind, how in self.kinds.items():
            free = how.at_once - len(self._running[kind])
            if free <= 0 or self._closing:
                continue
            for claimed in await self._db(lambda k=kind, n=free: self._claim(k, n)):  # type: ignore[misc]
                task = asyncio.create_task(self._do(kind, claimed), name=claimed.delivery_id)
                self._running[kind].add(task)
                task.add_done_callback(self._running[kind].discard)

    async def _do(self, kind: str, claimed: ClaimedWork) -> None:
        outcome: webhook_deliveries.DeliveryOutcome = "processed"
        try:
            await self.kinds[kind].handle(claimed.work.parameters)
        except Exception:
            logger.exception("the %s work of delivery %s failed", kind, claimed.delivery_id)
            outcome = "failed"
        try:
            await self._db(lambda: self._finish(claimed.delivery_id, outcome))
        except Exception:  # the work is done; a retry of it changes nothing (recorded once)
            logger.exception("marking delivery %s %s failed", claimed.delivery_id, outcome)
        self.wake()

    async def _db(self, work: Callable[[], T]) -> T:
        return await self._pool.run(work, patient=True)

    def _claim(self, kind: str, limit: int) -> list[ClaimedWork]:
        with self.database.session() as session:
            return webhook_deliveries.claim(session, kind, limit, self.name, lease=self._lease)

    def _renew(self) -> None:
        with self.database.session() as session:
            webhook_deliveries.renew(session, self.name)

    def _finish(self, delivery_id: str, outcome: webhook_deliveries.DeliveryOutcome) -> None:
        with self.database.session() as session:
            webhook_deliveries.finish(session, delivery_id, self.name, outcome)

    def _release(self) -> int:
        with self.database.session() as session:
            return webhook_deliveries.release(session, self.name)

    def _pending(self) -> int:
        with self.database.session() as session:
            return webhook_deliveries.pending(session)
