"""GET /api/v1/adoption over known rows, an empty database, and bucket edges."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from catalog_service.adoption.report import buckets
from catalog_service.db import Database, adoption, audit, pull_requests
from catalog_service.http.deps import get_services
from catalog_service.http.errors import install_error_handlers
from catalog_service.http.routes.adoption import router

PR_URL = "https://github.com/acme/gitops/pull/{}"


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC)


@pytest.fixture
def client(database: Database) -> Iterator[TestClient]:
    app = FastAPI()
    install_error_handlers(app)
    app.include_router(router)
    app.dependency_overrides[get_services] = lambda: SimpleNamespace(database=database)
    with TestClient(app) as test_client:
        yield test_client


def get(client: TestClient, **params: str) -> dict[str, Any]:
    response = client.get("/api/v1/adoption", params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def record_pr(database: Database, number: int, author: str, merged: str, **kw: Any) -> None:
    with database.session() as session:
        pull_requests.record_if_absent(
            session,
            repository="acme/gitops",
            number=number,
            title=f"Add app {number}",
            author=author,
            merged_at=at(merged),
            paths=[f"apps/shop/{number}.yaml"],
            autonomous=kw.get("autonomous", True),
            approved_by_platform=kw.get("approved", False),
            url=PR_URL.format(number),
        )


def call(database: Database, when: str, outcome: str = "succeeded", **kw: Any) -> None:
    with database.session() as session:
        audit.add(
            session,
            actor="user:default/dev",
            action=kw.get("action", "create-application"),
            inputs={},
            dry_run=kw.get("dry_run", False),
            outcome=outcome,  # type: ignore[arg-type]
            duration_seconds=0.5,
            pull_request_url=kw.get("url"),
            created_at=at(when),
        )


def test_an_empty_database_answers_zeros_for_every_bucket(client: TestClient) -> None:
    body = get(client, **{"from": "2026-03-01", "to": "2026-03-03"})
    assert body["from"] == "2026-03-01" and body["bucket"] == "day"
    assert [b["total"] for b in body["manifests"]] == [0, 0, 0]
    assert body["pullRequests"][0] == {
        "start": "2026-03-01",
        "autonomous": 0,
        "platformTeam": 0,
        "autonomousWithoutPlatformApproval": 0,
    }
    assert [b["counts"] for b in body["actions"]] == [{}, {}, {}]
    assert body["createToMerge"] == {"medianSeconds": None, "pairs": 0}
    assert body["newcomers"] == []


def test_manifests_are_the_counts_at_each_buckets_end_carried_over_days_without_commits(
    client: TestClient, database: Database
) -> None:
    with database.session() as session:
        adoption.replace_day(session, dt.date(2026, 2, 20), {("service", "shop"): 2})
        adoption.replace_day(
            session, dt.date(2026, 3, 4), {("service", "shop"): 3, ("vendor", "identity"): 1}
        )
        adoption.replace_day(session, dt.date(2026, 3, 20), {("service", "shop"): 9})
    days = get(client, **{"from": "2026-03-03", "to": "2026-03-05"})["manifests"]
    assert [(b["start"], b["total"]) for b in days] == [
        ("2026-03-03", 2),  # carried from February 20th
        ("2026-03-04", 4),
        ("2026-03-05", 4),
    ]
    assert days[1]["byType"] == {"service": 3, "vendor": 1}
    assert days[1]["bySystem"] == {"identity": 1, "shop": 3}
    # Week buckets start on Monday (March 2nd, 2026); the last one ends at `to`.
    weeks = get(client, **{"from": "2026-03-04", "to": "2026-03-10", "bucket": "week"})
    assert [(b["start"], b["end"], b["total"]) for b in weeks["manifests"]] == [
        ("2026-03-02", "2026-03-08", 4),
        ("2026-03-09", "2026-03-10", 4),
    ]
    months = get(client, **{"from": "2026-02-01", "to": "2026-03-31", "bucket": "month"})
    assert [(b["start"], b["total"]) for b in months["manifests"]] == [
        ("2026-02-01", 2),
        ("2026-03-01", 9),
    ]
    before = get(client, **{"from": "2026-01-01", "to": "2026-01-02"})["manifests"]
    assert [b["total"] for b in before] == [0, 0]


def test_pull_requests_actions_lead_time_and_newcomers(
    client: TestClient, database: Database
) -> None:
    record_pr(database, 1, "alice", "2026-02-10T10:00:00")  # alice's first, before the range
    record_pr(database, 2, "alice", "2026-03-02T10:00:00", autonomous=False)
    record_pr(database, 3, "dev1", "2026-03-02T23:59:59", approved=True)
    record_pr(database, 4, "dev2", "2026-03-03T00:00:00")
    record_pr(database, 5, "dev2", "2026-03-04T08:00:00")
    record_pr(database, 6, "dev3", "2026-03-05T00:00:00")  # after `to`: not counted
    # Two calls answered the same pull request (a retry): the first counts. 6 h and 2 h.
    call(database, "2026-03-02T04:00:00", url=PR_URL.format(4))
    call(database, "2026-03-02T20:00:00", url=PR_URL.format(4))
    call(database, "2026-03-04T06:00:00", url=PR_URL.format(5))
    call(database, "2026-03-04T07:00:00", url=PR_URL.format(5), dry_run=True)
    call(database, "2026-03-03T12:00:00", "rejected")
    call(database, "2026-03-03T13:00:00", "failed", action="promote-image")

    body = get(client, **{"from": "2026-03-02", "to": "2026-03-04"})
    assert [
        (b["autonomous"], b["platformTeam"], b["autonomousWithoutPlatformApproval"])
        for b in body["pullRequests"]
    ] == [(1, 1, 0), (1, 0, 1), (1, 0, 1)]
    assert [b["counts"] for b in body["actions"]] == [
        {"create-application": {"succeeded": 2}},
        {"create-application": {"rejected": 1}, "promote-image": {"failed": 1}},
        {"create-application": {"succeeded": 2}},
    ]
    # Pull request 4: 20 h after its first call; pull request 5: 2 h.
    assert body["createToMerge"] == {"medianSeconds": 11 * 3600.0, "pairs": 2}
    assert [(n["login"], n["number"]) for n in body["newcomers"]] == [("dev2", 4), ("dev1", 3)]
    assert body["newcomers"][0]["mergedAt"].startswith("2026-03-03T00:00:00")


@pytest.mark.parametrize(
    ("params", "status", "words"),
    [
        ({"from": "2026-03-05", "to": "2026-03-04"}, 400, "after"),
        ({"from": "2020-01-01", "to": "2026-03-04"}, 400, "at most 1098 days"),
        ({"from": "2026-13-01"}, 422, "from"),
        ({"bucket": "year"}, 422, "bucket"),
    ],
)
def test_bad_parameters_answer_json_errors(
    client: TestClient, params: dict[str, str], status: int, words: str
) -> None:
    response = client.get("/api/v1/adoption", params=params)
    assert response.status_code == status
    error = response.json()["error"]
    assert error["code"] == "invalid_request" and words in error["message"]


def test_a_longer_range_is_fine_in_months() -> None:
    spans = buckets(dt.date(2020, 1, 15), dt.date(2026, 3, 4), "month")
    assert spans[0] == (dt.date(2020, 1, 1), dt.date(2020, 1, 31))
    assert spans[1] == (dt.date(2020, 2, 1), dt.date(2020, 2, 29))
    assert spans[-1] == (dt.date(2026, 3, 1), dt.date(2026, 3, 4))
    assert len(spans) == 75


def test_an_unreachable_database_answers_503() -> None:
    unreachable = Database("postgresql+psycopg://catalog:secret@127.0.0.1:1/catalog")
    app = FastAPI()
    install_error_handlers(app)
    app.include_router(router)
    app.dependency_overrides[get_services] = lambda: SimpleNamespace(database=unreachable)
    response = TestClient(app).get("/api/v1/adoption")
    assert "secret" not in response.text
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "database_unavailable"
