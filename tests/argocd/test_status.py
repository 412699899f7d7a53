"""``GET /api/v1/applications/{name}/status``: git's versions with Argo CD's sync, health and
unhealthy pods per environment, cached per application (one fetch however many ask), and git's
view alone, saying why, when Argo CD is not configured, down or slow."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from typing import Any

import pytest
from fastapi.testclient import TestClient

from catalog_service.argocd.status import (
    BACKOFF_SECONDS,
    STALE_SECONDS,
    StatusService,
)
from catalog_service.http.app import create_app
from catalog_service.service import build_ingestor
from tests.actions.conftest import AUTH
from tests.actions.test_restart_application import MANIFEST, _seed
from tests.support.argocd_double import TOKEN, ArgoCDDouble, crash_looping, deployment, pod
from tests.support.repos import GitOpsRepo
from tests.support.servers import HangingServer, free_port
from tests.support.settings import SettingsFactory

APP = "payments-api"
Serve = Callable[..., TestClient]


@pytest.fixture
def serve(gitops: GitOpsRepo, make_settings: SettingsFactory) -> Iterator[Serve]:
    """``serve(argocd_url | None, **argocd settings)``: the service with the manifest ingested."""
    _seed(gitops)
    with ExitStack() as stack:

        def make(url: str | None, **argocd: Any) -> TestClient:
            extra = {"argocd": {"url": url, "token": TOKEN, **argocd}} if url else {}
            settings = make_settings(**extra)
            ingestor = build_ingestor(settings)
            stack.callback(ingestor.close)
            client = stack.enter_context(TestClient(create_app(settings, ingestor, poll=False)))
            assert ingestor.refresh().status == "applied"
            return client

        yield make


def _status_service(client: TestClient) -> StatusService:
    service: StatusService = client.app.state.services.application_status  # type: ignore[attr-defined]
    return service


def _crashing(argocd: ArgoCDDouble) -> None:
    argocd.add_app(f"{APP}-dev", deployment(APP, "payments-dev"), pod(f"{APP}-1", "payments-dev"))
    argocd.add_app(f"{APP}-staging", deployment(APP, "payments-staging"), sync="OutOfSync")
    argocd.add_app(
        f"{APP}-prod",
        deployment(APP, "payments", health="Degraded"),
        crash_looping(f"{APP}-7d9-abc", "payments", restarts=12),
        pod(f"{APP}-7d9-def", "payments"),
        health="Degraded",
    )


def test_each_environment_has_gits_version_and_argocds_sync_health_and_crashing_pods(
    serve: Serve, argocd_double: ArgoCDDouble
) -> None:
    _crashing(argocd_double)
    client = serve(argocd_double.url)
    response = client.get(f"/api/v1/applications/{APP}/status")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["application"] == APP and body["argocd"] == {"state": "ok", "message": None}
    assert body["observedAt"].endswith("Z")
    dev, staging, prod = body["environments"]
    assert dev == {
        "environment": "dev",
        "version": "1.4.2",
        "argocdApplication": f"{APP}-dev",
        "sync": "Synced",
        "health": "Healthy",
        "pods": [],
        "copies": [],
    }
    assert (staging["version"], staging["sync"]) == ("1.4.1", "OutOfSync")
    assert (prod["version"], prod["health"]) == ("1.3.0", "Degraded")
    assert prod["pods"] == [
        {
            "name": f"{APP}-7d9-abc",
            "namespace": "payments",
            "health": "Degraded",
            "reason": "CrashLoopBackOff",
            "message": f"back-off 5m0s restarting failed container=app pod={APP}-7d9-abc",
            "restartCount": 12,
        }
    ]


def test_argocd_is_asked_once_per_application_within_the_cache(
    serve: Serve, argocd_double: ArgoCDDouble
) -> None:
    _crashing(argocd_double)
    client = serve(argocd_double.url, statusCacheSeconds=60)
    for _ in range(5):
        assert client.get(f"/api/v1/applications/{APP}/status").status_code == 200
    assert len(argocd_double.requests) == 6  # 3 environments: the application and its tree
    assert _status_service(client).fetches == 1


def test_concurrent_requests_for_one_application_share_one_fetch(
    serve: Serve, argocd_double: ArgoCDDouble
) -> None:
    _crashing(argocd_double)
    argocd_double.delay = 0.2
    service = _status_service(serve(argocd_double.url))

    async def many() -> list[str]:
        answers = await asyncio.gather(*(service.status(APP) for _ in range(20)))
        return [answer.state for answer in answers]

    assert asyncio.run(many()) == ["ok"] * 20
    assert service.fetches == 1 and len(argocd_double.requests) == 6


def test_past_the_cache_a_recent_observation_is_answered_at_once_and_refreshed(
    serve: Serve, argocd_double: ArgoCDDouble
) -> None:
    _crashing(argocd_double)
    service = _status_service(serve(argocd_double.url, statusCacheSeconds=1))
    now = [1000.0]
    service.clock = lambda: now[0]
    asyncio.run(service.status(APP))
    argocd_double.delay = 1.0
    argocd_double.apps[f"{APP}-dev"].health = "Missing"

    async def after(seconds: float) -> tuple[str | None, float]:
        now[0] += seconds
        started = time.monotonic()
        answer = await service.status(APP)
        took = time.monotonic() - started
        await asyncio.sleep(1.3)  # the refresh in the background lands
        return answer.environments[0].health, took

    health, took = asyncio.run(after(5))
    assert health == "Healthy" and took < 0.5  # the earlier observation, at once
    assert service.fetches == 2
    assert asyncio.run(service.status(APP)).environments[0].health == "Missing"
    # An observation older than STALE_SECONDS is not answered: the new one is waited for.
    argocd_double.delay = 0.3
    argocd_double.apps[f"{APP}-dev"].health = "Healthy"
    health, took = asyncio.run(after(STALE_SECONDS + 1))
    assert health == "Healthy" and took >= 0.3


def test_without_argocd_git_s_view_says_not_configured(serve: Serve) -> None:
    body = serve(None).get(f"/api/v1/applications/{APP}/status").json()
    assert body["argocd"] == {"state": "not-configured", "message": None}
    assert [(e["environment"], e["version"], e["sync"]) for e in body["environments"]] == [
        ("dev", "1.4.2", None),
        ("staging", "1.4.1", None),
        ("prod", "1.3.0", None),
    ]


def test_argocd_down_or_slow_answers_git_s_view_with_why_never_an_error(
    serve: Serve, argocd_double: ArgoCDDouble
) -> None:
    down = serve(f"http://127.0.0.1:{free_port()}")
    response = down.get(f"/api/v1/applications/{APP}/status")
    assert response.status_code == 200
    body = response.json()
    assert body["argocd"]["state"] == "unavailable"
    assert "cannot be reached" in body["argocd"]["message"]
    assert [e["version"] for e in body["environments"]] == ["1.4.2", "1.4.1", "1.3.0"]
    _crashing(argocd_double)
    argocd_double.delay = 3
    slow = serve(argocd_double.url, timeoutSeconds=0.3)
    started = time.monotonic()
    body = slow.get(f"/api/v1/applications/{APP}/status").json()
    assert time.monotonic() - started < 2
    assert body["argocd"]["state"] == "unavailable"
    assert "did not answer within 0.3 s" in body["argocd"]["message"]
    assert body["environments"][2]["version"] == "1.3.0"
    argocd_double.delay = 0
    argocd_double.tokens = {"another-token-0123456789"}
    refused = serve(argocd_double.url).get(f"/api/v1/applications/{APP}/status").json()
    assert refused["argocd"]["state"] == "unavailable"
    assert "answered 401" in refused["argocd"]["message"]


def test_argocd_accepting_and_never_answering_costs_each_request_the_timeout_only(
    serve: Serve, hanging_server: HangingServer
) -> None:
    client = serve(hanging_server.url.removesuffix("/gitops.git"), timeoutSeconds=0.5)
    for _ in range(3):
        started = time.monotonic()
        response = client.get(f"/api/v1/applications/{APP}/status")
        assert time.monotonic() - started < 2.5
        assert response.status_code == 200
        assert response.json()["argocd"]["state"] == "unavailable"
    assert _status_service(client).fetches == 1  # the failure is cached like an answer


def test_argocd_found_down_is_not_asked_again_for_a_while(
    serve: Serve, argocd_double: ArgoCDDouble
) -> None:
    _crashing(argocd_double)
    argocd_double.delay = 2
    service = _status_service(serve(argocd_double.url, timeoutSeconds=0.2))
    now = [1000.0]
    service.clock = lambda: now[0]
    assert asyncio.run(service.status(APP)).state == "unavailable"
    argocd_double.delay = 0
    now[0] += BACKOFF_SECONDS - 1  # past the cache, still within the back-off
    answer = asyncio.run(service.status(APP))
    assert answer.state == "unavailable" and "did not answer within 0.2 s" in (answer.message or "")
    assert service.fetches == 1
    now[0] += 2  # the back-off is over: asked again, behind the answer

    async def later() -> str:
        assert (await service.status(APP)).state == "unavailable"  # at once, as before
        await asyncio.sleep(0.5)
        return (await service.status(APP)).state

    assert asyncio.run(later()) == "ok"
    assert service.fetches == 2


def test_an_environment_argocd_does_not_have_has_no_sync_or_health(
    serve: Serve, argocd_double: ArgoCDDouble
) -> None:
    argocd_double.add_app(f"{APP}-dev", deployment(APP, "payments-dev"))
    body = serve(argocd_double.url).get(f"/api/v1/applications/{APP}/status").json()
    assert body["argocd"]["state"] == "ok"
    assert [(e["environment"], e["health"]) for e in body["environments"]] == [
        ("dev", "Healthy"),
        ("staging", None),
        ("prod", None),
    ]


def test_the_manifests_live_copies_are_listed_per_environment_and_expired_ones_not(
    gitops: GitOpsRepo, serve: Serve
) -> None:
    manifest = (
        MANIFEST.replace(
            "  environments:",
            "  components:\n    - {name: orders-db, type: postgresql}\n  environments:",
        )
        .replace(
            'staging: {version: "1.4.1"}',
            'staging:\n      version: "1.4.1"\n      copies:\n'
            "        - {component: orders-db, from: prod, expiresAt: '2099-12-03T09:00:00Z'}",
        )
        .replace(
            'dev: {version: "1.4.2"}',
            'dev:\n      version: "1.4.2"\n      copies:\n'
            "        - {component: orders-db, from: prod, expiresAt: '2001-01-01T00:00:00Z'}",
        )
    )
    client = serve(None)
    _seed(gitops, manifest)
    assert client.post("/api/v1/refresh", headers=AUTH).status_code == 200
    response = client.get(f"/api/v1/applications/{APP}/status")
    assert response.status_code == 200, response.text
    assert [env["copies"] for env in response.json()["environments"]] == [
        [],  # dev's expired: the janitor removes it
        [{"component": "orders-db", "from": "prod", "expiresAt": "2099-12-03T09:00:00Z"}],
        [],
    ]


def test_unknown_or_odd_names_are_refused(serve: Serve, argocd_double: ArgoCDDouble) -> None:
    client = serve(argocd_double.url)
    missing = client.get("/api/v1/applications/nope/status")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
    for odd in ("A" * 64, "UPPER", "a..b", "x" * 5000, "%2e%2e"):
        assert client.get(f"/api/v1/applications/{odd}/status").status_code in (404, 422)
    assert argocd_double.requests == []
