"""A real Prometheus (Debian's package) scrapes a real uvicorn server of the service: it reads the
catalog's figures, then the pull requests recorded afterwards, and evaluates the alert rules and
every dashboard expression without an error."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from catalog_service.db import Database, upgrade
from catalog_service.metrics import ServiceMetrics
from catalog_service.service import build_ingestor
from tests.metrics.db_records import merged_pull_request
from tests.metrics.support import EXPECTED_MANIFESTS, metrics_app, populate
from tests.metrics.test_rules_and_dashboard import ALERTS, dashboard_expressions
from tests.support.repos import GitOpsRepo
from tests.support.servers import free_port, uvicorn_server
from tests.support.settings import SettingsFactory

WAIT_SECONDS = 30
# Grafana's variables, as Grafana would fill them in.
GRAFANA_VARIABLES = {"$__range": "1h", "$__rate_interval": "1m"}


class Prometheus:
    def __init__(self, base: str) -> None:
        self.base = base

    def query(self, expression: str) -> list[dict[str, Any]]:
        response = httpx.get(f"{self.base}/api/v1/query", params={"query": expression}, timeout=5)
        assert response.status_code == 200, (expression, response.status_code, response.text)
        body = response.json()
        assert body["status"] == "success", (expression, body)
        result: list[dict[str, Any]] = body["data"]["result"]
        return result

    def wait_for(self, expression: str, expected: float) -> None:
        """Until ``expression`` answers one sample of value ``expected`` (scrapes every 1 s)."""
        deadline = time.monotonic() + WAIT_SECONDS
        result: list[dict[str, Any]] = []
        while time.monotonic() < deadline:
            result = self.query(expression)
            if len(result) == 1 and float(result[0]["value"][1]) == expected:
                return
            time.sleep(0.25)
        raise AssertionError(f"{expression}: {result}, not {expected}")

    def rules(self) -> list[dict[str, Any]]:
        body = httpx.get(f"{self.base}/api/v1/rules", timeout=5).json()
        return [rule for group in body["data"]["groups"] for rule in group["rules"]]


@contextmanager
def prometheus(target: str, folder: Path) -> Iterator[Prometheus]:
    """``prometheus`` with its own configuration and data folder, scraping ``target`` every
    second and evaluating our alert rules; killed (its whole process group) at the end."""
    folder.mkdir()
    config = folder / "prometheus.yml"
    config.write_text(
        yaml.safe_dump(
            {
                "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
                "rule_files": [str(ALERTS)],
                "scrape_configs": [
                    {"job_name": "catalog", "static_configs": [{"targets": [target]}]}
                ],
            }
        )
    )
    port = free_port()
    with (folder / "prometheus.log").open("wb") as log:
        process = subprocess.Popen(
            [
                "prometheus",
                f"--config.file={config}",
                f"--storage.tsdb.path={folder / 'data'}",
                f"--web.listen-address=127.0.0.1:{port}",
                "--web.enable-lifecycle",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        base = f"http://127.0.0.1:{port}"
        wait_until_ready(process, base, folder / "prometheus.log")
        yield Prometheus(base)
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def wait_until_ready(process: subprocess.Popen[bytes], base: str, log: Path) -> None:
    """Until ``/-/ready`` answers 200 (the API answers 503 while the database opens)."""
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        assert process.poll() is None, f"prometheus exited:\n{log.read_text()}"
        try:
            if httpx.get(f"{base}/-/ready", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"prometheus not ready after {WAIT_SECONDS} s:\n{log.read_text()}")


@pytest.fixture
def sqlite_database(tmp_path: Path) -> Iterator[Database]:
    url = f"sqlite:///{tmp_path / 'catalog.db'}"
    upgrade(url)
    db = Database(url)
    yield db
    db.dispose()


def test_prometheus_scrapes_the_service(
    gitops: GitOpsRepo, make_settings: SettingsFactory, sqlite_database: Database, tmp_path: Path
) -> None:
    database = sqlite_database
    populate(gitops)
    ingestor = build_ingestor(make_settings())
    try:
        metrics = ServiceMetrics.for_ingest(ingestor, database)
        metrics.observe_ingest(ingestor.refresh().duration_seconds)
        with (
            uvicorn_server(metrics_app(metrics)) as base,
            prometheus(base.removeprefix("http://"), tmp_path / "prometheus") as server,
        ):
            server.wait_for('up{job="catalog"}', 1)
            server.wait_for("sum(idp_application_manifests)", sum(EXPECTED_MANIFESTS.values()))
            server.wait_for('idp_manifest_pull_requests_total{autonomous="true"}', 0)

            for number, autonomous in ((1, True), (2, True), (3, False)):
                merged_pull_request(database, number, autonomous=autonomous)
            server.wait_for('idp_manifest_pull_requests_total{autonomous="true"}', 2)
            server.wait_for('idp_manifest_pull_requests_total{autonomous="false"}', 1)

            for expression in dashboard_expressions():
                for variable, value in GRAFANA_VARIABLES.items():
                    expression = expression.replace(variable, value)
                server.query(expression)  # the real engine parses and runs it
            assert_rules_evaluate(server)
    finally:
        ingestor.close()


def assert_rules_evaluate(server: Prometheus) -> None:
    """Every rule loaded, evaluated without an error ("unknown" until its first evaluation)."""
    deadline = time.monotonic() + WAIT_SECONDS
    rules = server.rules()
    while time.monotonic() < deadline and not all(rule["health"] == "ok" for rule in rules):
        time.sleep(0.25)
        rules = server.rules()
    assert {rule["name"] for rule in rules} == {
        "IdpCatalogStale",
        "IdpInvalidManifestsRising",
        "IdpIngestHeldBack",
        "IdpActionsFailing",
    }
    assert all(rule["health"] == "ok" and not rule.get("lastError") for rule in rules), rules
    # A fresh, healthy catalog: none of them fires.
    assert all(rule["state"] == "inactive" for rule in rules), rules
