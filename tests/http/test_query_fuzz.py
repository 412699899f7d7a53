"""Every query parameter of every read endpoint, fuzzed: never a 5xx, every 4xx in the error format.

Two passes over the OpenAPI document: schemathesis' generation (valid and invalid values, a fixed
seed), and a table of hostile values (boundary dates with offsets, huge numbers, cursors holding
deep nesting) put into every parameter of every operation.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode

from catalog_service.db.models import AuditEntry
from catalog_service.http.app import app_services, create_app
from catalog_service.service import build_ingestor
from catalog_service.settings import Settings
from tests.db.support import BACKENDS, empty_database
from tests.support.repos import GitOpsRepo
from tests.support.settings import SettingsFactory


def _cursor(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _json_cursor(value: Any) -> str:
    return _cursor(json.dumps(value).encode())


BOUNDARY_TIMES = (
    "9999-12-31T23:59:59-05:00",  # past UTC's last second once converted
    "0001-01-01T00:00:00+05:00",  # before UTC's first
    "9999-12-31T23:59:59.999999",
    "0001-01-01T00:00:00",
    "9999-12-31T23:59:59+23:59",
    "10000-01-01T00:00:00Z",
    "2026-02-30T00:00:00Z",
)
BOUNDARY_DAYS = (
    "9999-12-31",
    "9999-12-01",
    "9999-12-27",
    "0001-01-01",
    "10000-01-01",
    "0000-00-00",
)
HUGE_NUMBERS = (str(10**30), str(-(10**30)), str(2**63), "0", "-1", "1e309", "NaN", "9" * 5000)
HOSTILE_CURSORS = (
    _json_cursor(["2026-01-01T00:00:00+00:00", 10**30]),
    _json_cursor(["2026-01-01T00:00:00+00:00", -(10**30)]),
    _json_cursor(["2026-01-01T00:00:00+00:00", 2**63]),
    _json_cursor(["9999-12-31T23:59:59-05:00", 1]),
    _json_cursor(["0001-01-01T00:00:00+05:00", 1]),
    _json_cursor(["2026-01-01T00:00:00+00:00", "1"]),
    _json_cursor({"at": 1}),
    _cursor(b"[" * 5000 + b"]" * 5000),
    _cursor(b"[" * 20 + b"1" * 5000 + b"]" * 20),
    _cursor(b'["\\ud800", 1]'),
    _cursor(b"\xff\xfe"),
)
# Already percent-encoded: a lone surrogate's UTF-8 form, NUL, an invalid byte.
RAW_VALUES = ("%ED%A0%80", "%00", "%FF", "x" * 10_000, "maybe", "bogus")
HOSTILE_VALUES = (
    tuple(
        quote(value, safe="")
        for value in (*BOUNDARY_TIMES, *BOUNDARY_DAYS, *HUGE_NUMBERS, *HOSTILE_CURSORS)
    )
    + RAW_VALUES
)
# The GET operations that take query parameters (a test checks the document agrees).
QUERIED_READS = ("/api/v1/adoption", "/dashboard", "/api/v1/audit", "/api/v1/pull-requests")
# Pairs that only break together.
COMBINATIONS = (
    ("/api/v1/adoption", {"from": "9999-12-01", "to": "9999-12-31", "bucket": "month"}),
    ("/api/v1/adoption", {"from": "9999-12-20", "to": "9999-12-31", "bucket": "week"}),
    ("/api/v1/adoption", {"from": "9999-12-31", "to": "9999-12-31", "bucket": "day"}),
    ("/api/v1/adoption", {"from": "0001-01-01", "to": "0001-01-31", "bucket": "week"}),
    ("/api/v1/adoption", {"from": "9998-12-01", "to": "9998-12-31", "bucket": "month"}),
    ("/api/v1/audit", {"since": BOUNDARY_TIMES[1], "until": BOUNDARY_TIMES[0]}),
    ("/api/v1/pull-requests", {"since": BOUNDARY_TIMES[1], "until": BOUNDARY_TIMES[0]}),
)


@pytest.fixture
def app(make_settings: SettingsFactory, gitops: GitOpsRepo) -> Iterator[FastAPI]:
    """The service over an ingested catalog: the reads answer 200 when nothing is wrong."""
    yield from _app(make_settings(), gitops)


@pytest.fixture(params=BACKENDS)
def any_backend_app(
    request: pytest.FixtureRequest,
    make_settings: SettingsFactory,
    gitops: GitOpsRepo,
    tmp_path: Path,
) -> Iterator[FastAPI]:
    """The same on SQLite and on PostgreSQL, which refuses what SQLite stores (a NUL)."""
    with empty_database(str(request.param), tmp_path) as url:
        yield from _app(make_settings(database={"url": url}), gitops)


def _app(settings: Settings, gitops: GitOpsRepo) -> Iterator[FastAPI]:
    gitops.add_application("payments-api", system="payments")
    gitops.commit()
    ingestor = build_ingestor(settings)
    assert ingestor.refresh().status == "applied"
    assert ingestor.snapshot is not None
    ingestor.snapshot.warm()
    application = create_app(settings, ingestor, poll=False)
    with TestClient(application):  # runs the lifespan: the database is migrated
        yield application


def read_operations(app: FastAPI) -> list[tuple[str, list[str]]]:
    """(path, query parameter names) of every GET operation in the OpenAPI document."""
    return [
        (path, [p["name"] for p in item["get"].get("parameters", []) if p["in"] == "query"])
        for path, item in app.openapi()["paths"].items()
        if "get" in item
    ]


def assert_answered(response: httpx.Response, what: str) -> None:
    assert response.status_code < 500, f"{what}: {response.status_code} {response.text[:300]}"
    if response.status_code >= 400:
        body = response.json()
        assert set(body) == {"error"}, what
        assert set(body["error"]) == {"code", "message"}, what
        assert body["error"]["message"], what


def test_every_read_endpoint_with_query_parameters_is_fuzzed(app: FastAPI) -> None:
    assert {path for path, names in read_operations(app) if names} == set(QUERIED_READS)


def test_no_hostile_value_in_any_query_parameter_answers_5xx(any_backend_app: FastAPI) -> None:
    app = any_backend_app
    client = TestClient(app, raise_server_exceptions=False)
    tried = 0
    for path, names in read_operations(app):
        for name in names:
            for value in HOSTILE_VALUES:
                response = client.get(f"{path}?{name}={value}")
                assert_answered(response, f"GET {path}?{name}={value[:80]}")
                tried += 1
    for path, params in COMBINATIONS:
        assert_answered(client.get(path, params=params), f"GET {path} {params}")
    assert tried > 300


@pytest.mark.parametrize(
    "cursor", [HOSTILE_CURSORS[0], HOSTILE_CURSORS[3], HOSTILE_CURSORS[7]], ids=str.__len__
)
@pytest.mark.parametrize("path", ["/api/v1/audit", "/api/v1/pull-requests"])
def test_a_hostile_cursor_is_a_400_saying_so(app: FastAPI, path: str, cursor: str) -> None:
    response = TestClient(app).get(path, params={"cursor": cursor})
    assert response.status_code == 400, response.text
    assert response.json()["error"] == {
        "code": "invalid_request",
        "message": "invalid cursor: pass back the nextCursor of a page",
    }


@pytest.mark.parametrize("moment", BOUNDARY_TIMES[:2])
@pytest.mark.parametrize("name", ["since", "until"])
@pytest.mark.parametrize("path", ["/api/v1/audit", "/api/v1/pull-requests"])
def test_a_time_utc_cannot_hold_is_a_422_naming_the_parameter(
    app: FastAPI, path: str, name: str, moment: str
) -> None:
    response = TestClient(app).get(path, params={name: moment})
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "invalid_request"
    assert error["message"].startswith(f"query.{name}: ")
    assert "in UTC it must fall within years 1 to 9999" in error["message"]


def test_an_adoption_range_ending_in_year_9999_is_a_400(app: FastAPI) -> None:
    response = TestClient(app).get(
        "/api/v1/adoption", params={"from": "9999-12-01", "to": "9999-12-31", "bucket": "month"}
    )
    assert response.status_code == 400, response.text
    assert response.json()["error"] == {
        "code": "invalid_request",
        "message": "to (9999-12-31) is too far ahead: at most 9998-12-31",
    }


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
@pytest.mark.parametrize("path", QUERIED_READS)
def test_schemathesis_finds_no_5xx(app: FastAPI, path: str, mode: GenerationMode) -> None:
    operation = schemathesis.openapi.from_asgi("/openapi.json", app)[path]["GET"]

    @settings(
        max_examples=40,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def check(case: Any) -> None:
        response = case.call()
        assert response.status_code < 500, f"{path} {case.query}: {response.text[:300]}"
        if response.status_code >= 400:
            assert set(response.json()["error"]) == {"code", "message"}

    check()


def test_a_poisoned_row_stored_before_the_fix_is_served_replaced(app: FastAPI) -> None:
    """A row written before entries were made storable: SQLite's JSON keeps a lone surrogate
    escaped (its text columns refuse one)."""
    with app_services(app).database.session() as session:
        session.add(
            AuditEntry(
                created_at=dt.datetime(2026, 3, 1, tzinfo=dt.UTC),
                actor="user:default/alice",
                action="promote-image",
                inputs={"\ud800": ["\ud800"], "big": "x" * 100_000},
                dry_run=False,
                outcome="rejected",
                message="refused",
                duration_seconds=0.1,
            )
        )
    response = TestClient(app).get("/api/v1/audit")
    assert response.status_code == 200, response.text
    [row] = response.json()["items"]
    assert row["inputs"]["\ufffd"] == ["\ufffd"]
    assert row["inputs"]["big"].endswith("… (97,978 more characters)")
