"""What the Backstage frontend plugin asks of the service, timed; one run, targets beside.

    python -m bench.backstage_frontend [--manifests 10000] [--audit-rows 100000] [--views 20]

Targets (issue 15), with 10,000 applications and 100,000 audit rows:
- the entity card: at most two requests per entity page view (it makes two, at once:
  ``GET /api/v1/audit?application=<name>&limit=5`` and ``GET /api/v1/applications/<name>/status``,
  issue 17; the versions and links come with the entity), the pair under 50 ms, for an
  application with many entries, with a few, and with none (the worst case: no early stop in the
  newest-first walk); the service here has no ``argocd:``, so status is git's view;
- the /idp page: its first screen (adoption over 30 days by week, the problems, the first audit
  page of 20) answered in under 1 s, the three asked at once as a browser does;
- the plugin's own bundle (``backstage-plugins/plugins/idp/dist``) in kB, when built.
The real service over HTTP (bench/after_ingest.py), the catalog from bench/ingest.py's generator.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
from sqlalchemy import insert

from bench.after_ingest import entity_count, running_service
from bench.ingest import make_repository
from catalog_service.db import Database
from catalog_service.db.audit_application import application_of
from catalog_service.db.models import AuditEntry

CARD_TARGET_SECONDS = 0.050
CARD_REQUESTS_PER_VIEW = 2
CARD_REQUESTS_TARGET = 2
PAGE_TARGET_SECONDS = 1.0
DIST = Path(__file__).resolve().parents[1] / "backstage-plugins" / "plugins" / "idp" / "dist"
BATCH = 10_000
ACTIONS = ("promote-image", "create-application", "set-version", "restart-application")


def fill_audit(database: Database, rows: int, applications: int) -> None:
    """``rows`` calls over the last year; app-00000 gets a tenth of them, app-00001 five,
    app-00002 none, the rest spread over the other applications."""
    now = dt.datetime.now(dt.UTC)
    step = dt.timedelta(days=365) / rows
    with database.session() as session:
        for start in range(0, rows, BATCH):
            batch = []
            for number in range(start, min(start + BATCH, rows)):
                batch.append(_row(number, rows, applications, now - step * (rows - number)))
            session.execute(insert(AuditEntry), batch)


def _row(number: int, rows: int, applications: int, created_at: dt.datetime) -> dict[str, object]:
    if number % 10 == 0:
        name = "app-00000"
    elif number in range(rows // 2, rows // 2 + 5):
        name = "app-00001"
    else:
        name = f"app-{3 + number % max(applications - 3, 1):05d}"
    action = ACTIONS[number % len(ACTIONS)]
    key = "name" if action == "create-application" else "application"
    inputs = {key: name, "from": "dev", "to": "staging"}
    return {
        "created_at": created_at,
        "actor": f"user:default/dev-{number % 40}",
        "action": action,
        "inputs": inputs,
        "application": application_of(action, inputs),
        "dry_run": number % 5 == 0,
        "outcome": ("succeeded", "succeeded", "failed", "rejected")[number % 4],
        "message": "",
        "branch": None,
        "pull_request_url": None,
        "duration_seconds": 0.5,
    }


def timed_get(client: httpx.Client, url: str) -> float:
    started = time.perf_counter()
    response = client.get(url)
    elapsed = time.perf_counter() - started
    if response.status_code != 200:
        raise RuntimeError(f"GET {url} answered {response.status_code}: {response.text[:300]}")
    return elapsed


def card_views(client: httpx.Client, base: str, views: int) -> dict[str, list[float]]:
    """Per case, the wall time of each view: the card's two requests asked at once."""
    figures: dict[str, list[float]] = {}
    cases = (("many entries", "app-00000"), ("five", "app-00001"), ("none", "app-00002"))
    with ThreadPoolExecutor(CARD_REQUESTS_PER_VIEW) as pool:
        for label, name in cases:
            urls = [
                f"{base}/api/v1/audit?application={name}&limit=5",
                f"{base}/api/v1/applications/{name}/status",
            ]

            def view(urls: list[str] = urls) -> float:
                started = time.perf_counter()
                list(pool.map(lambda url: timed_get(client, url), urls))
                return time.perf_counter() - started

            view()  # a warm-up: the connections and the statement cache
            figures[label] = [view() for _ in range(views)]
    return figures


def first_screens(base: str, views: int) -> list[float]:
    since = (dt.datetime.now(dt.UTC).date() - dt.timedelta(days=30)).isoformat()
    urls = [
        f"{base}/api/v1/adoption?from={since}&bucket=week",
        f"{base}/api/v1/problems",
        f"{base}/api/v1/audit?limit=20",
    ]
    timings = []
    with httpx.Client(timeout=120) as client, ThreadPoolExecutor(len(urls)) as pool:
        for _ in range(views):
            started = time.perf_counter()
            list(pool.map(lambda url: timed_get(client, url), urls))
            timings.append(time.perf_counter() - started)
    return timings


def dist_kb() -> str:
    if not DIST.is_dir():
        return "not built (cd backstage-plugins && npm run build)"
    code = sum(p.stat().st_size for p in DIST.rglob("*.js"))
    everything = sum(p.stat().st_size for p in DIST.rglob("*") if p.is_file())
    return f"{code / 1000:.1f} kB of JavaScript ({everything / 1000:.1f} kB with maps and types)"


def verdict(seconds: float, target: float) -> str:
    return "ok" if seconds < target else "MISSED"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--manifests", type=int, default=10_000)
    parser.add_argument("--audit-rows", type=int, default=100_000)
    parser.add_argument("--views", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-backstage-frontend-") as folder:
        root = Path(folder)
        repo = make_repository(root, args.manifests)
        with running_service(repo, root) as (services, base, client):
            print(f"{args.manifests} manifests: {entity_count(client, base)} entities, ingested")
            fill_audit(services.database, args.audit_rows, args.manifests)
            print(f"database: {args.audit_rows} audit rows")
            print(
                f"card: {CARD_REQUESTS_PER_VIEW} requests per entity page view "
                f"(target: at most {CARD_REQUESTS_TARGET})"
            )
            for label, timings in card_views(client, base, args.views).items():
                worst = max(timings)
                median = statistics.median(timings)
                print(
                    f"card, application with {label}: median {median * 1000:.1f} ms, "
                    f"worst {worst * 1000:.1f} ms (target < {CARD_TARGET_SECONDS * 1000:.0f} ms) "
                    f"{verdict(worst, CARD_TARGET_SECONDS)}"
                )
            screens = first_screens(base, args.views)
            worst = max(screens)
            median = statistics.median(screens)
            print(
                f"/idp first screen (3 requests at once): median {median * 1000:.0f} ms, "
                f"worst {worst * 1000:.0f} ms (target < {PAGE_TARGET_SECONDS * 1000:.0f} ms) "
                f"{verdict(worst, PAGE_TARGET_SECONDS)}"
            )
    print(f"plugin bundle (plugins/idp/dist): {dist_kb()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
