"""How long is the copy janitor's pass over a large catalog? Prints figures, one run.

    python -m bench.janitor [--applications 10000] [--copies 500]

Issue 17's target: the janitor's pass over 10,000 applications with 500 copies under 1 s. The pass
measured is the one every ``copies.checkSeconds`` runs on the lease holder in steady state: every
copy expired, each removal already pushed (its audit row on SQLite), so the pass finds them all,
names their removal branches and asks the database once which are done; no git work. A removal
that has to be pushed costs a branch push and a pull request on top (bench.edits measures one).
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from bench.ingest import manifest
from bench.review import CONTEXT, path_of
from catalog_service.actions.copy_plans import removal_branch
from catalog_service.actions.git_writer import GitWriter
from catalog_service.actions.janitor import JANITOR, Janitor, expired_copies, removal_request
from catalog_service.actions.service import ActionService
from catalog_service.db import Database, audit
from catalog_service.db.leases import SingleReplicaLeases
from catalog_service.db.migrate import upgrade
from catalog_service.domain.catalog import Catalog, assemble, compile_file, copy_warnings
from catalog_service.settings import Settings

TARGET_SECONDS = 1.0
EXPIRED_AT = datetime(2026, 1, 1, tzinfo=UTC)


def with_copy(text: str) -> str:
    copies = '[{component: db, from: prod, expiresAt: "2026-01-01T00:00:00Z"}]'
    return text.replace('.0"}\n    prod:', f'.0", copies: {copies}}}\n    prod:', 1)


def catalog_of(applications: int, copies: int) -> Catalog:
    rng = random.Random(17)
    every = max(1, applications // max(copies, 1))
    files = []
    for index in range(applications):
        text = manifest(index, rng)
        if index % every == 0 and index // every < copies:
            text = with_copy(text)
        files.append(compile_file(path_of(index), text.encode(), CONTEXT))
    files.sort(key=lambda file: file.path)
    return assemble(files, CONTEXT)


def janitor_on(catalog: Catalog, folder: Path, now: datetime) -> Janitor:
    """A janitor whose removals are all recorded as done already (steady state)."""
    url = f"sqlite:///{folder / 'bench.db'}"
    upgrade(url)
    database = Database(url)
    with database.session() as session:
        for copy in expired_copies(catalog, now):
            request = removal_request(copy)
            audit.add(
                session,
                actor=JANITOR,
                action="copy-database",
                inputs=request.model_dump(mode="json", by_alias=True),
                dry_run=False,
                outcome="succeeded",
                message="removed",
                branch=removal_branch(request, copy.path),
                pull_request_url=None,
                duration_seconds=0.1,
            )
    settings = Settings.model_validate({"source": {"url": str(folder)}})
    snapshot: Any = SimpleNamespace(catalog=catalog, revision="0" * 40)
    actions = ActionService(
        settings=settings,
        context=CONTEXT,
        database=database,
        snapshot=lambda: snapshot,
        read=lambda revision, path: None,
        writer=GitWriter(str(folder), ["apps/"]),
    )
    return Janitor(actions, lambda: snapshot, actions.read, SingleReplicaLeases(), lambda: now)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--applications", type=int, default=10_000)
    parser.add_argument("--copies", type=int, default=500)
    args = parser.parse_args()
    started = time.perf_counter()
    catalog = catalog_of(args.applications, args.copies)
    print(
        f"catalog: {len(catalog.applications):,} applications, {args.copies} copies,"
        f" compiled in {time.perf_counter() - started:.1f} s"
    )
    now = EXPIRED_AT + timedelta(hours=1)
    started = time.perf_counter()
    found = list(expired_copies(catalog, now))
    scan = time.perf_counter() - started
    started = time.perf_counter()
    warnings = copy_warnings(catalog, now)
    warn = time.perf_counter() - started
    with tempfile.TemporaryDirectory(prefix="bench-janitor-") as folder:
        janitor = janitor_on(catalog, Path(folder), now)
        janitor.pass_once()  # the database's first connection and caches
        started = time.perf_counter()
        outcome = janitor.pass_once()
        whole = time.perf_counter() - started
        janitor.actions.database.dispose()
    assert len(found) == args.copies == outcome.expired == outcome.skipped, outcome
    assert len(warnings) == args.copies
    print(f"expired copies found (scan of every application): {scan * 1000:7.1f} ms")
    print(f"expiry warnings for /api/v1/problems:              {warn * 1000:7.1f} ms")
    print(f"janitor pass, steady state (all removals done):    {whole * 1000:7.1f} ms")
    print(
        f"pass / target: {whole / TARGET_SECONDS:.3f} (target < {TARGET_SECONDS:.0f} s over"
        " 10,000 applications with 500 copies)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
