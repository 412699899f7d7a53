"""Webhook bodies are not read before the headers could pass: no or a malformed signature is
refused before a byte of the body is read, a declared size over the cap too (on a real server:
the body is announced, never sent)."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator

import pytest

from catalog_service.http.app import create_app
from tests.support.servers import uvicorn_server
from tests.support.settings import SettingsFactory
from tests.webhooks.support import URL, webhook_settings

ANNOUNCED = 24 * 1024 * 1024  # announced, never sent


@pytest.fixture
def port(make_settings: SettingsFactory, database_url: str) -> Iterator[int]:
    with uvicorn_server(create_app(webhook_settings(make_settings, database_url))) as base:
        yield int(base.rsplit(":", 1)[1])


def announce(
    port: int, extra: dict[str, str], length: int = ANNOUNCED
) -> tuple[int, dict[str, str]]:
    """Send only the headers of a ``length``-byte delivery; the status and JSON answered."""
    head = {"Host": "127.0.0.1", "Content-Type": "application/json", "Content-Length": str(length),
            "X-GitHub-Event": "push", "X-GitHub-Delivery": "d-1", **extra}  # fmt: skip
    request = f"POST {URL} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in head.items())
    with socket.create_connection(("127.0.0.1", port), timeout=5) as connection:
        connection.sendall(request.encode() + b"\r\n")
        answer = b""
        while b"\r\n\r\n" not in answer or not answer.rstrip().endswith(b"}"):
            part = connection.recv(65536)  # times out (fails) if the server waits for the body
            if not part:
                break
            answer += part
    status_line, _, rest = answer.partition(b"\r\n")
    body = json.loads(rest.split(b"\r\n\r\n", 1)[1])
    return int(status_line.split()[1]), body["error"]


@pytest.mark.parametrize(
    ("signature", "says"),
    [
        (None, "send X-Hub-Signature-256"),
        ("sha1=0123", "not sha256= and 64 hex digits"),
        ("sha256=" + "z" * 64, "not sha256= and 64 hex digits"),
    ],
)
def test_no_or_a_malformed_signature_is_refused_before_the_body(
    port: int, signature: str | None, says: str
) -> None:
    extra = {"X-Hub-Signature-256": signature} if signature else {}
    status, error = announce(port, extra)
    assert (status, error["code"]) == (401, "unauthorized")
    assert says in error["message"]


def test_a_declared_size_over_the_cap_is_refused_before_the_body(port: int) -> None:
    status, error = announce(port, {"X-Hub-Signature-256": "sha256=" + "0" * 64}, 26 * 1024**2)
    assert (status, error["code"]) == (413, "payload_too_large")
    assert "over 26,214,400 bytes" in error["message"]
