"""POST /api/v1/validate cannot tie up the service: bounded parsing, read timeouts on bodies."""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from catalog_service.domain.catalog import Catalog
from catalog_service.domain.problems import Problem
from catalog_service.errors import BusyError
from catalog_service.http.app import create_app
from catalog_service.http.deps import Checker, ServicesDep, manifest_checker
from catalog_service.http.validation import RequestLimits, WorkGate
from catalog_service.settings import Settings
from tests.support.manifests import application_yaml
from tests.support.servers import uvicorn_server
from tests.support.settings import SettingsFactory

VALID = application_yaml("orders").encode()


@pytest.fixture
def settings(make_settings: SettingsFactory) -> Settings:
    return make_settings()


# -- the gate -----------------------------------------------------------------------------------


def test_the_gate_runs_at_most_its_limit_and_refuses_a_caller_that_waits_too_long() -> None:
    limits = RequestLimits(validations=2, queue_seconds=0.05)
    release = threading.Event()
    running: list[int] = []
    peak: list[int] = [0]
    lock = threading.Lock()

    def work() -> str:
        with lock:
            running.append(1)
            peak[0] = max(peak[0], len(running))
        release.wait(30)
        with lock:
            running.pop()
        return threading.current_thread().name

    async def scenario() -> tuple[list[str], str]:
        gate = WorkGate(limits, "validate")
        first = [asyncio.create_task(gate.run(work)) for _ in range(2)]
        while len(running) < 2:
            await asyncio.sleep(0.001)
        with pytest.raises(BusyError) as refused:
            await gate.run(work)
        assert "2 validate requests are running" in refused.value.message
        release.set()
        names = list(await asyncio.gather(*first))
        after = await gate.run(lambda: "free again")  # the slots came back
        gate.close()
        return names, after

    names, after = asyncio.run(scenario())
    assert peak[0] == 2
    assert all(name.startswith("validate") for name in names), "in the gate's own threads"
    assert after == "free again"


def test_a_caller_that_goes_away_keeps_its_slot_until_the_work_ends() -> None:
    limits = RequestLimits(validations=1, queue_seconds=0.05)
    release = threading.Event()
    started = threading.Event()

    def work() -> None:
        started.set()
        release.wait(30)

    async def scenario() -> None:
        gate = WorkGate(limits, "validate")
        abandoned = asyncio.create_task(gate.run(work))
        while not started.is_set():
            await asyncio.sleep(0.001)
        abandoned.cancel()  # the client disconnected; its parse still runs
        with pytest.raises(BusyError):
            await gate.run(lambda: None)
        release.set()
        await asyncio.sleep(0)
        assert await gate.run(lambda: "ran") == "ran"
        gate.close()

    asyncio.run(scenario())


# -- through HTTP -------------------------------------------------------------------------------


def paused_checker(app: FastAPI) -> tuple[threading.Event, threading.Semaphore]:
    """The real check, held back until the event is set: validations that stay running. The
    semaphore is released once per validation that started."""
    release = threading.Event()
    started = threading.Semaphore(0)

    def checker(services: ServicesDep) -> Checker:
        real = manifest_checker(services)

        def check(path: str | None, data: bytes, catalog: Catalog | None) -> Sequence[Problem]:
            started.release()
            release.wait(30)
            return real(path, data, catalog)

        return check

    app.dependency_overrides[manifest_checker] = checker
    return release, started


def test_validations_over_the_limit_answer_429_and_healthz_keeps_answering(
    settings: Settings,
) -> None:
    limits = RequestLimits(validations=2, queue_seconds=0.1)
    app = create_app(settings, poll=False, limits=limits)
    release, started = paused_checker(app)
    with TestClient(app) as client, ThreadPoolExecutor(2) as pool:
        try:
            running = [
                pool.submit(client.post, "/api/v1/validate", content=VALID) for _ in range(2)
            ]
            # Both hold a slot (their checks started): the next one is refused.
            assert started.acquire(timeout=30) and started.acquire(timeout=30)
            refused = client.post("/api/v1/validate", content=VALID)
            assert refused.status_code == 429, refused.text
            assert refused.json()["error"]["code"] == "too_many_requests"
            assert refused.headers["retry-after"] == "1"
            # Both validations still run; liveness and readiness answer all the same.
            assert client.get("/healthz").json() == {"status": "ok"}
            assert client.get("/readyz").status_code == 503
        finally:
            release.set()
        for future in running:
            answer = future.result(timeout=30)
            assert answer.status_code == 200 and answer.json()["valid"] is True
        assert client.post("/api/v1/validate", content=VALID).status_code == 200


# -- slow bodies, through a real server ---------------------------------------------------------


def read_answer(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection."""
    sock.settimeout(30)
    received = b""
    while chunk := sock.recv(65536):
        received += chunk
    return received


def send_headers(port: int, length: int) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port))
    sock.sendall(
        b"POST /api/v1/validate HTTP/1.1\r\nHost: localhost\r\n"
        b"Content-Type: application/yaml\r\nContent-Length: %d\r\n\r\n" % length
    )
    return sock


LIMITS = RequestLimits(body_idle_seconds=0.3, body_total_seconds=1.0)


def test_a_body_that_stops_coming_is_answered_408(settings: Settings) -> None:
    with uvicorn_server(create_app(settings, poll=False, limits=LIMITS)) as base:
        port = int(base.rsplit(":", 1)[1])
        with send_headers(port, len(VALID)) as sock:
            sock.sendall(VALID[:10])  # and then nothing more
            answer = read_answer(sock)
        status, _, body = answer.partition(b"\r\n\r\n")
        assert status.startswith(b"HTTP/1.1 408 "), answer
        assert b"connection: close" in status.lower()
        assert b'"code":"request_timeout"' in body and b"within 1 s" in body
        # The service goes on: a whole body is validated as before.
        result = httpx.post(f"http://127.0.0.1:{port}/api/v1/validate", content=VALID)
        assert result.status_code == 200 and result.json()["valid"] is True


def test_a_body_that_trickles_is_cut_at_the_total_limit(settings: Settings) -> None:
    with uvicorn_server(create_app(settings, poll=False, limits=LIMITS)) as base:
        port = int(base.rsplit(":", 1)[1])
        body = b"# " + b"x" * 1000 + b"\n"
        with send_headers(port, len(body)) as sock:
            sock.settimeout(30)
            answer = b""
            for index in range(len(body)):  # a byte at a time, never idle for long
                try:
                    sock.sendall(body[index : index + 1])
                except OSError:
                    break  # closed after the answer
                sock.settimeout(0.1)
                try:
                    answer += sock.recv(65536)
                except TimeoutError:
                    continue
                if answer:
                    break
            sock.settimeout(30)
            with suppress(ConnectionResetError):
                answer += read_answer(sock)
        assert answer.startswith(b"HTTP/1.1 408 "), answer
        assert index < len(body) - 1, "cut before the body was complete"
        assert httpx.get(f"http://127.0.0.1:{port}/healthz").status_code == 200
