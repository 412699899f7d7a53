"""How long does one ``GET /metrics`` scrape take? Prints figures measured in one run.

    python -m bench.metrics [--manifests 10000] [--rounds 4] [--scrapes 20]

Target (issue 8): every scrape under 50 ms with 10,000 manifests, the first one after a new
snapshot included. The real service over HTTP (bench/after_ingest.py): after each of ``rounds``
one-file ingests, the first scrape at once, then ``scrapes`` more. Also: what preparing a
snapshot's figures costs (the refresher's listener does it), and the median when every scrape
also reads the database counters (they are cached for 2 s in the service).
"""

from __future__ import annotations

import argparse
import datetime as dt
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from statistics import median
from types import SimpleNamespace

import httpx
from fastapi import FastAPI

from bench.after_ingest import (
    GcPasses,
    after_ingests,
    entity_count,
    record_merged_pull_requests,
    running_service,
    timed_get,
)
from bench.ingest import make_repository
from bench.servers import uvicorn_thread
from catalog_service.db import Database
from catalog_service.http.deps import get_services
from catalog_service.http.routes.metrics import router
from catalog_service.ingest.ingestor import Ingestor
from catalog_service.metrics import ServiceMetrics

SCRAPE_TARGET_SECONDS = 0.050


@contextmanager
def serving(metrics: ServiceMetrics) -> Iterator[str]:
    """The metrics router alone over ``metrics``; yields the URL of ``/metrics``."""
    app = FastAPI()
    app.include_router(router)
    app.dependency_overrides[get_services] = lambda: SimpleNamespace(metrics=metrics)
    with uvicorn_thread(app) as base:
        yield f"{base}/metrics"


def record_pull_requests(database: Database, count: int) -> None:
    with database.session() as session:
        start = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
        record_merged_pull_requests(session, count, start, dt.timedelta(hours=1))


def preparing(ingestor: Ingestor, database: Database) -> float:
    """Seconds to prepare the current snapshot's figures, in a metrics object of its own."""
    metrics = ServiceMetrics.for_ingest(ingestor, database)
    started = time.perf_counter()
    metrics.observe_ingest(1.0)
    return time.perf_counter() - started


def reading_database(ingestor: Ingestor, database: Database, scrapes: int) -> list[float]:
    """Scrapes that each read the database counters (no 2 s cache)."""
    reading = ServiceMetrics(
        catalog=lambda: ingestor.snapshot.catalog if ingestor.snapshot else None,
        last_success=lambda: ingestor.last_success_at,
        held_back=lambda: ingestor.held_back is not None,
        database=database,
        database_max_age=0,
    )
    with httpx.Client() as client, serving(reading) as url:
        timed_get(client, url)
        return [timed_get(client, url) for _ in range(scrapes)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--manifests", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=4, help="new snapshots to scrape after")
    parser.add_argument("--scrapes", type=int, default=20, help="later scrapes of each snapshot")
    args = parser.parse_args()
    target = SCRAPE_TARGET_SECONDS
    with tempfile.TemporaryDirectory(prefix="bench-metrics-") as folder:
        root = Path(folder)
        repo = make_repository(root, args.manifests)
        with running_service(repo, root) as (services, base, client):
            print(f"{args.manifests} manifests: {entity_count(client, base)} entities, ingested")
            record_pull_requests(services.database, 2_000)
            url = f"{base}/metrics"
            passes = GcPasses()
            timings = after_ingests(
                client, base, repo, [url], rounds=args.rounds, requests=args.scrapes, passes=passes
            )[url]
            size = len(client.get(url).content)
            prepare = preparing(services.ingestor, services.database)
            with_db = reading_database(services.ingestor, services.database, args.scrapes)
    print(f"exposition: {size / 1024:.0f} KiB; target: every scrape < {target * 1000:.0f} ms")
    print(f"GET /metrics: {timings.line(target)}")
    print(f"{passes.line()} (each ingest's included)")
    print(f"preparing a snapshot's figures (after each ingest): {prepare * 1000:6.1f} ms")
    print(
        f"scrapes reading the database: median {median(with_db) * 1000:5.1f} ms,"
        f" max {max(with_db) * 1000:5.1f} ms; max / target {max(with_db) / target:4.2f}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
