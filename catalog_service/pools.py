"""Bounded pools, one per kind of blocking work, so that one kind stuck (a push to a remote that
never answers, a check waiting out GitHub's rate limit) never holds up another, and never the
reads and health checks, which do not run in any of these pools.

A pool has ``size`` threads of its own; a caller waits at most ``queue_seconds`` for a turn and is
then refused with :class:`~catalog_service.errors.BusyError` (429 with ``Retry-After``).
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TypeVar

from catalog_service.errors import BusyError

T = TypeVar("T")


@dataclass(frozen=True)
class PoolLimits:
    """How many of each kind of work run at once, and how long a request waits for a turn."""

    actions: int = 8  # self-service actions (each may wait on git and GitHub)
    action_queue_seconds: float = 10.0
    action_retry_after_seconds: int = 10
    checks: int = 2  # pull-request checks (GitHub calls that may wait out a rate limit)
    deliveries: int = 2  # a delivery's other work: recording a merged pull request
    webhooks: int = 4  # storing a delivery as it arrives (short database writes)


class WorkPool:
    """Blocking work on ``size`` threads of its own, off the event loop."""

    def __init__(
        self,
        what: str,
        size: int,
        *,
        queue_seconds: float = 0.0,
        retry_after_seconds: int = 1,
    ) -> None:
        self.what = what
        self.size = size
        self.queue_seconds = queue_seconds
        self.retry_after_seconds = retry_after_seconds
        # Threads hand the interpreter back to the event loop every millisecond rather than
        # every 5 ms (the default): requests keep being answered while the work runs.
        sys.setswitchinterval(min(sys.getswitchinterval(), 0.001))
        self._slots = asyncio.Semaphore(size)
        self._running = 0
        self._threads = ThreadPoolExecutor(size, thread_name_prefix=what)

    @property
    def free(self) -> int:
        """Turns to be had without waiting."""
        return self.size - self._running

    async def run(self, work: Callable[[], T], *, patient: bool = False) -> T:
        """``work``'s result, once it had a turn: :class:`BusyError` when none came within
        ``queue_seconds``; ``patient`` (background work, not a request) waits for one."""
        try:
            await asyncio.wait_for(self._slots.acquire(), None if patient else self.queue_seconds)
        except TimeoutError:
            raise BusyError(
                f"{self.size} {self.what} requests are running; try again in a moment",
                self.retry_after_seconds,
            ) from None
        self._running += 1
        loop = asyncio.get_running_loop()

        def release() -> None:
            self._running -= 1
            self._slots.release()

        def guarded() -> T:
            try:
                return work()
            finally:
                # Freed when the work ends, not when the caller goes away: at most ``size``
                # threads ever run this kind of work.
                with contextlib.suppress(RuntimeError):  # the loop is closed: nobody waits
                    loop.call_soon_threadsafe(release)

        try:
            future = loop.run_in_executor(self._threads, guarded)
        except BaseException:
            release()
            raise
        return await asyncio.shield(future)

    def close(self) -> None:
        self._threads.shutdown(wait=False, cancel_futures=True)


@dataclass
class WorkPools:
    """The service's pools, one per kind of work."""

    actions: WorkPool
    checks: WorkPool
    deliveries: WorkPool
    webhooks: WorkPool

    @classmethod
    def of(cls, limits: PoolLimits) -> WorkPools:
        return cls(
            actions=WorkPool(
                "action",
                limits.actions,
                queue_seconds=limits.action_queue_seconds,
                retry_after_seconds=limits.action_retry_after_seconds,
            ),
            checks=WorkPool("pull-request check", limits.checks),
            deliveries=WorkPool("webhook work", limits.deliveries),
            webhooks=WorkPool("webhook", limits.webhooks, queue_seconds=5.0),
        )

    def close(self) -> None:
        for pool in (self.actions, self.checks, self.deliveries, self.webhooks):
            pool.close()
