"""How long does ``GET /dashboard`` take? Prints figures measured in one run beside the target.

    python -m bench.dashboard [--manifests 10000] [--requests 20]

Target (issue 8): under 200 ms with 10,000 manifests. The real app over a real uvicorn server,
the catalog ingested from the generator of bench/ingest.py; the database holds a year of daily
history (one row per system and type each day, as the history walk writes them), 2,000 merged
manifest pull requests and 2,000 action calls spread over that year.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import tempfile
import time
from pathlib import Path
from statistics import median

import httpx

from bench.ingest import SYSTEMS, make_repository, settings_for
from bench.servers import uvicorn_thread
from catalog_service.db import Database, adoption, audit, pull_requests
from catalog_service.http.app import app_services, create_app
from catalog_service.ingest import IngestOutcome
from catalog_service.service import Services

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
        for number in range(RECORDS):
            pull_requests.record_if_absent(
                session,
                repository="acme/gitops",
                number=number,
                title="Add an application",
                author=f"dev-{number % 40}",
                merged_at=start + step * number,
                paths=[f"apps/app-{number}.yaml"],
                autonomous=number % 3 != 0,
                approved_by_platform=False,
            )
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


def timed_get(client: httpx.Client, url: str) -> float:
    started = time.perf_counter()
    response = client.get(url)
    elapsed = time.perf_counter() - started
    response.raise_for_status()
    return elapsed


async def ingest_and_walk(services: Services) -> IngestOutcome:
    """The first ingest, and the history walk that follows it."""
    outcome = await services.refresher.refresh()
    await services.refresher.settled()
    return outcome


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--manifests", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=20)
    args = parser.parse_args()
    target = TARGET_SECONDS * 1000
    with tempfile.TemporaryDirectory(prefix="bench-dashboard-") as folder:
        root = Path(folder)
        repo = make_repository(root, args.manifests)
        settings = settings_for(repo, root / "cache")
        database_url = f"sqlite:///{root / 'catalog.db'}"
        settings = settings.model_copy(
            update={"database": settings.database.model_copy(update={"url": database_url})}
        )
        app = create_app(settings, poll=False)
        services = app_services(app)
        with uvicorn_thread(app) as base, httpx.Client(timeout=60) as client:
            outcome = asyncio.run(ingest_and_walk(services))
            print(f"{args.manifests} manifests: {outcome.entities} entities, ingested")
            fill_database(services.database, args.manifests, dt.datetime.now(dt.UTC).date())
            print(f"database: {DAYS} days of history, {RECORDS} pull requests, {RECORDS} calls")
            for period in ("30d", "90d", "1y"):
                url = f"{base}/dashboard?period={period}"
                first = timed_get(client, url)
                times = [timed_get(client, url) for _ in range(args.requests)]
                size = len(client.get(url).content)
                print(
                    f"GET /dashboard?period={period:3}: first {first * 1000:6.1f} ms,"
                    f" median {median(times) * 1000:6.1f} ms, max {max(times) * 1000:6.1f} ms"
                    f"  (target {target:.0f} ms; page {size / 1024:.0f} KiB)"
                )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
