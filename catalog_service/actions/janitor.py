"""The copy janitor (docs/self-service.md#copy-database): every ``copies.checkSeconds``, the
replica holding the job's lease (``db/leases.py``) looks for database copies whose ``expiresAt``
has passed and opens one pull request per copy that removes it from its manifest.

Exactly once, whichever replica finds it and across restarts: the removal's branch is named
after the copy and its expiry (the same name on every replica), an existing identical branch
with its open pull request is reused (``ActionService``), and a copy whose removal branch the
janitor already pushed (its succeeded audit row) is not looked at again. Each removal is audited
as done by ``platform:janitor``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime

from catalog_service.actions.copy_plans import plan_remove_copy, removal_branch
from catalog_service.actions.plans import _text
from catalog_service.actions.schemas import RemoveCopyInput
from catalog_service.actions.service import ActionService
from catalog_service.db import audit
from catalog_service.db.leases import JobLeases
from catalog_service.domain.catalog import Catalog
from catalog_service.domain.copies import LocatedCopy, utc_text
from catalog_service.domain.entities import utc_now
from catalog_service.errors import CatalogError
from catalog_service.ingest.ingestor import Snapshot
from catalog_service.vocabulary import JANITOR_ACTOR

logger = logging.getLogger(__name__)

JOB = "copy-janitor"
JANITOR = JANITOR_ACTOR  # requestedBy of the removals: the platform itself
LEASE_RETRY_SECONDS = 30.0


@dataclass(frozen=True, slots=True)
class PassOutcome:
    """What one pass did: expired copies seen, removal pull requests opened (or answered), copies
    skipped (their removal pushed already), removals that failed (tried again next pass)."""

    held: bool
    expired: int = 0
    removed: int = 0
    skipped: int = 0
    failed: int = 0


def expired_copies(catalog: Catalog, now: datetime) -> Iterator[LocatedCopy]:
    """Every copy in the catalog whose ``expiresAt`` is not after ``now``."""
    for app in catalog.applications:
        if app.copies:
            for copy in app.copies:
                if copy.copy.expires_at <= now:
                    yield copy


def removal_request(copy: LocatedCopy) -> RemoveCopyInput:
    return RemoveCopyInput.model_validate(
        {
            "application": copy.application,
            "component": copy.copy.component,
            "from": copy.copy.source_environment,
            "to": copy.environment,
            "expiresAt": utc_text(copy.copy.expires_at),
            "requestedBy": JANITOR,
        }
    )


@dataclass
class Janitor:
    actions: ActionService
    snapshot: Callable[[], Snapshot | None]
    read: Callable[[str, str], bytes | None]  # (revision, path) -> bytes
    leases: JobLeases
    clock: Callable[[], datetime] = utc_now

    def pass_once(self) -> PassOutcome:
        """One look for expired copies, on this replica only while it holds the lease."""
        if not self.leases.hold(JOB):
            return PassOutcome(held=False)
        snap = self.snapshot()
        if snap is None:
            return PassOutcome(held=True)
        expired = [
            (copy, request, removal_branch(request, copy.path))
            for copy in expired_copies(snap.catalog, self.clock())
            for request in (removal_request(copy),)
        ]
        with self.actions.database.session() as session:
            done = audit.branches_done(session, JANITOR, [branch for *_, branch in expired])
        removed = failed = 0
        for copy, request, branch in expired:
            if branch in done:
                continue
            try:
                removed += self._remove(snap, copy, request)
            except CatalogError as error:
                failed += 1
                logger.warning(
                    "removing the expired copy %s failed (retried): %s", copy.name, error
                )
        skipped = len(expired) - removed - failed
        return PassOutcome(True, len(expired), removed, skipped, failed)

    def _remove(self, snap: Snapshot, copy: LocatedCopy, request: RemoveCopyInput) -> bool:
        """One removal's branch and pull request; False when there was nothing to remove (the
        application or its file went away meanwhile)."""
        data = self.read(snap.revision, copy.path)
        if data is None:
            return False
        plan = plan_remove_copy(request, _text(copy.path, data), copy.path)
        return self.actions.remove_copy(request, lambda _snap: plan).changed

    async def run_forever(self, check_seconds: float) -> None:
        """A pass every ``check_seconds`` (the lease asked at least every 30 s), until cancelled;
        a failure is logged and the next pass tries again."""
        while True:
            try:
                outcome = await asyncio.to_thread(self.pass_once)
            except Exception:
                logger.exception("the copy janitor's pass failed (tried again later)")
                outcome = PassOutcome(held=True)
            if outcome.removed:
                logger.info("copy janitor: %d removal pull request(s) opened", outcome.removed)
            wait = check_seconds if outcome.held else min(LEASE_RETRY_SECONDS, check_seconds)
            await asyncio.sleep(wait)
