"""The service as it runs: a real uvicorn process started from the command line."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import httpx

from catalog_service.demo import DEMO_TOKEN
from tests.support.repos import GitOpsRepo
from tests.support.servers import free_port
from tests.support.settings import TEST_TOKEN, SettingsFactory

STARTUP_SECONDS = 30


@contextmanager
def running(args: Sequence[str], log: Path) -> Iterator[str]:
    """Start ``python -m catalog_service ARGS --port P``; answer its base URL once it is ready."""
    port = free_port()
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "catalog_service", *args, "--port", str(port)],
            stdout=output,
            stderr=subprocess.STDOUT,
            env=os.environ | {"CATALOG_LOG_LEVEL": "INFO"},
        )
        try:
            base = f"http://127.0.0.1:{port}"
            wait_until_ready(process, base, log)
            yield base
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
    # uvicorn shuts down gracefully, then re-raises the SIGTERM it caught.
    assert process.returncode in (0, -signal.SIGTERM), log.read_text()
    assert "Application shutdown complete" in log.read_text()


def wait_until_ready(process: subprocess.Popen[bytes], base: str, log: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(
                f"the service exited with {process.returncode}:\n{log.read_text()}"
            )
        try:
            if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    raise AssertionError(f"not ready after {STARTUP_SECONDS} s:\n{log.read_text()}")


def test_serve_reads_the_repository_and_refreshes_on_request(
    gitops: GitOpsRepo, make_settings: SettingsFactory, tmp_path: Path
) -> None:
    gitops.add_application("payments-api", system="payments", components=[("db", "postgresql")])
    gitops.add_application("web", system="storefront")
    first = gitops.commit()
    config = make_settings.write()

    with running(["serve", "--config", str(config)], tmp_path / "serve.log") as base:
        response = httpx.get(f"{base}/api/v1/entities")
        assert response.status_code == 200
        body = response.json()
        assert body["revision"] == first
        names = {item["metadata"]["name"] for item in body["items"]}
        assert names == {"payments", "storefront", "payments-api", "payments-api-db", "web"}
        etag = response.headers["etag"]
        assert (
            httpx.get(f"{base}/api/v1/entities", headers={"If-None-Match": etag}).status_code == 304
        )

        gitops.add_application("web", system="storefront", description="The shop window")
        second = gitops.commit()
        denied = httpx.post(f"{base}/api/v1/refresh")
        assert denied.status_code == 401 and denied.json()["error"]["code"] == "unauthorized"
        refreshed = httpx.post(
            f"{base}/api/v1/refresh", headers={"Authorization": f"Bearer {TEST_TOKEN}"}, timeout=30
        )
        assert refreshed.status_code == 200, refreshed.text
        assert refreshed.json()["status"] == "applied"
        assert refreshed.json()["changedFiles"] == 1

        after = httpx.get(f"{base}/api/v1/entities", headers={"If-None-Match": etag})
        assert after.status_code == 200
        assert after.json()["revision"] == second
        web = next(i for i in after.json()["items"] if i["metadata"]["name"] == "web")
        assert web["metadata"]["description"] == "The shop window"
        yaml_text = httpx.get(f"{base}/api/v1/entities.yaml").text
        assert "The shop window" in yaml_text
        ready = httpx.get(f"{base}/readyz").json()
        assert ready["revision"] == second and ready["lastError"] is None
    mirror = tmp_path / "mirror" / "repo.git"
    assert (mirror / "HEAD").is_file(), "the mirror lives in source.cacheDir"


def test_demo_serves_the_shipped_gitops_repository(tmp_path: Path) -> None:
    workdir = tmp_path / "demo"
    with running(["demo", "--workdir", str(workdir)], tmp_path / "demo.log") as base:
        body = httpx.get(f"{base}/api/v1/entities").json()
        names = {item["metadata"]["name"] for item in body["items"]}
        assert {"payments-api", "ledger-api", "payments", "payments-api-db"} <= names
        assert httpx.get(f"{base}/api/v1/problems").json()["problems"] == []

        # The demo repository is a real git repository: a commit shows after a refresh.
        repository = workdir / "gitops"
        manifest = repository / "apps" / "payments" / "payments-api.yaml"
        manifest.write_text(
            manifest.read_text().replace(
                "description: Card payments API", "description: Card payments API, edited"
            )
        )
        subprocess.run(
            ["git", "commit", "--quiet", "-am", "Edit the description"],
            cwd=repository,
            check=True,
        )
        refreshed = httpx.post(
            f"{base}/api/v1/refresh", headers={"Authorization": f"Bearer {DEMO_TOKEN}"}, timeout=30
        )
        assert refreshed.json()["status"] in ("applied", "unchanged")  # the poll may be first
        items = httpx.get(f"{base}/api/v1/entities").json()["items"]
        api = next(item for item in items if item["metadata"]["name"] == "payments-api")
        assert api["metadata"]["description"].startswith("Card payments API, edited")
    assert (workdir / "mirror" / "repo.git" / "HEAD").is_file()
