"""The reconcile job: webhooks get lost, so every ``github.reconcileMinutes`` the recently merged
pull requests are listed and the missing ones recorded; the first start backfills all of them."""

from __future__ import annotations

import asyncio
import logging

from catalog_service.errors import CatalogError
from catalog_service.pull_requests.recorder import PullRequestRecorder

logger = logging.getLogger(__name__)


async def reconcile_forever(recorder: PullRequestRecorder, minutes: float) -> None:
    """Backfill once (remembered in the database), then reconcile every ``minutes``; a failure
    (GitHub down, a rate limit) is logged and the next round tries again. Until cancelled."""
    backfilled = False
    while True:
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
