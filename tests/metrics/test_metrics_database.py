"""The counters read from the database at scrape time (SQLite and PostgreSQL): what they count,
that they survive a restart (a new app on the same database), and the short cache."""

from __future__ import annotations

from fastapi.testclient import TestClient

from catalog_service.db import Database
from catalog_service.metrics import DatabaseCollector, DatabaseCounts, ServiceMetrics
from catalog_service.vocabulary import ACTION_NAMES, ACTION_OUTCOMES
from tests.metrics.db_records import action_call, delivery, merged_pull_request, rejected
from tests.metrics.support import Scrape, metrics_app


def service(database: Database) -> ServiceMetrics:
    """A service's metrics without a catalog; the database read on every scrape."""
    return ServiceMetrics(
        catalog=lambda: None,
        last_success=lambda: None,
        held_back=lambda: False,
        database=database,
        database_max_age=0,
    )


def scrape(metrics: ServiceMetrics) -> Scrape:
    with TestClient(metrics_app(metrics)) as client:
        response = client.get("/metrics")
    assert response.status_code == 200, response.text
    return Scrape.parse(response.text)


def test_the_counters_count_the_records(database: Database) -> None:
    for number in (1, 2, 3):
        merged_pull_request(database, number, autonomous=number != 2)
    action_call(database, "create-application", "succeeded")
    action_call(database, "create-application", "succeeded")
    action_call(database, "promote-image", "failed")
    action_call(database, "rename-application", "rejected")  # an action added later
    delivery(database, "d1", "pull_request", "processed")
    delivery(database, "d1", "pull_request", None)  # GitHub delivered it again
    delivery(database, "d2", "pull_request", "ignored")
    delivery(database, "d3", "push", None)  # still being worked on: not counted yet
    delivery(database, "d4", "push", "failed")  # its background work failed
    rejected(database, "push")
    rejected(database, "push")

    found = scrape(service(database))

    prs = found.by_labels("idp_manifest_pull_requests_total", "autonomous")
    assert prs == {("false",): 1, ("true",): 2}
    actions = found.by_labels("idp_actions_total", "action", "outcome")
    assert actions[("create-application", "succeeded")] == 2
    assert actions[("promote-image", "failed")] == 1
    assert actions[("rename-application", "rejected")] == 1
    assert actions[("promote-image", "rejected")] == 0
    assert actions[("set-version", "succeeded")] == 0  # every known action from the start
    assert actions[("restart-application", "failed")] == 0
    # Every known action and outcome, and the one action added later.
    assert len(actions) == len(ACTION_NAMES) * len(ACTION_OUTCOMES) + 1
    deliveries = found.by_labels("idp_webhook_deliveries_total", "event", "outcome")
    assert deliveries == {
        ("pull_request", "processed"): 1,
        ("pull_request", "duplicate"): 1,
        ("pull_request", "ignored"): 1,
        ("pull_request", "rejected"): 0,
        ("pull_request", "failed"): 0,
        ("push", "processed"): 0,
        ("push", "duplicate"): 0,
        ("push", "ignored"): 0,
        ("push", "rejected"): 2,
        ("push", "failed"): 1,
    }


def test_the_counters_survive_a_restart(database: Database) -> None:
    merged_pull_request(database, 1, autonomous=True)
    assert scrape(service(database)).value("idp_manifest_pull_requests_total", autonomous="true")
    restarted = Database(database.url)  # a new process: a new engine, the same database
    try:
        found = scrape(service(restarted))
    finally:
        restarted.dispose()
    assert found.value("idp_manifest_pull_requests_total", autonomous="true") == 1


class Clock:
    """A clock the test moves by hand (the cache's age is all it decides)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_the_database_is_read_at_most_once_per_max_age(database: Database) -> None:
    clock = Clock()
    collector = DatabaseCollector(database, max_age=2.0, clock=clock)
    first = collector.counts()
    assert isinstance(first, DatabaseCounts) and first.pull_requests == {False: 0, True: 0}

    merged_pull_request(database, 1, autonomous=True)
    clock.now += 1.9
    assert collector.counts() is first  # cached: no new read

    clock.now += 0.1
    now = collector.counts()
    assert now is not None and now.pull_requests == {False: 0, True: 1}
