"""How long does one ``GET /metrics`` scrape take? Prints figures measured in one run.

    python -m bench.metrics [--manifests 10000] [--scrapes 20]

Target (issue 8): one scrape under 50 ms with 10,000 manifests, over HTTP from a real uvicorn
server. Figures: the first scrape after an ingest (the per-label aggregation is done then), the
median of later scrapes, and the median when every scrape also reads the database counters.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from statistics import median
from types import SimpleNamespace

import httpx
from fastapi import FastAPI

from bench.ingest import make_repository, settings_for
from bench.servers import uvicorn_thread
from catalog_service.db import Database, pull_requests, upgrade
from catalog_service.http.deps import get_services
from catalog_service.http.routes.metrics import router
from catalog_service.ingest import Ingestor
from catalog_service.metrics import ServiceMetrics
from catalog_service.service import build_ingestor

SCRAPE_TARGET_SECONDS = 0.050


@contextmanager
def serving(metrics: ServiceMetrics) -> Iterator[str]:
    """The metrics router alone over ``metrics``; yields the URL of ``/metrics``."""
    app = FastAPI()
    app.include_router(router)
    app.dependency_overrides[get_services] = lambda: SimpleNamespace(metrics=metrics)
    with uvicorn_thread(app) as base:
        yield f"{base}/metrics"


def timed_scrape(client: httpx.Client, url: str) -> float:
    started = time.perf_counter()
    response = client.get(url)
    elapsed = time.perf_counter() - started
    response.raise_for_status()
    return elapsed


def record_pull_requests(database: Database, count: int) -> None:
    import datetime as dt

    with database.session() as session:
        for number in range(count):
            pull_requests.record_if_absent(
                session,
                repository="acme/gitops",
                number=number,
                title="Add an application",
                author=f"dev-{number % 40}",
                merged_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC) + dt.timedelta(hours=number),
                paths=[f"apps/app-{number}.yaml"],
                autonomous=number % 3 != 0,
                approved_by_platform=False,
            )


def measure(ingestor: Ingestor, database: Database, scrapes: int) -> None:
    cached = ServiceMetrics.for_ingest(ingestor, database)
    reading = ServiceMetrics(
        catalog=lambda: ingestor.snapshot.catalog if ingestor.snapshot else None,
        last_success=lambda: ingestor.last_success_at,
        held_back=lambda: ingestor.held_back is not None,
        database=database,
        database_max_age=0,
    )
    started = time.perf_counter()
    cached.observe_ingest(1.0)  # what the service calls after each ingest: prepares the figures
    prepare = time.perf_counter() - started
    with httpx.Client() as client:
        with serving(cached) as url:
            first = timed_scrape(client, url)
            warm = [timed_scrape(client, url) for _ in range(scrapes)]
            size = len(client.get(url).content)
        with serving(reading) as url:
            timed_scrape(client, url)
            with_db = [timed_scrape(client, url) for _ in range(scrapes)]
    target = SCRAPE_TARGET_SECONDS * 1000
    print(f"exposition: {size / 1024:.0f} KiB")
    print(f"observe_ingest (prepares):     {prepare * 1000:6.1f} ms  (after each ingest)")
    print(f"first scrape after the ingest: {first * 1000:6.1f} ms  (target {target:.0f} ms)")
    print(f"later scrapes, median:         {median(warm) * 1000:6.1f} ms  (target {target:.0f} ms)")
    print(
        f"scrapes reading the database:  {median(with_db) * 1000:6.1f} ms  (target {target:.0f} ms)"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--manifests", type=int, default=10_000)
    parser.add_argument("--scrapes", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-metrics-") as folder:
        root = Path(folder)
        repo = make_repository(root, args.manifests)
        ingestor = build_ingestor(settings_for(repo, root / "cache"))
        outcome = ingestor.refresh()
        print(f"{args.manifests} manifests: {outcome.entities} entities, ingested")
        url = f"sqlite:///{root / 'catalog.db'}"
        upgrade(url)
        database = Database(url)
        record_pull_requests(database, 2_000)
        try:
            measure(ingestor, database, args.scrapes)
        finally:
            database.dispose()
            ingestor.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
