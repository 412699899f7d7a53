"""The reconcile job: webhooks get lost, so every ``github.reconcileMinutes`` the recently merged
pull requests are listed and the missing ones recorded; the first start backfills all of them.
With several replicas, one of them does it at a time (its lease, ``catalog_service.db.leases``)."""

from __future__ import annotations

import asyncio
import logging
from typing import Protocol

from catalog_service.db.leases import JobLeases
from catalog_service.errors import CatalogError

logger = logging.getLogger(__name__)

JOB = "pull-request-reconcile"
# How often a replica that does not hold the job asks for it: the handover after a holder dies.
LEASE_RETRY_SECONDS = 30.0


class Reconciler(Protocol):
    """What the job runs (``PullRequestRecorder``)."""

    def backfill_once(self) -> int | None: ...
    def reconcile(self) -> int: ...


async def reconcile_forever(recorder: Reconciler, minutes: float, leases: JobLeases) -> None:
    """Backfill once (remembered in the database), then reconcile every ``minutes``; a failure
    (GitHub down, a rate limit) is logged and the next round tries again. Until cancelled.
    Only while this replica holds the job's lease; until then it asks every 30 s."""
    backfilled = False
    while True:
        if not await asyncio.to_thread(leases.hold, JOB):
            await asyncio.sleep(min(LEASE_RETRY_SECONDS, minutes * 60))
            continue
        try:
            if not backfilled:
                recorded = await asyncio.to_thread(recorder.backfill_once)
                backfilled = True
                if recorded is not None:
                    logger.info("backfill: recorded %d merged pull requests", recorded)
            recorded = await asyncio.to_thread(recorder.reconcile)
            if recorded:
                logger.info("reconcile: recorded %d missed merged pull requests", recorded)
        except CatalogError as error:
            logger.warning("reconciling merged pull requests failed (retried later): %s", error)
        except Exception:
            logger.exception("reconciling merged pull requests failed (retried later)")
        await asyncio.sleep(minutes * 60)
