"""After each applied snapshot the service settles the heap: the garbage made so far collected,
what survived frozen, so that no later collection scans the catalog (catalog_service/heap.py)."""

from __future__ import annotations

import asyncio
import gc
import weakref

from catalog_service.ingest.heap import settle_heap
from catalog_service.service import build_services
from tests.support.repos import GitOpsRepo
from tests.support.settings import SettingsFactory


class _Node:
    def __init__(self) -> None:
        self.me = self  # a reference cycle: only the collector frees it


def collectable(obj: object) -> bool:
    """``obj`` is in a generation the collector scans (not frozen)."""
    return any(found is obj for found in gc.get_objects())


def test_an_applied_snapshot_is_frozen_and_the_garbage_before_it_collected(
    gitops: GitOpsRepo, make_settings: SettingsFactory
) -> None:
    gitops.add_application("payments-api")
    gitops.commit()
    services = build_services(make_settings())
    try:
        gc.disable()  # no automatic pass: only the service's own collection can free the cycle
        try:
            garbage = weakref.ref(_Node())
            outcome = asyncio.run(services.refresher.refresh())
        finally:
            gc.enable()
        snapshot = services.ingestor.snapshot
        assert outcome.status == "applied" and snapshot is not None
        assert garbage() is None
        assert gc.is_tracked(snapshot.catalog) and not collectable(snapshot.catalog)
    finally:
        services.close()


def test_an_unchanged_ingest_freezes_nothing_new(
    gitops: GitOpsRepo, make_settings: SettingsFactory
) -> None:
    gitops.add_application("payments-api")
    gitops.commit()
    services = build_services(make_settings())
    try:
        asyncio.run(services.refresher.refresh())
        alive = _Node()  # made after the freeze, alive during the next ingest
        assert asyncio.run(services.refresher.refresh()).status == "unchanged"
        assert collectable(alive)
    finally:
        services.close()


def test_settling_collects_before_it_freezes() -> None:
    gc.disable()
    try:
        garbage = weakref.ref(_Node())
        settle_heap()
    finally:
        gc.enable()
    assert garbage() is None  # collected, not frozen (frozen, it would live on)
