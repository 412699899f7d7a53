"""Signed deliveries of the payloads in ``tests/fixtures/github/webhooks``, and an app to send
them to: the GitOps repository is ``acme/gitops`` (``source.webUrl``; the source is local)."""

from __future__ import annotations

import copy
import json
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import httpx
from fastapi.testclient import TestClient

from catalog_service.github.client import GitHubClient
from catalog_service.http.app import app_services, create_app
from catalog_service.service import Services
from catalog_service.settings import Settings
from tests.support.github_double import sign
from tests.support.github_payloads import fixture
from tests.support.settings import SettingsFactory

SECRET = "It's a Secret to Everybody, in tests"
REPO = "acme/gitops"
WEB_URL = f"https://github.com/{REPO}"
URL = "/api/v1/webhooks/github"


def payload(name: str, repo: str = REPO, **changes: Any) -> dict[str, Any]:
    """A fixture payload of ``repo``, with top-level ``changes``."""
    data: dict[str, Any] = copy.deepcopy(fixture(f"webhooks/{name}.json"))
    if "repository" in data:
        data["repository"]["full_name"] = repo
        data["repository"]["name"] = repo.split("/")[1]
    data.update(changes)
    return data


def merged_payload(number: int, author: str = "dana", repo: str = REPO) -> dict[str, Any]:
    data = payload("pull_request_closed_merged", repo, number=number)
    data["pull_request"]["number"] = number
    data["pull_request"]["user"]["login"] = author
    data["pull_request"]["title"] = f"Change {number}"
    return data


def headers(
    event: str, body: bytes, delivery: str | None = None, secret: str = SECRET
) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "X-GitHub-Event": event,
        "X-GitHub-Delivery": delivery or str(uuid.uuid4()),
        "X-Hub-Signature-256": sign(secret, body),
    }


def deliver(
    client: TestClient | httpx.Client,
    event: str,
    data: dict[str, Any] | bytes,
    delivery: str | None = None,
    secret: str = SECRET,
) -> httpx.Response:
    body = data if isinstance(data, bytes) else json.dumps(data).encode()
    return client.post(URL, content=body, headers=headers(event, body, delivery, secret))


def webhook_settings(
    make_settings: SettingsFactory, database_url: str, **overrides: Any
) -> Settings:
    github = {"webhookSecret": SECRET, **overrides.pop("github", {})}
    return make_settings(
        source={"webUrl": WEB_URL},
        github=github,
        database={"url": database_url},
        platformTeam=["alice", "bob"],
        **overrides,
    )


@contextmanager
def running(
    settings: Settings, *, poll: bool = False, github: GitHubClient | None = None
) -> Iterator[tuple[TestClient, Services]]:
    with TestClient(create_app(settings, poll=poll, github=github)) as client:
        yield client, app_services(client.app)  # type: ignore[arg-type]


def settle(client: TestClient, services: Services) -> None:
    """Wait for the background work the deliveries started."""
    assert client.portal is not None
    client.portal.call(services.webhooks.worker.join)


def eventually(condition: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "the condition did not come true in time"
        time.sleep(0.02)
