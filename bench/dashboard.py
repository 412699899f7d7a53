"""How long does ``GET /dashboard`` take? Prints figures measured in one run beside the target.

    python -m bench.dashboard [--manifests 10000] [--rounds 3] [--requests 20]

Target (issue 8): every page under 200 ms with 10,000 manifests, the first one after a new
snapshot included. The real service over HTTP (bench/after_ingest.py), the catalog from the
generator of bench/ingest.py; the database holds a year of daily history (one row per system and
type each day, as the history walk writes them), 2,000 merged manifest pull requests and 2,000
action calls spread over that year. For each period: ``rounds`` one-file ingests, the first page
at once after each, then ``requests`` more.
"""

from __future__ import annotations

import argparse
import datetime as dt
import tempfile
from pathlib import Path

from bench.after_ingest import (
    GcPasses,
    after_ingests,
    entity_count,
    record_merged_pull_requests,
    running_service,
)
from bench.ingest import SYSTEMS, make_repository
from catalog_service.dashboard.view import PERIODS
from catalog_service.db import Database, adoption, audit

TARGET_SECONDS = 0.200
DAYS = 365
RECORDS = 2_000


def fill_database(database: Database, manifests: int, today: dt.date) -> None:
    """A year of growth up to ``manifests``, and the pull requests and calls of that year."""
    first = today - dt.timedelta(days=DAYS - 1)
    with database.session() as session:
        for offset in range(DAYS):
            total = manifests * (offset + 1) // DAYS
            counts = {
                ("service", f"system-{s:03d}"): total // SYSTEMS + (s < total % SYSTEMS)
                for s in range(SYSTEMS)
            }
            adoption.replace_day(session, first + dt.timedelta(days=offset), counts)
        start = dt.datetime.combine(first, dt.time(), dt.UTC)
        step = dt.timedelta(days=DAYS) / RECORDS
        record_merged_pull_requests(session, RECORDS, start, step)
        for number in range(RECORDS):
            audit.add(
                session,
                actor=f"dev-{number % 40}",
                action=("create-application", "promote-image")[number % 2],
                inputs={"name": f"app-{number}"},
                dry_run=number % 5 == 0,
                outcome=("succeeded", "succeeded", "failed", "rejected")[number % 4],
                duration_seconds=0.5,
                created_at=start + step * number,
            )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--manifests", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3, help="new snapshots for each period")
    parser.add_argument("--requests", type=int, default=20, help="later pages of each snapshot")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-dashboard-") as folder:
        root = Path(folder)
        repo = make_repository(root, args.manifests)
        with running_service(repo, root) as (services, base, client):
            print(f"{args.manifests} manifests: {entity_count(client, base)} entities, ingested")
            fill_database(services.database, args.manifests, dt.datetime.now(dt.UTC).date())
            print(f"database: {DAYS} days of history, {RECORDS} pull requests, {RECORDS} calls")
            print(f"target: every page < {TARGET_SECONDS * 1000:.0f} ms")
            urls = [f"{base}/dashboard?period={period}" for period in PERIODS]
            passes = GcPasses()
            timings = after_ingests(
                client, base, repo, urls, rounds=args.rounds, requests=args.requests, passes=passes
            )
            for period, url in zip(PERIODS, urls, strict=True):
                size = len(client.get(url).content)
                print(
                    f"GET /dashboard?period={period:3} ({size / 1024:.0f} KiB):"
                    f" {timings[url].line(TARGET_SECONDS)}"
                )
            print(f"{passes.line()} (each ingest's included)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
