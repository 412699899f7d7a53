"""Do reads wait for actions stuck on git? Prints figures measured in one run.

    python -m bench.traffic [--actions 45] [--reads 100]

A real uvicorn server with the service's default pools; ``--actions`` promotions sent at once to
a GitOps remote that accepts connections and never answers (8 wait on git in the actions' pool,
the rest wait for a turn); meanwhile ``/readyz`` and ``/api/v1/entities`` are read ``--reads``
times each, one after another (target: the slowest under 100 ms).
"""

from __future__ import annotations

import argparse
import tempfile
import threading
import time
from pathlib import Path
from statistics import median
from typing import Any

import httpx

from catalog_service.http.app import create_app
from catalog_service.service import build_ingestor
from catalog_service.settings import load_settings
from tests.support.repos import GitOpsRepo
from tests.support.servers import HangingServer, uvicorn_server

READ_TARGET = 0.100
TOKEN = "bench-token-0123456789"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
MANIFEST = """apiVersion: idp/v1alpha1
kind: Application
metadata: {name: app-%d, system: shop, owner: team-shop}
spec:
  type: service
  source: {repository: acme/app}
  image: registry.example.com/app
  environments: {dev: {version: "1.0.1"}, staging: {version: "1.0.0"}}
"""


def report(what: str, seconds: float, target: float) -> None:
    verdict = "ok" if seconds < target else "OVER TARGET"
    print(f"{what:<52} {seconds * 1000:8.1f} ms   target < {target * 1000:.0f} ms   {verdict}")


def promote(base: str, index: int, statuses: list[int]) -> None:
    body = {"application": f"app-{index}", "from": "dev", "requestedBy": "user:default/bench"}
    try:
        answer = httpx.post(
            f"{base}/api/v1/actions/promote-image", json=body, headers=AUTH, timeout=120
        )
        statuses.append(answer.status_code)
    except httpx.HTTPError:
        statuses.append(0)  # the remote was closed at the end


def timed_reads(base: str, path: str, count: int) -> list[float]:
    seconds = []
    with httpx.Client(base_url=base, timeout=30) as client:
        for _ in range(count):
            started = time.perf_counter()
            assert client.get(path).status_code == 200
            seconds.append(time.perf_counter() - started)
    return seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--actions", type=int, default=45)
    parser.add_argument("--reads", type=int, default=100)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as folder, HangingServer() as hang:
        root = Path(folder)
        gitops = GitOpsRepo(root / "gitops")
        for index in range(args.actions):
            gitops.write(f"apps/shop/app-{index}.yaml", MANIFEST % index)
        gitops.commit()
        common: dict[str, Any] = {
            "database": {"url": f"sqlite:///{root / 'catalog.db'}"},
            "auth": {"tokens": [TOKEN]},
        }
        source = {"roots": ["apps"], "cacheDir": str(root / "cache")}
        ingestor = build_ingestor(load_settings(source={"url": gitops.url, **source}, **common))
        stuck = {"url": hang.url, "timeoutSeconds": 600, **source}
        app = create_app(load_settings(source=stuck, **common), ingestor, poll=False)
        statuses: list[int] = []
        with uvicorn_server(app) as base:
            assert httpx.post(f"{base}/api/v1/refresh", headers=AUTH).status_code == 200
            senders = [
                threading.Thread(target=promote, args=(base, i, statuses), daemon=True)
                for i in range(args.actions)
            ]
            for sender in senders:
                sender.start()
            while hang.accepted < min(args.actions, 8):
                time.sleep(0.02)
            waiting = args.actions - len(statuses)
            ready = timed_reads(base, "/readyz", args.reads)
            entities = timed_reads(base, "/api/v1/entities", args.reads)
            hang.__exit__()  # the stuck pushes fail now; the server can stop
        ingestor.close()
    print(f"{waiting} actions waiting ({hang.accepted} on git) while reading")
    report("/readyz, median", median(ready), READ_TARGET)
    report("/readyz, slowest", max(ready), READ_TARGET)
    report("/api/v1/entities, median", median(entities), READ_TARGET)
    report("/api/v1/entities, slowest", max(entities), READ_TARGET)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
