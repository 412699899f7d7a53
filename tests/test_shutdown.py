"""A remote that accepts and never answers: the service says so, a second refresh answers at once,
and SIGTERM stops the service within seconds whatever git is doing."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
from fastapi.testclient import TestClient

from catalog_service.http.app import create_app
from catalog_service.service import build_ingestor
from tests.support.repos import GitOpsRepo
from tests.support.servers import HangingServer, free_port
from tests.support.settings import TEST_TOKEN, SettingsFactory

SERVE = [sys.executable, "-m", "catalog_service", "serve"]
AUTH = {"Authorization": f"Bearer {TEST_TOKEN}"}


def wait_for(condition: object, what: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if callable(condition) and condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"gave up waiting for {what}")


def test_a_hanging_first_clone_times_out_and_says_so(
    make_settings: SettingsFactory, hanging_server: HangingServer
) -> None:
    settings = make_settings(source={"url": hanging_server.url, "timeoutSeconds": 2})
    with TestClient(create_app(settings, poll=False)) as client:
        refreshed = client.post("/api/v1/refresh", headers=AUTH)
        assert refreshed.status_code == 502
        ready = client.get("/readyz")
        assert ready.status_code == 503
        last_error = ready.json()["lastError"]
        assert last_error == refreshed.json()["error"]["message"]
        assert "git did not finish within 2 s (source.timeoutSeconds)" in last_error


def test_a_refresh_behind_a_hanging_one_answers_409(
    make_settings: SettingsFactory, hanging_server: HangingServer
) -> None:
    settings = make_settings(source={"url": hanging_server.url, "timeoutSeconds": 600})
    ingestor = build_ingestor(settings)
    answers: list[httpx.Response] = []
    with TestClient(create_app(settings, ingestor, poll=False)) as client:
        first = threading.Thread(
            target=lambda: answers.append(client.post("/api/v1/refresh", headers=AUTH)),
            daemon=True,
        )
        first.start()
        wait_for(lambda: hanging_server.accepted > 0, "the first clone to connect")
        second = client.post("/api/v1/refresh", headers=AUTH)
        assert second.status_code == 409
        assert second.json()["error"]["code"] == "refresh_in_progress"
        assert second.json()["error"]["message"].startswith("a refresh is already running")
        ingestor.close()  # what the shutdown does: the hanging clone ends at once
        first.join(timeout=30)
        assert not first.is_alive()
    assert answers[0].status_code == 502
    assert answers[0].json()["error"]["message"] == "stopped: the service is shutting down"


def test_sigterm_stops_the_service_while_git_hangs(
    make_settings: SettingsFactory, hanging_server: HangingServer, tmp_path: Path
) -> None:
    config = make_settings.write(source={"url": hanging_server.url, "timeoutSeconds": 600})
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = tmp_path / "serve.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [*SERVE, "--config", str(config), "--port", str(port)],
            stdout=output,
            stderr=subprocess.STDOUT,
            env=os.environ | {"CATALOG_LOG_LEVEL": "INFO"},
        )
        try:
            wait_for(lambda: hanging_server.accepted > 0, "the first clone to connect")
            # A refresh request in flight too: it must not hold the shutdown up either.
            refresher = threading.Thread(
                target=lambda: httpx.post(f"{base}/api/v1/refresh", headers=AUTH, timeout=60),
                daemon=True,
            )
            refresher.start()
            time.sleep(0.5)
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=15)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
                raise AssertionError(f"still running 15 s after SIGTERM:\n{log.read_text()}")
    assert "Application shutdown complete" in log.read_text()
    wait_for(lambda: hanging_server.closed == hanging_server.accepted, "git's connection to close")


def test_a_second_service_on_one_sqlite_file_stops_at_start_saying_why(
    make_settings: SettingsFactory, gitops: GitOpsRepo, tmp_path: Path
) -> None:
    gitops.add_application("orders")
    gitops.commit()
    first_config = make_settings.write(tmp_path / "first.yaml")
    # Its own mirror (the mirror refuses a second user too): only the database is shared.
    second_config = make_settings.write(
        tmp_path / "second.yaml", source={"cacheDir": str(tmp_path / "mirror-2")}
    )
    port = free_port()
    first = subprocess.Popen(
        [*SERVE, "--config", str(first_config), "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for(lambda: _status(f"http://127.0.0.1:{port}/readyz") == 200, "the first service", 60)
        second = subprocess.run(
            [*SERVE, "--config", str(second_config), "--port", str(free_port())],
            capture_output=True,
            text=True,
            timeout=60,
        )
    finally:
        first.terminate()
        first.wait(timeout=30)
    assert second.returncode == 2, second.stderr
    assert f"in use by another running service (pid {first.pid})" in second.stderr
    assert "Traceback" not in second.stderr


def _status(url: str) -> int | None:
    try:
        return httpx.get(url, timeout=5).status_code
    except httpx.TransportError:
        return None
