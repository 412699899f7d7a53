"""The request id: the caller's when it is usable, else a new one; answered on every response,
streamed ones too; one log line per request with its fields."""

from __future__ import annotations

import logging

import pytest
from fastapi.testclient import TestClient

from catalog_service.http.app import create_app
from tests.support.settings import SettingsFactory


@pytest.fixture
def client(make_settings: SettingsFactory) -> TestClient:
    return TestClient(create_app(make_settings(), poll=False))


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("build-7f3a:step/2", True),
        ("x" * 128, True),
        ("x" * 129, False),  # too long to be an id: a new one
        ("two words", False),
        ("-starts-with-a-dash", False),
        ("caf\u00e9", False),
        ("", False),
    ],
)
def test_a_usable_request_id_is_kept_and_any_other_replaced(
    client: TestClient, given: str, kept: bool
) -> None:
    with client:
        answer = client.get("/healthz", headers={"X-Request-Id": given.encode()})
    answered = answer.headers["X-Request-Id"]
    assert (answered == given) is kept
    if not kept:
        assert len(answered) == 32 and int(answered, 16) >= 0


def test_every_response_has_its_own_id_and_one_line(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="catalog_service.requests")
    with client:
        first = client.get("/healthz")
        streamed = client.get("/api/v1/entities")  # 503 before a first ingest
        missing = client.get("/nope?token=abc")
    ids = [response.headers["X-Request-Id"] for response in (first, streamed, missing)]
    assert len(set(ids)) == 3
    lines = [r for r in caplog.records if r.name == "catalog_service.requests"]
    assert [(r.method, r.path, r.status, r.requestId) for r in lines] == [  # type: ignore[attr-defined]
        ("GET", "/healthz", 200, ids[0]),
        ("GET", "/api/v1/entities", streamed.status_code, ids[1]),
        ("GET", "/nope", 404, ids[2]),
    ]
    assert all(isinstance(r.durationMs, float) for r in lines)  # type: ignore[attr-defined]
