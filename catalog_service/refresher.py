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
from catalog_service.ingest import Ingestor, IngestOutcome
from catalog_service.served import ServedSnapshot

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
        self._wake = asyncio.Event()
        self.runs = 0  # ingests started by the schedule or a trigger, for tests and the bench

    def add_listener(self, listener: IngestListener) -> None:
        self._listeners.append(listener)

    def trigger(self) -> None:
        """Ask for an ingest as soon as possible (call on the event loop)."""
        self._wake.set()

    async def refresh(self, force: bool = False, wait: float | None = None) -> IngestOutcome:
        """Ingest now and serve the result once rendered; ``wait`` bounds the wait for an ingest
        already running (then :class:`RefreshInProgressError`)."""
        outcome = await asyncio.to_thread(self._ingestor.refresh, force, wait)
        current = self._ingestor.snapshot
        if current is not None:
            # Rendered here, off the event loop; served (and ready) only once rendered.
            if not current.rendered:
                await asyncio.to_thread(current.warm)
            self._served.promote(current)
        for listener in self._listeners:
            try:
                await asyncio.to_thread(listener, outcome)
            except Exception:
                logger.exception("a listener of the ingest failed (the catalog is not affected)")
        return outcome

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
