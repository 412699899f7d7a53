"""POST /api/v1/webhooks/github: every answer, with real payloads signed as GitHub signs them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from fastapi.testclient import TestClient

from catalog_service.db import webhook_deliveries
from catalog_service.db.models import WebhookDelivery
from catalog_service.service import Services
from catalog_service.settings import Settings
from tests.support.repos import GitOpsRepo
from tests.support.settings import SettingsFactory
from tests.webhooks.support import (
    SECRET,
    URL,
    deliver,
    eventually,
    headers,
    payload,
    running,
    webhook_settings,
)


@pytest.fixture
def settings(make_settings: SettingsFactory, database_url: str) -> Settings:
    return webhook_settings(make_settings, database_url)


@pytest.fixture
def app(settings: Settings, gitops: GitOpsRepo) -> Iterator[tuple[TestClient, Services]]:
    gitops.add_application("web")
    gitops.commit()
    with running(settings) as found:
        yield found


def stored(services: Services) -> list[tuple[str, str, str, int]]:
    with services.database.session() as session:
        rows = session.query(WebhookDelivery).order_by(WebhookDelivery.id).all()
        return [(r.delivery_id, r.event, r.outcome, r.duplicates) for r in rows]


def counts(services: Services) -> dict[tuple[str, str], int]:
    with services.database.session() as session:
        return webhook_deliveries.count_by_event_outcome(session)


def test_ping_answers_200(app: tuple[TestClient, Services]) -> None:
    client, services = app
    response = deliver(client, "ping", payload("ping"), "ping-1")
    assert response.status_code == 200
    assert response.json()["outcome"] == "processed"
    assert stored(services) == [("ping-1", "ping", "processed", 0)]


@pytest.mark.parametrize("signature", [None, "sha256=" + "0" * 64, "sha1=abc", "garbage"])
def test_unsigned_or_wrongly_signed_is_401_and_nothing_stored(
    app: tuple[TestClient, Services], signature: str | None
) -> None:
    client, services = app
    body = json.dumps(payload("push")).encode()
    sent = headers("push", body, "d-1")
    del sent["X-Hub-Signature-256"]
    if signature is not None:
        sent["X-Hub-Signature-256"] = signature
    response = client.post(URL, content=body, headers=sent)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthorized"
    assert "X-Hub-Signature-256" in response.json()["error"]["message"]
    assert stored(services) == []
    assert counts(services) == {("push", "rejected"): 1}
    assert services.refresher.runs == 0


def test_signed_with_another_secret_is_401(app: tuple[TestClient, Services]) -> None:
    client, services = app
    response = deliver(client, "push", payload("push"), secret="not the secret")
    assert response.status_code == 401
    assert stored(services) == []


def test_no_secret_configured_refuses_every_delivery(
    make_settings: SettingsFactory, database_url: str
) -> None:
    settings = webhook_settings(make_settings, database_url, github={"webhookSecret": None})
    with running(settings) as (client, services):
        response = deliver(client, "ping", payload("ping"))
        assert response.status_code == 401
        assert "github.webhookSecret" in response.json()["error"]["message"]
        assert stored(services) == []


def test_an_unknown_event_name_of_a_refused_delivery_is_counted_as_other(
    app: tuple[TestClient, Services],
) -> None:
    client, services = app
    body = b"{}"
    sent = headers("made-up-event-123", body, secret="wrong")
    assert client.post(URL, content=body, headers=sent).status_code == 401
    assert counts(services) == {("other", "rejected"): 1}


def test_over_25_mb_is_413_without_reading_it_all(app: tuple[TestClient, Services]) -> None:
    client, services = app

    def chunks() -> Iterator[bytes]:
        for _ in range(30):  # 30 MiB, in 1 MiB parts, with no Content-Length
            yield b" " * (1024 * 1024)

    signed = {"X-GitHub-Event": "push", "X-Hub-Signature-256": "sha256=" + "0" * 64}
    response = client.post(URL, content=chunks(), headers=signed)
    assert response.status_code == 413
    assert "over 26,214,400 bytes" in response.json()["error"]["message"]
    assert stored(services) == []


def test_malformed_json_with_a_valid_signature_is_400(app: tuple[TestClient, Services]) -> None:
    client, services = app
    response = deliver(client, "push", b'{"ref": "refs/heads/main",')
    assert response.status_code == 400
    assert "JSON" in response.json()["error"]["message"]
    assert stored(services) == []


def test_deeply_nested_json_with_a_valid_signature_is_400(
    app: tuple[TestClient, Services],
) -> None:
    client, services = app
    body = b'{"zen": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    response = deliver(client, "push", body)
    assert response.status_code == 400, response.text
    assert response.json()["error"] == {
        "code": "invalid_request",
        "message": "the body is JSON nested too deeply to be a delivery",
    }
    assert stored(services) == []


def test_a_missing_delivery_id_is_400(app: tuple[TestClient, Services]) -> None:
    client, _ = app
    body = json.dumps(payload("ping")).encode()
    sent = headers("ping", body)
    del sent["X-GitHub-Delivery"]
    assert client.post(URL, content=body, headers=sent).status_code == 400


def test_events_not_handled_are_202_and_counted_as_ignored(
    app: tuple[TestClient, Services],
) -> None:
    client, services = app
    response = deliver(client, "issues", {"action": "opened", "repository": {"full_name": "x/y"}})
    assert response.status_code == 202
    assert response.json()["outcome"] == "ignored"
    assert counts(services) == {("issues", "ignored"): 1}


def test_a_repeated_delivery_answers_200_duplicate_and_changes_nothing(
    app: tuple[TestClient, Services],
) -> None:
    client, services = app
    other_branch = payload("push", ref="refs/heads/feature")
    first = deliver(client, "push", other_branch, "same-id")
    again = deliver(client, "push", payload("push"), "same-id")  # even with another body
    assert first.status_code == 202
    assert again.status_code == 200
    assert again.json() == {"delivery": "same-id", "outcome": "duplicate"}
    assert stored(services) == [("same-id", "push", "ignored", 1)]
    assert services.refresher.runs == 0


def test_the_same_delivery_at_once_is_taken_once(app: tuple[TestClient, Services]) -> None:
    client, services = app
    body = json.dumps(payload("ping")).encode()
    sent = headers("ping", body, "concurrent-id")

    def post(_: int) -> httpx.Response:
        answer: httpx.Response = client.post(URL, content=body, headers=sent)
        return answer

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(post, range(16)))
    outcomes = sorted(answer.json()["outcome"] for answer in answers)
    assert outcomes == ["duplicate"] * 15 + ["processed"]
    assert stored(services) == [("concurrent-id", "ping", "processed", 15)]


def test_a_push_to_another_branch_or_repository_is_ignored(
    app: tuple[TestClient, Services],
) -> None:
    client, services = app
    feature = deliver(client, "push", payload("push", ref="refs/heads/feature"))
    elsewhere = deliver(client, "push", payload("push", repo="acme/other"))
    assert (feature.status_code, feature.json()["outcome"]) == (202, "ignored")
    assert (elsewhere.status_code, elsewhere.json()["outcome"]) == (202, "ignored")
    assert counts(services) == {("push", "ignored"): 2}


def test_a_push_to_the_branch_refreshes_and_the_change_is_served(
    settings: Settings, gitops: GitOpsRepo
) -> None:
    gitops.add_application("web")
    gitops.commit()
    with running(settings, poll=True) as (client, services):
        eventually(lambda: client.get("/api/v1/entities").status_code == 200)
        runs = services.refresher.runs
        gitops.add_application("checkout")
        gitops.commit()
        response = deliver(client, "push", payload("push"))
        assert (response.status_code, response.json()["outcome"]) == (202, "processed")

        def served() -> bool:
            items = client.get("/api/v1/entities").json()["items"]
            return any(item["metadata"]["name"] == "checkout" for item in items)

        eventually(served)
        assert services.refresher.runs == runs + 1
        assert counts(services)[("push", "processed")] == 1


def test_a_push_ignored_for_an_unknown_repository_says_to_set_the_web_url(
    make_settings: SettingsFactory,
    database_url: str,
    gitops: GitOpsRepo,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # A local source and no source.webUrl: which GitHub repository is ours cannot be known.
    settings = make_settings(github={"webhookSecret": SECRET}, database={"url": database_url})
    gitops.add_application("web")
    gitops.commit()
    with running(settings) as (client, services), caplog.at_level("WARNING"):
        runs = services.refresher.runs
        answer = deliver(client, "push", payload("push"), "unknown-repo")
        assert services.refresher.runs == runs
    assert (answer.status_code, answer.json()["outcome"]) == (202, "ignored")
    assert "set source.webUrl" in answer.json()["detail"]
    assert any("set source.webUrl" in record.getMessage() for record in caplog.records)
    assert stored(services) == [("unknown-repo", "push", "ignored", 0)]
