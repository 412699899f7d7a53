"""Fetching Backstage's keys is bounded in time as a whole: a server that answers a byte at a
time never holds the checks of Backstage tokens (they wait on one lock) for longer than the
configured timeout, and one that answers too much is refused."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest

from catalog_service.errors import IdentityUnavailableError
from catalog_service.identity.jwks import MAX_JWKS_BYTES, JwksKeys

HEAD = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 99999\r\n"


class Dripping:
    """Answers ``lead`` at once, then a byte every 0.2 s, each within any socket timeout."""

    def __init__(self, lead: bytes, drip: bytes) -> None:
        self.lead, self.drip = lead, drip
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}/jwks.json"
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                connection, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._answer, args=(connection,), daemon=True).start()

    def _answer(self, connection: socket.socket) -> None:
        with connection:
            try:
                connection.recv(65536)
                connection.sendall(self.lead)
                while True:
                    connection.sendall(self.drip)
                    time.sleep(0.2)
            except OSError:
                return


@pytest.fixture(params=["headers", "body"])
def dripping(request: pytest.FixtureRequest) -> Iterator[Dripping]:
    server = (
        Dripping(b"HTTP/1.1 200 OK\r\nX-Slow: ", b"x")
        if request.param == "headers"
        else Dripping(HEAD + b"\r\n" + b'{"keys": [', b" ")
    )
    yield server
    server.sock.close()


def test_a_server_that_drips_is_cut_off_at_the_timeout(dripping: Dripping) -> None:
    keys = JwksKeys(dripping.url, cache_seconds=300, timeout=1.5)
    started = time.monotonic()
    with pytest.raises(IdentityUnavailableError, match=r"no whole answer within 1.5 s"):
        keys.key("any")
    assert time.monotonic() - started < 4


def test_an_answer_too_large_is_refused() -> None:
    big = Dripping(HEAD.replace(b"99999", str(10 * MAX_JWKS_BYTES).encode()) + b"\r\n", b"")
    big.lead += b" " * (2 * MAX_JWKS_BYTES)
    keys = JwksKeys(big.url, cache_seconds=300, timeout=5)
    with pytest.raises(IdentityUnavailableError, match="larger than 1,048,576 bytes"):
        keys.key("any")
    big.sock.close()
