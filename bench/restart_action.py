"""How fast are restart-application and the status endpoint? Prints figures measured in one run.

    python -m bench.restart_action [--manifests 10000] [--runs 7]

The service (uvicorn on a loopback port, SQLite audit) serves ``--manifests`` applications
(bench/ingest.py's generator); Argo CD is the double of tests/support/argocd_double.py, each
Argo CD application holding two Deployments and a crash-looping pod. Over real HTTP:
- restart-application end to end: tree read, two restarts, the audit row (target < 200 ms);
- 20 concurrent restarts of different applications (target < 2 s);
- the status of one application among them all, Argo CD's part cached (target < 20 ms);
- with Argo CD answering in 300 ms: the status past its cache still answers git's versions at
  once (target < 20 ms; Argo CD's part is refreshed behind it), and, for information, the first
  status of an application never asked before, which waits for Argo CD.
"""

from __future__ import annotations

import argparse
import subprocess
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path
from statistics import median

import httpx

from bench.ingest import make_repository
from catalog_service.http.app import create_app
from catalog_service.service import build_ingestor
from catalog_service.settings import load_settings
from tests.support.argocd_double import TOKEN, ArgoCDDouble, crash_looping, deployment
from tests.support.servers import uvicorn_server

RESTART_TARGET = 0.200
CONCURRENT_TARGET = 2.0
STATUS_TARGET = 0.020
CONCURRENT = 20
SLOW_ARGOCD = 0.3
CACHE_SECONDS = 1.0
SERVICE_TOKEN = "bench-token-0123456789"
HEADERS = {"Authorization": f"Bearer {SERVICE_TOKEN}"}


def report(what: str, seconds: float, target: float | None) -> None:
    if target is None:
        print(f"{what:<58} {seconds * 1000:9.1f} ms   (no target: waits for Argo CD)")
        return
    verdict = "ok" if seconds < target else "OVER TARGET"
    print(f"{what:<58} {seconds * 1000:9.1f} ms   target < {target * 1000:.0f} ms   {verdict}")


def timed(call: Callable[[], object]) -> float:
    started = time.perf_counter()
    call()
    return time.perf_counter() - started


def app_name(index: int) -> str:
    return f"app-{index:05d}"


def restart(client: httpx.Client, index: int) -> None:
    body = {"application": app_name(index), "environment": "prod", "requestedBy": "user:x/b"}
    response = client.post("/api/v1/actions/restart-application", json=body, headers=HEADERS)
    assert response.status_code == 200, response.text
    assert len(response.json()["restarted"]) == 2


def status(client: httpx.Client, index: int, state: str = "ok") -> None:
    response = client.get(f"/api/v1/applications/{app_name(index)}/status")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["argocd"]["state"] == state, body
    assert [env["environment"] for env in body["environments"]] == ["dev", "staging", "prod"]


def populate(argocd: ArgoCDDouble, count: int) -> None:
    for index in range(count):
        for env in ("dev", "staging", "prod"):
            namespace = f"{app_name(index)}-{env}"
            argocd.add_app(
                f"{app_name(index)}-{env}",
                deployment(app_name(index), namespace),
                deployment(f"{app_name(index)}-worker", namespace),
                crash_looping(f"{app_name(index)}-7d9-abc", namespace),
            )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--manifests", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    used = args.runs + CONCURRENT + 3
    assert args.manifests >= used, f"--manifests must be at least {used}"
    with tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as folder, ArgoCDDouble() as cd:
        root = Path(folder)
        work = make_repository(root, args.manifests)
        remote = root / "remote.git"
        subprocess.run(["git", "clone", "-q", "--bare", str(work), str(remote)], check=True)
        subprocess.run(["git", "-C", str(remote), "config", "gc.auto", "0"], check=True)
        populate(cd, used)
        settings = load_settings(
            source={"url": str(remote), "cacheDir": str(root / "cache"), "pollSeconds": 3600},
            database={"url": f"sqlite:///{root / 'catalog.db'}"},
            auth={"tokens": [SERVICE_TOKEN]},
            argocd={"url": cd.url, "token": TOKEN, "statusCacheSeconds": CACHE_SECONDS},
        )
        ingestor = build_ingestor(settings)
        started = time.perf_counter()
        ingestor.refresh()
        print(f"{args.manifests} manifests ingested in {time.perf_counter() - started:.1f} s")
        with (
            uvicorn_server(create_app(settings, ingestor, poll=False)) as url,
            httpx.Client(base_url=url, timeout=30) as client,
        ):
            figures = measure(client, cd, args.runs)
        ingestor.close()
    restart_one, concurrent, warm, slow_stale, slow_cold = figures
    report("restart-application end to end (median)", restart_one, RESTART_TARGET)
    report(
        f"{CONCURRENT} concurrent restarts of different applications", concurrent, CONCURRENT_TARGET
    )
    report(f"status among {args.manifests} applications, cache warm (median)", warm, STATUS_TARGET)
    report(
        f"status, Argo CD at {SLOW_ARGOCD * 1000:.0f} ms, past the cache (median)",
        slow_stale,
        STATUS_TARGET,
    )
    report(f"status, Argo CD at {SLOW_ARGOCD * 1000:.0f} ms, never asked before", slow_cold, None)
    print(
        f"past the cache, the status takes {slow_stale / SLOW_ARGOCD:.3f}x Argo CD's"
        f" {SLOW_ARGOCD * 1000:.0f} ms (it does not wait for it); never asked before,"
        f" {slow_cold / SLOW_ARGOCD:.2f}x (it does)"
    )
    return 0


def measure(client: httpx.Client, cd: ArgoCDDouble, runs: int) -> tuple[float, ...]:
    restart(client, 0)  # the first call opens the connections
    restart_one = median(timed(partial(restart, client, 1 + run)) for run in range(runs))
    batch = range(runs + 1, runs + 1 + CONCURRENT)
    started = time.perf_counter()
    with ThreadPoolExecutor(CONCURRENT) as pool:
        list(pool.map(lambda index: restart(client, index), batch))
    concurrent = time.perf_counter() - started
    assert len(cd.restarted) == 2 * (1 + runs + CONCURRENT)
    status(client, 0)  # Argo CD asked once: the cache is warm
    warm = median(timed(lambda: status(client, 0)) for _ in range(runs))
    cd.delay = SLOW_ARGOCD
    time.sleep(CACHE_SECONDS + 0.1)  # past the cache: the observation is a second old
    stale = []
    for _ in range(runs):
        stale.append(timed(lambda: status(client, 0)))
        time.sleep(CACHE_SECONDS + 0.1)
    cold = timed(lambda: status(client, runs + CONCURRENT + 2))
    return restart_one, concurrent, warm, median(stale), cold


if __name__ == "__main__":
    raise SystemExit(main())
