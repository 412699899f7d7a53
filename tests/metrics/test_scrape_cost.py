"""What keeps a scrape cheap at 10,000 manifests: the catalog's figures aggregated once per
snapshot (counted), and its sample lines written by us, byte for byte as prometheus_client."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from prometheus_client import CollectorRegistry
from prometheus_client.exposition import choose_encoder

from catalog_service.metrics import ServiceMetrics, _CatalogFigures, _Fixed
from catalog_service.service import build_ingestor
from tests.metrics.support import EXPECTED_MANIFESTS, Scrape, populate
from tests.support.repos import GitOpsRepo
from tests.support.settings import SettingsFactory

TRICKY = _CatalogFigures(
    (
        (("pay", "service", "team-pay"), 2),
        (('say "hi"', "etl", "back\\slash"), 1),
        (("two\nlines", "vendor", "équipe"), 1_500_000),  # a count Go writes with an exponent
    ),
    invalid=3,
)


@pytest.mark.parametrize("accept", ["", "application/openmetrics-text"])
def test_the_catalog_lines_are_prometheus_client_s_own(accept: str) -> None:
    encoder, _ = choose_encoder(accept)
    registry = CollectorRegistry()
    registry.register(_Fixed(TRICKY.families()))
    assert TRICKY.render(encoder) == encoder(registry).removesuffix(b"# EOF\n")


def test_a_snapshot_is_aggregated_once_whatever_the_scrapes(
    gitops: GitOpsRepo, make_settings: SettingsFactory
) -> None:
    populate(gitops)
    ingestor = build_ingestor(make_settings())
    try:
        ingestor.refresh()
        metrics = ServiceMetrics.for_ingest(ingestor, None)
        collector = metrics._catalog
        metrics.observe_ingest(0.1)  # what the refresher calls: prepares the new figures
        assert collector.preparations == 1
        for accept in ("", "application/openmetrics-text", "", "application/openmetrics-text"):
            metrics.exposition(accept)
        assert collector.preparations == 1

        gitops.add_application("etl-job", system="data", owner="team-data")
        gitops.commit()
        ingestor.refresh()
        scrape = read(metrics.exposition)  # before the listener: prepared by the scrape, once
        read(metrics.exposition)
        assert collector.preparations == 2
        expected = EXPECTED_MANIFESTS | {("data", "service", "team-data"): 1}
        assert scrape.by_labels("idp_application_manifests", "system", "type", "owner") == expected
    finally:
        ingestor.close()


def read(exposition: Callable[[], tuple[bytes, str]]) -> Scrape:
    body, _ = exposition()
    return Scrape.parse(body.decode())
