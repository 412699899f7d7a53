"""One pool per kind of work: 45 promotions stuck on a remote that never answers leave the reads
and the health checks answering, and an action that gets no turn is a 429 with Retry-After."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

import httpx

from catalog_service.http.app import create_app
from catalog_service.http.validation import RequestLimits
from catalog_service.pools import PoolLimits
from catalog_service.service import build_ingestor
from tests.support.repos import GitOpsRepo
from tests.support.servers import HangingServer, uvicorn_server
from tests.support.settings import TEST_TOKEN, SettingsFactory

AUTH = {"Authorization": f"Bearer {TEST_TOKEN}"}
STUCK = 45
MANIFEST = """apiVersion: idp/v1alpha1
kind: Application
metadata: {name: app-%d, system: shop, owner: team-shop}
spec:
  type: service
  source: {repository: acme/app}
  image: registry.example.com/app
  environments: {dev: {version: "1.0.1"}, staging: {version: "1.0.0"}}
"""


def promote(base: str, index: int) -> httpx.Response:
    body = {"application": f"app-{index}", "from": "dev", "requestedBy": "user:default/alice"}
    return httpx.post(f"{base}/api/v1/actions/promote-image", json=body, headers=AUTH, timeout=60)


@contextmanager
def stuck_actions(base: str, server: HangingServer, running: int) -> Iterator[list[int]]:
    """``STUCK`` promotions sent at once; yields once ``running`` of them wait on git."""
    statuses: list[int] = []

    def send(index: int) -> None:
        try:
            statuses.append(promote(base, index).status_code)
        except httpx.HTTPError:
            statuses.append(0)

    threads = [threading.Thread(target=send, args=(i,), daemon=True) for i in range(STUCK)]
    for thread in threads:
        thread.start()
    deadline = threading.Event()
    for _ in range(600):
        if server.accepted >= running:
            break
        deadline.wait(0.05)
    assert server.accepted >= running, f"only {server.accepted} pushes reached the remote"
    yield statuses


@contextmanager
def closed_at_exit(server: HangingServer) -> Iterator[None]:
    """The stuck pushes fail when the remote closes: the service can then stop."""
    try:
        yield
    finally:
        server.__exit__()


def test_reads_and_health_answer_while_actions_wait_on_a_hanging_remote(
    gitops: GitOpsRepo, make_settings: SettingsFactory, hanging_server: HangingServer
) -> None:
    for index in range(STUCK):
        gitops.write(f"apps/shop/app-{index}.yaml", MANIFEST % index)
    gitops.commit()
    ingestor = build_ingestor(make_settings())  # ingests from the real remote
    settings = make_settings(source={"url": hanging_server.url, "timeoutSeconds": 600})
    limits = RequestLimits(pools=PoolLimits(actions=2, action_queue_seconds=0.5))
    app = create_app(settings, ingestor, poll=False, limits=limits)
    try:
        with uvicorn_server(app) as base, closed_at_exit(hanging_server):
            assert httpx.post(f"{base}/api/v1/refresh", headers=AUTH).status_code == 200
            with stuck_actions(base, hanging_server, running=2) as statuses:
                # The two in the pool wait on git; the reads do not wait for them.
                ready = httpx.get(f"{base}/readyz", timeout=5)
                assert (ready.status_code, ready.json()["ready"]) == (200, True)
                entities = httpx.get(f"{base}/api/v1/entities", timeout=5)
                assert entities.status_code == 200
                assert f"app-{STUCK - 1}" in entities.text
                assert httpx.get(f"{base}/healthz", timeout=5).status_code == 200
                for _ in range(200):
                    if len(statuses) >= STUCK - 2:
                        break
                    threading.Event().wait(0.05)
                assert statuses.count(429) == STUCK - 2  # no turn within 0.5 s
                busy = promote(base, 0)
                assert busy.status_code == 429
                assert busy.headers["Retry-After"] == "10"
                assert busy.json()["error"]["code"] == "too_many_requests"
                assert busy.json()["error"]["message"].startswith("2 action requests are running")
                audit = httpx.get(f"{base}/api/v1/audit", params={"limit": 5}, timeout=5)
                assert audit.status_code == 200
                assert audit.json()["items"][0]["outcome"] == "rejected"  # the 429, audited
    finally:
        ingestor.close()
