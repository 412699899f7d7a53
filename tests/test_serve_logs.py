"""`catalog-service serve` as a pod runs it: JSON lines on stderr (uvicorn's too), a request id
answered, logged and audited, no secret in any line, and SIGTERM that lets a request finish and
exits 0."""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from catalog_service.errors import ConfigurationError
from tests.support.repos import GitOpsRepo
from tests.support.servers import free_port
from tests.support.settings import TEST_TOKEN, SettingsFactory

SERVE = [sys.executable, "-m", "catalog_service", "serve"]
GITHUB_TOKEN = "github_pat_TOPSECRET0123456789"
WEBHOOK_SECRET = "webhook-secret-TOPSECRET-42"
BACKSTAGE_TOKEN = "backstage-token-TOPSECRET-7"
SECRETS = (TEST_TOKEN, GITHUB_TOKEN, WEBHOOK_SECRET, BACKSTAGE_TOKEN)


class Served:
    def __init__(self, process: subprocess.Popen[bytes], base: str, log: Path) -> None:
        self.process, self.base, self.log = process, base, log

    def lines(self) -> list[str]:
        return self.log.read_text(encoding="utf-8").splitlines()

    def records(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.lines()]

    def wait_ready(self) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.base}/readyz", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            if self.process.poll() is not None:
                break
            time.sleep(0.1)
        raise AssertionError(f"not ready:\n{self.log.read_text()}")

    def stop(self, timeout: float = 30) -> int:
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=timeout)


@pytest.fixture
def serve(make_settings: SettingsFactory, gitops: GitOpsRepo, tmp_path: Path) -> Iterator[Any]:
    gitops.add_application("ledger", system="shop")
    gitops.commit()
    started: list[Served] = []

    def start(**overrides: Any) -> Served:
        config = make_settings.write(
            logging={"format": "json"},
            # A GitHub that refuses connections: its errors are logged, never the token.
            github={
                "token": GITHUB_TOKEN,
                "webhookSecret": WEBHOOK_SECRET,
                "apiUrl": "http://127.0.0.1:9/api/v3",
            },
            backstage={"eventsUrl": "http://127.0.0.1:9/events", "token": BACKSTAGE_TOKEN},
            **overrides,
        )
        port = free_port()
        log = tmp_path / f"serve-{port}.log"
        with log.open("wb") as output:
            process = subprocess.Popen(
                [*SERVE, "--config", str(config), "--port", str(port)],
                stdout=output,
                stderr=subprocess.STDOUT,
                env=os.environ | {"CATALOG_LOG_LEVEL": "DEBUG"},
            )
        served = Served(process, f"http://127.0.0.1:{port}", log)
        started.append(served)
        served.wait_ready()
        return served

    yield start
    for served in started:
        if served.process.poll() is None:
            served.process.kill()
            served.process.wait()


