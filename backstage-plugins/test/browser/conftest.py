"""The repository's Backstage app, started as a newcomer starts it (``scripts/backstage.sh``)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page

from tests.support.browser import chromium_page

ROOT = Path(__file__).resolve().parents[3]
START_TIMEOUT_SECONDS = 600  # a first run builds the app: minutes on two cores


@dataclass(frozen=True)
class Backstage:
    url: str
    service_url: str


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture(scope="session")
def backstage(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Backstage]:
    backstage_port, catalog_port = _free_port(), _free_port()
    demo = tmp_path_factory.mktemp("demo")
    env = {
        **os.environ,
        "BACKSTAGE_PORT": str(backstage_port),
        "CATALOG_PORT": str(catalog_port),
        "DEMO_DIR": str(demo),
    }
    log = tmp_path_factory.mktemp("log") / "backstage.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            ["bash", str(ROOT / "scripts" / "backstage.sh")],
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while "Backstage is up" not in log.read_text(errors="replace"):
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"scripts/backstage.sh did not start:\n{log.read_text()[-5000:]}")
            time.sleep(0.5)
        service_url = f"http://127.0.0.1:{catalog_port}"
        commit_broken_manifest(demo, service_url)
        yield Backstage(f"http://localhost:{backstage_port}", service_url)
    finally:
        os.killpg(process.pid, signal.SIGINT)  # what Ctrl-C does: the script stops both
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


@pytest.fixture()
def page(tmp_path: Path) -> Iterator[Page]:
    with chromium_page(tmp_path / "profile", width=1400) as page:
        page.set_default_timeout(60_000)
        yield page


def commit_broken_manifest(demo: Path, service_url: str) -> None:
    """A manifest with a typo in the demo repository, ingested: /idp lists its problem."""
    repository = demo / "gitops"
    (repository / "apps" / "payments" / "refund-worker.yaml").write_text(
        "apiVersion: idp/v1alpha1\nkind: Application\nmetadata:\n  name: refund-worker\n"
        "  system: payments\n  owner: team-payments\nspec:\n  type: servise\n"
    )
    subprocess.run(["git", "add", "--all"], cwd=repository, check=True)
    subprocess.run(
        ["git", "-c", "user.name=Demo", "-c", "user.email=d@example.com", "commit", "-qm", "typo"],
        cwd=repository,
        check=True,
    )
    response = httpx.post(
        f"{service_url}/api/v1/refresh",
        headers={"Authorization": "Bearer demo-token-0123456789"},
        timeout=60,
    )
    assert response.status_code == 200, response.text


def post_dry_run(backstage: Backstage) -> None:
    """One promotion dry run, so that the audit log has a row to show."""
    response = httpx.post(
        f"{backstage.service_url}/api/v1/actions/promote-image",
        headers={"Authorization": "Bearer demo-token-0123456789"},
        json={
            "application": "payments-api",
            "from": "dev",
            "dryRun": True,
            "requestedBy": "user:development/guest",
        },
        timeout=60,
    )
    assert response.status_code < 500, response.text
