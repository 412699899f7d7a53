"""GET /metrics over a real ingested repository: the figures, their labels, each app's own
registry, and what a scrape shows before the first ingest and when the database is away."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from prometheus_client import generate_latest
from prometheus_client.openmetrics.exposition import generate_latest as openmetrics_latest
from prometheus_client.openmetrics.parser import text_string_to_metric_families

from catalog_service.db import Database
from catalog_service.ingest.ingestor import Ingestor
from catalog_service.metrics import ACTION_OUTCOMES, KNOWN_ACTIONS, ServiceMetrics
from catalog_service.service import build_ingestor
from tests.metrics.support import (
    EXPECTED_INVALID,
    EXPECTED_MANIFESTS,
    Scrape,
    metrics_app,
    populate,
)
from tests.support.repos import GitOpsRepo
from tests.support.servers import free_port
from tests.support.settings import SettingsFactory

MANIFEST_LABELS = ("system", "type", "owner")


@pytest.fixture
def ingestor(make_settings: SettingsFactory) -> Iterator[Ingestor]:
    ingestor = build_ingestor(make_settings())
    yield ingestor
    ingestor.close()


def scrape(metrics: ServiceMetrics, accept: str | None = None) -> Scrape:
    with TestClient(metrics_app(metrics)) as client:
        response = client.get("/metrics", headers={"accept": accept} if accept else {})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    return Scrape.parse(response.text)


def test_the_catalog_figures_come_from_the_served_snapshot(
    gitops: GitOpsRepo, ingestor: Ingestor
) -> None:
    populate(gitops)
    before = time.time()
    ingestor.refresh()
    found = scrape(ServiceMetrics.for_ingest(ingestor, None))

    assert found.types["idp_application_manifests"] == "gauge"
    assert found.by_labels("idp_application_manifests", *MANIFEST_LABELS) == EXPECTED_MANIFESTS
    assert found.value("idp_invalid_manifests") == EXPECTED_INVALID
    assert found.value("idp_ingest_held_back") == 0
    assert found.value("idp_ingest_last_success_timestamp_seconds") >= before


def test_a_new_snapshot_changes_the_figures(gitops: GitOpsRepo, ingestor: Ingestor) -> None:
    populate(gitops)
    ingestor.refresh()
    metrics = ServiceMetrics.for_ingest(ingestor, None)
    assert sum(scrape(metrics).by_labels("idp_application_manifests", *MANIFEST_LABELS).values())

    gitops.add_application("etl-job", system="data", owner="team-data")
    gitops.delete("apps/broken.yaml")
    gitops.commit()
    ingestor.refresh()
    found = scrape(metrics)

    expected = EXPECTED_MANIFESTS | {("data", "service", "team-data"): 1}
    assert found.by_labels("idp_application_manifests", *MANIFEST_LABELS) == expected
    assert found.value("idp_invalid_manifests") == EXPECTED_INVALID - 1


def test_counters_and_the_histogram_start_at_zero_with_their_labels(
    gitops: GitOpsRepo, ingestor: Ingestor
) -> None:
    populate(gitops)
    ingestor.refresh()
    metrics = ServiceMetrics.for_ingest(ingestor, None)
    found = scrape(metrics)

    assert found.types["idp_manifest_pull_requests"] == "counter"
    prs = found.by_labels("idp_manifest_pull_requests_total", "autonomous")
    assert prs == {("false",): 0, ("true",): 0}
    actions = found.by_labels("idp_actions_total", "action", "outcome")
    assert actions == {(a, o): 0 for a in KNOWN_ACTIONS for o in ACTION_OUTCOMES}
    assert found.types["idp_webhook_deliveries"] == "counter"
    assert "idp_webhook_deliveries_total" not in found.samples  # no event seen yet
    assert found.value("idp_ingest_duration_seconds_count") == 0

    metrics.observe_ingest(0.2)
    metrics.observe_ingest(7.0)
    found = scrape(metrics)
    assert found.value("idp_ingest_duration_seconds_count") == 2
    assert found.value("idp_ingest_duration_seconds_sum") == pytest.approx(7.2)
    assert found.value("idp_ingest_duration_seconds_bucket", le="0.25") == 1
    assert found.value("idp_ingest_duration_seconds_bucket", le="10.0") == 2


def test_each_service_has_its_own_registry(gitops: GitOpsRepo, ingestor: Ingestor) -> None:
    populate(gitops)
    ingestor.refresh()
    first = ServiceMetrics.for_ingest(ingestor, None)
    second = ServiceMetrics.for_ingest(ingestor, None)
    first.observe_ingest(1.0)

    assert scrape(first).value("idp_ingest_duration_seconds_count") == 1
    assert scrape(second).value("idp_ingest_duration_seconds_count") == 0
    assert first.registry is not second.registry


def test_process_metrics_are_exported(gitops: GitOpsRepo, ingestor: Ingestor) -> None:
    found = scrape(ServiceMetrics.for_ingest(ingestor, None))
    assert found.value("process_resident_memory_bytes") > 0
    assert found.samples["python_info"]


def test_before_the_first_ingest_the_catalog_figures_are_absent(ingestor: Ingestor) -> None:
    found = scrape(ServiceMetrics.for_ingest(ingestor, None))
    assert "idp_application_manifests" not in found.samples
    assert "idp_invalid_manifests" not in found.samples
    assert found.value("idp_ingest_last_success_timestamp_seconds") == 0


def test_a_held_back_ingest_shows(gitops: GitOpsRepo, ingestor: Ingestor) -> None:
    populate(gitops)
    ingestor.refresh()
    gitops.delete("apps")
    gitops.commit()
    assert ingestor.refresh().status == "held-back"

    found = scrape(ServiceMetrics.for_ingest(ingestor, None))
    assert found.value("idp_ingest_held_back") == 1
    # The snapshot still served is the one measured.
    assert found.by_labels("idp_application_manifests", *MANIFEST_LABELS) == EXPECTED_MANIFESTS


def test_openmetrics_when_asked_for(ingestor: Ingestor) -> None:
    with TestClient(metrics_app(ServiceMetrics.for_ingest(ingestor, None))) as client:
        response = client.get("/metrics", headers={"accept": "application/openmetrics-text"})
    assert response.headers["content-type"].startswith("application/openmetrics-text")
    assert response.text.endswith("# EOF\n")
    assert 'idp_manifest_pull_requests_total{autonomous="true"} 0' in response.text


def test_an_unreachable_database_leaves_its_counters_out(
    gitops: GitOpsRepo, ingestor: Ingestor, caplog: pytest.LogCaptureFixture
) -> None:
    populate(gitops)
    ingestor.refresh()
    nobody = Database(f"postgresql+psycopg://catalog:secret@127.0.0.1:{free_port()}/catalog")
    try:
        found = scrape(ServiceMetrics.for_ingest(ingestor, nobody))
    finally:
        nobody.dispose()
    for name in ("idp_manifest_pull_requests_total", "idp_actions_total"):
        assert name not in found.samples
    assert found.value("idp_invalid_manifests") == EXPECTED_INVALID
    assert "cannot read the counters from the database" in caplog.text
    assert "secret" not in caplog.text


def test_the_cached_rendering_is_the_registry_s_exposition(
    gitops: GitOpsRepo, ingestor: Ingestor
) -> None:
    populate(gitops)
    ingestor.refresh()
    metrics = ServiceMetrics.for_ingest(ingestor, None)
    for _ in range(2):  # rendered, then from the cache
        body, _ = metrics.exposition()
        fast = Scrape.parse(body.decode())
        full = Scrape.parse(generate_latest(metrics.registry).decode())
        assert fast.types == full.types
        assert {name: len(found) for name, found in fast.samples.items()} == {
            name: len(found) for name, found in full.samples.items()
        }
        assert body.count(b"# TYPE idp_application_manifests gauge") == 1
    openmetrics, _ = metrics.exposition("application/openmetrics-text")
    assert openmetrics.count(b"# EOF") == 1
    full_openmetrics = openmetrics_latest(metrics.registry)  # type: ignore[no-untyped-call]
    assert openmetrics_names(openmetrics) == openmetrics_names(full_openmetrics)


def openmetrics_names(body: bytes) -> dict[str, int]:
    """``{family: samples}`` of an OpenMetrics exposition, read with its own parser."""
    families = text_string_to_metric_families(body.decode())  # type: ignore[no-untyped-call]
    return {family.name: len(family.samples) for family in families}
