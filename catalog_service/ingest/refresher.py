"""When ingests run: every ``source.pollSeconds``, and at once when something asks.

Requests that arrive together are merged: a trigger while an ingest runs asks for one more ingest
after it, however many triggers came, and ingests start at most once per ``min_gap`` seconds
(1 s): a trigger after a quiet second ingests at once, and 100 webhook pushes in a second cause
two or three fetches, not 100. Whatever ran the ingest, the same things follow it: the new
snapshot is rendered and served, and the listeners (metrics, adoption history, Backstage events)
hear of it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Sequence

from catalog_service.errors import CatalogError
from catalog_service.ingest.ingestor import Ingestor, IngestOutcome
from catalog_service.ingest.served import ServedSnapshot

logger = logging.getLogger(__name__)

# Told of every completed ingest, in a worker thread; a failing listener is logged, never raised.
IngestListener = Callable[[IngestOutcome], None]


class Refresher:
    """Owns the schedule of ingests and the "refresh now" trigger."""

    def __init__(
        self,
        ingestor: Ingestor,
        served: ServedSnapshot,
        interval: float,
        listeners: Sequence[IngestListener] = (),
        min_gap: float = 1.0,
    ) -> None:
        self._ingestor = ingestor
        self._served = served
        self._interval = interval
        self._min_gap = min(min_gap, interval)
        self._listeners = list(listeners)
        self._background: list[IngestListener] = []
        self._background_tasks: set[asyncio.Task[None]] = set()
        self._background_turn = asyncio.Lock()  # one background pass at a time, in order
        self._wake = asyncio.Event()
        self.runs = 0  # ingests started by the schedule or a trigger, for tests and the bench

    def add_listener(self, listener: IngestListener, *, background: bool = False) -> None:
        """``background``: told after the refresh has answered (slow work, such as walking the
        history), one ingest at a time; otherwise before it answers."""
        (self._background if background else self._listeners).append(listener)

    async def settled(self) -> None:
        """Wait until the background listeners have heard of every ingest so far."""
        while self._background_tasks:
            await asyncio.gather(*list(self._background_tasks), return_exceptions=True)

    def trigger(self) -> None:
        """Ask for an ingest as soon as possible (call on the event loop)."""
        self._wake.set()

    async def refresh(self, force: bool = False, wait: float | None = None) -> IngestOutcome:
        """Ingest now and serve the result once rendered; ``wait`` bounds the wait for an ingest
        already running (then :class:`RefreshInProgressError`)."""
        outcome = await asyncio.to_thread(self._ingest_and_serve, force, wait)
        await self._tell(self._listeners, outcome)
        if self._background:
            task = asyncio.create_task(self._tell_in_turn(outcome))
            self._background_tasks.add(task)
            task.add_done_callback(self._background_tasks.discard)
        return outcome

    def _ingest_and_serve(self, force: bool, wait: float | None) -> IngestOutcome:
        # In one worker thread, off the event loop and without a hop back to it in between:
        # the snapshot is served (and ready) as soon as it is rendered.
        outcome = self._ingestor.refresh(force, wait)
        current = self._ingestor.snapshot
        if current is not None:
            current.warm()
            self._served.promote(current)
            current.warm_rest_in_background()
        return outcome

    async def _tell_in_turn(self, outcome: IngestOutcome) -> None:
        async with self._background_turn:
            await self._tell(self._background, outcome)

    @staticmethod
    async def _tell(listeners: Sequence[IngestListener], outcome: IngestOutcome) -> None:
        for listener in listeners:
            try:
                await asyncio.to_thread(listener, outcome)
            except Exception:
                logger.exception("a listener of the ingest failed (the catalog is not affected)")

    async def run(self) -> None:
        """Ingest now, then whenever triggered or ``interval`` seconds passed; until cancelled."""
        loop = asyncio.get_running_loop()
        while True:
            self._wake.clear()
            self.runs += 1
            started = loop.time()
            try:
                await self.refresh()
            except CatalogError:
                pass  # logged by the ingestor, shown in /readyz; the last good catalog stays
            except Exception:
                logger.exception("unexpected error while ingesting")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self._interval)
            # A burst of triggers (a push per second or more) is merged into one ingest per gap.
            await asyncio.sleep(max(0.0, started + self._min_gap - loop.time()))
