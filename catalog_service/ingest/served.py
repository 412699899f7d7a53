"""The snapshot the service answers from: the newest one whose bodies are rendered."""

from __future__ import annotations

import threading

from catalog_service.ingest.ingestor import Ingestor, Snapshot


class ServedSnapshot:
    """The snapshot the HTTP API answers from: the newest one that is fully rendered.

    A snapshot just applied is rendered off the event loop (the refresh does it before it
    answers); until then the one before it is served, and before the first, nothing is ready.
    """

    def __init__(self, ingestor: Ingestor) -> None:
        self._ingestor = ingestor
        self._served: Snapshot | None = None
        self._rendering: Snapshot | None = None
        self._lock = threading.Lock()

    def get(self) -> Snapshot | None:
        latest = self._ingestor.snapshot
        if latest is not None and latest is not self._served:
            if latest.rendered:
                self.promote(latest)
            else:
                self._render_in_background(latest)
        return self._served

    def promote(self, snapshot: Snapshot) -> None:
        """Serve ``snapshot`` (rendered) unless a newer one is served already."""
        with self._lock:
            served = self._served
            if served is None or snapshot.created_at >= served.created_at:
                self._served = snapshot

    def _render_in_background(self, snapshot: Snapshot) -> None:
        # A snapshot applied by anyone but the refresh helper (which renders it itself).
        with self._lock:
            if self._rendering is snapshot:
                return
            self._rendering = snapshot

        def render() -> None:
            snapshot.warm()
            self.promote(snapshot)
            snapshot.warm_rest()

        threading.Thread(target=render, name="render-snapshot", daemon=True).start()