def test_every_line_is_json_with_the_request_fields_and_no_secret(
    serve: Any, tmp_path: Path
) -> None:
    served = serve()
    auth = {"Authorization": f"Bearer {TEST_TOKEN}"}
    given = httpx.post(
        f"{served.base}/api/v1/actions/create-application",
        json={"name": "web", "dryRun": True},  # no requestedBy: refused, and audited
        headers={**auth, "X-Request-Id": "deploy-check-42"},
    )
    assert given.status_code == 422
    assert given.headers["X-Request-Id"] == "deploy-check-42"
    made = httpx.get(f"{served.base}/api/v1/entities?token={GITHUB_TOKEN}", headers=auth)
    assert made.status_code == 200
    made_id = made.headers["X-Request-Id"]
    assert len(made_id) == 32
    forged = httpx.get(f"{served.base}/healthz", headers={"X-Request-Id": "a b\tc" + "x" * 200})
    assert forged.headers["X-Request-Id"] != "a b\tc" + "x" * 200
    wrong = httpx.post(f"{served.base}/api/v1/refresh", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401
    assert served.stop() == 0

    text = served.log.read_text(encoding="utf-8")
    for secret in SECRETS:
        assert secret not in text
    records = served.records()  # every line parses as JSON
    for record in records:
        assert {"time", "level", "logger", "message"} <= record.keys(), record
    loggers = {record["logger"] for record in records}
    assert {"uvicorn.error", "catalog_service.requests", "catalog_service.ingest"} <= loggers
    messages = [record["message"] for record in records]
    assert "Application startup complete." in messages
    assert "Application shutdown complete." in messages
    requests = {r["requestId"]: r for r in records if r["logger"] == "catalog_service.requests"}
    refused = requests["deploy-check-42"]
    assert (refused["method"], refused["status"]) == ("POST", 422)
    assert refused["path"] == "/api/v1/actions/create-application"
    assert isinstance(refused["durationMs"], float)
    assert requests[made_id]["path"] == "/api/v1/entities"  # the query string is not logged
    database = sqlite3.connect(tmp_path / "catalog.db")
    (audited,) = database.execute("SELECT request_id FROM audit_entries").fetchall()
    assert audited == ("deploy-check-42",)


def test_sigterm_lets_a_request_in_flight_finish_and_exits_0(serve: Any) -> None:
    served = serve(shutdown={"graceSeconds": 10})
    port = int(served.base.rsplit(":", 1)[1])
    # A request whose body is still arriving when SIGTERM comes: it is in flight.
    body = b'{"name": "web", "dryRun": true}'
    with start_request(port, body, 5) as connection:
        time.sleep(0.5)
        served.process.send_signal(signal.SIGTERM)
        time.sleep(1)
        assert served.process.poll() is None  # waiting for the request, not gone
        connection.sendall(body[5:])
        answer = connection.recv(65536)
    assert answer.startswith(b"HTTP/1.1 422 ")
    assert served.process.wait(timeout=15) == 0


def start_request(port: int, body: bytes, sent: int) -> socket.socket:
    """An action request whose body stops after ``sent`` bytes: in flight until the rest comes."""
    connection = socket.create_connection(("127.0.0.1", port))
    connection.sendall(
        b"POST /api/v1/actions/create-application HTTP/1.1\r\nHost: x\r\n"
        + f"Authorization: Bearer {TEST_TOKEN}\r\nContent-Type: application/json\r\n".encode()
        + f"Content-Length: {len(body)}\r\n\r\n".encode()
        + body[:sent]
    )
    return connection


def test_a_request_that_never_ends_holds_the_stop_only_for_the_grace(serve: Any) -> None:
    served = serve(shutdown={"graceSeconds": 2})
    port = int(served.base.rsplit(":", 1)[1])
    with start_request(port, b'{"name": "web"}', 3):
        time.sleep(0.5)
        stopped_at = time.monotonic()
        assert served.stop(timeout=15) == 0
        waited = time.monotonic() - stopped_at
    assert 1.5 < waited < 10, waited


def test_a_kept_alive_connection_is_still_open_after_a_load_balancers_idle_time(
    serve: Any,
) -> None:
    served = serve()
    port = int(served.base.rsplit(":", 1)[1])
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("GET", "/healthz")
        first = connection.getresponse()
        first.read()  # the whole answer, so that the connection can be used again
        assert first.status == 200
        kept = connection.sock
        time.sleep(6)  # past uvicorn's own 5 s keep-alive, which closed it
        connection.request("GET", "/healthz")  # raises RemoteDisconnected on a closed socket
        second = connection.getresponse()
        second.read()
        assert second.status == 200
        assert connection.sock is kept  # the same connection, not a new one
    finally:
        connection.close()


@pytest.mark.parametrize(
    ("config", "named"),
    [
        ({"logging": {"level": "loud"}}, "logging.level: Input should be"),
        ({"logging": {"format": "xml"}}, "logging.format: Input should be 'text' or 'json'"),
        ({"logging": {"colour": True}}, "logging.colour: unknown key"),
        ({"shutdown": {"graceSeconds": -1}}, "shutdown.graceSeconds: Input should be greater"),
        ({"shutdown": {"graceSeconds": "soon"}}, "shutdown.graceSeconds: Input should be a valid"),
    ],
)
def test_a_wrong_logging_or_shutdown_key_is_named(
    make_settings: SettingsFactory, config: dict[str, Any], named: str
) -> None:
    with pytest.raises(ConfigurationError) as refused:
        make_settings(**config)
    assert named in refused.value.message


@pytest.mark.parametrize(
    ("environment", "named"),
    [
        ({"CATALOG_LOG_LEVEL": "loud"}, "CATALOG_LOG_LEVEL: must be one of DEBUG"),
        ({"CATALOG_LOGGING__LEVEL": "7"}, "logging.level: Input should be"),
    ],
)
def test_a_wrong_level_in_the_environment_stops_the_start_naming_it(
    make_settings: SettingsFactory, environment: dict[str, str], named: str
) -> None:
    result = subprocess.run(
        [*SERVE, "--config", str(make_settings.write()), "--port", str(free_port())],
        capture_output=True,
        text=True,
        env=os.environ | environment,
        timeout=60,
    )
    assert result.returncode == 2
    assert named in result.stderr
    assert "Traceback" not in result.stderr
