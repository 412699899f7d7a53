"""Keeps the long-lived catalog out of the cyclic garbage collector's way.

An ingest of 10,000 manifests leaves ~175,000 tracked objects that live until the next snapshot.
CPython runs a full collection once the objects promoted since the last one exceed a quarter of
the old generation, so some time after each ingest one of them scans the whole heap (150 to 300
ms measured with 10,000 manifests, the GIL held all along): whichever request allocated at that
moment, often the first ``/metrics`` scrape or ``/dashboard`` after the ingest, waits for it.

After each ingest, :func:`settle_heap` collects once (only what is not yet frozen: the objects
the ingest made, a few ms for a one-file refresh) and then freezes what survived into the
permanent generation, which no later collection scans. Frozen objects are still freed by their
reference counts when a snapshot is replaced; only a reference cycle that was alive when frozen
and dies later would stay (the ingest's own cycles, git watchers and JSON encoders, are already
dead when it runs, and the collection takes them).
"""

from __future__ import annotations

import gc
import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from catalog_service.ingest.ingestor import IngestOutcome

_lock = threading.Lock()  # one process-wide heap: two services in one process take turns


def settle_heap() -> int:
    """Collect the garbage made since the last call, then freeze what is left; the number of
    objects frozen so far."""
    with _lock:
        gc.collect()
        gc.freeze()
        return gc.get_freeze_count()


def settle_after_ingest(outcome: IngestOutcome) -> None:
    """A refresher listener: settle the heap after each applied snapshot (an unchanged ingest
    leaves nothing long-lived behind)."""
    if outcome.status == "applied":
        settle_heap()
