"""Backstage's signing keys, fetched from its JWKS endpoint and kept for a while.

A key id the cached set does not have makes one fetch again (Backstage rotates its keys), at most
once per ``min_refetch_seconds`` so that tokens with made-up key ids cannot make us hammer it.
Keys that cannot be fetched are an ``IdentityUnavailableError``: nothing is accepted unchecked,
and expired keys are not used past ``cache_seconds``.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import socket
import ssl
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any

import jwt

from catalog_service.errors import AuthenticationError, IdentityUnavailableError

MAX_JWKS_BYTES = 1024 * 1024
# (url, timeout) -> the body; the one place this module touches the network.
Fetch = Callable[[str, float], bytes]


def fetch_url(url: str, timeout: float) -> bytes:
    """The body at ``url``, within ``timeout`` seconds in all: a server that answers a byte at a
    time (each within the socket's timeout) is cut off when the time is up, not read for hours
    while every check of a Backstage token waits for it."""
    cut = _Deadline()
    opener = urllib.request.build_opener(
        _Handler(cut), _HttpsHandler(cut, context=ssl.create_default_context())
    )
    request = urllib.request.Request(url, headers={"Accept": "application/json"})
    timer = threading.Timer(timeout, cut.expire)
    timer.daemon = True
    timer.start()
    try:
        with opener.open(request, timeout=timeout) as response:
            body: bytes = response.read(MAX_JWKS_BYTES + 1)
    except (OSError, http.client.HTTPException) as error:
        if cut.expired.is_set():
            raise TimeoutError(f"no whole answer within {timeout:g} s") from None
        raise OSError(str(error) or type(error).__name__) from None
    finally:
        timer.cancel()
    if cut.expired.is_set():
        raise TimeoutError(f"no whole answer within {timeout:g} s")
    if len(body) > MAX_JWKS_BYTES:
        raise ValueError(f"the answer is larger than {MAX_JWKS_BYTES:,} bytes")
    return body


class _Deadline:
    """The sockets of one fetch, shut down when its time is up (which wakes a blocked read)."""

    def __init__(self) -> None:
        self.expired = threading.Event()
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()

    def opened(self, sock: socket.socket) -> None:
        with self._lock:
            self._sockets.append(sock)
            if self.expired.is_set():
                _shut(sock)

    def expire(self) -> None:
        with self._lock:
            self.expired.set()
            for sock in self._sockets:
                _shut(sock)


def _shut(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):  # closed already
        sock.shutdown(socket.SHUT_RDWR)


def _connection(base: type[http.client.HTTPConnection], cut: _Deadline) -> Any:
    class Connection(base):  # type: ignore[valid-type,misc]
        def connect(self) -> None:
            super().connect()
            cut.opened(self.sock)

    return Connection


class _Handler(urllib.request.HTTPHandler):
    def __init__(self, cut: _Deadline) -> None:
        super().__init__()
        self._class = _connection(http.client.HTTPConnection, cut)

    def http_open(self, req: urllib.request.Request) -> Any:
        return self.do_open(self._class, req)


class _HttpsHandler(urllib.request.HTTPSHandler):
    def __init__(self, cut: _Deadline, context: ssl.SSLContext) -> None:
        super().__init__(context=context)
        self._class = _connection(http.client.HTTPSConnection, cut)

    def https_open(self, req: urllib.request.Request) -> Any:
        return self.do_open(self._class, req, context=self._context)  # type: ignore[attr-defined]


class JwksKeys:
    def __init__(
        self,
        url: str,
        *,
        cache_seconds: float,
        timeout: float,
        min_refetch_seconds: float = 10.0,
        fetch: Fetch = fetch_url,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._url = url
        self._cache_seconds = cache_seconds
        self._timeout = timeout
        self._min_refetch = min(min_refetch_seconds, cache_seconds)
        self._fetch = fetch
        self._clock = clock
        self._lock = threading.Lock()
        self._keys: dict[str, jwt.PyJWK] = {}
        self._fetched_at: float | None = None
        self._tried_at: float | None = None
        self._last_error: str | None = None
        self._unavailable = (
            f"cannot fetch Backstage's signing keys from {url} (auth.backstage.jwksUrl)"
        )

    def key(self, kid: str) -> jwt.PyJWK:
        """The key ``kid`` names; ``AuthenticationError`` when Backstage does not publish it."""
        with self._lock:
            now = self._clock()
            fresh = self._fetched_at is not None and now - self._fetched_at < self._cache_seconds
            tried = self._tried_at is not None and now - self._tried_at < self._min_refetch
            if not fresh:
                self._keys = {}  # keys past cache_seconds are never used
            if (not fresh or kid not in self._keys) and not tried:
                self._tried_at = now  # a failed fetch is not retried for every token either
                try:
                    self._keys = self._download()
                except IdentityUnavailableError as error:
                    self._last_error = error.message
                    raise
                self._fetched_at, self._last_error = now, None
            elif not fresh:
                raise IdentityUnavailableError(self._last_error or self._unavailable)
            found = self._keys.get(kid)
        if found is None:
            raise AuthenticationError(
                f"X-Backstage-Token is signed with key {kid[:80]!r}, which {self._url} does not"
                " publish: not a token this Backstage signed"
            )
        return found

    def _download(self) -> dict[str, jwt.PyJWK]:
        where = self._unavailable
        try:
            data = json.loads(self._fetch(self._url, self._timeout))
        except (OSError, urllib.error.URLError, ValueError, RecursionError) as error:
            raise IdentityUnavailableError(
                f"{where}: {error}; no Backstage token can be checked until it answers"
            ) from None
        try:
            keys = jwt.PyJWKSet.from_dict(data).keys
        except (jwt.PyJWKSetError, jwt.InvalidKeyError, TypeError, AttributeError) as error:
            raise IdentityUnavailableError(f"{where}: not a usable key set: {error}") from None
        return {key.key_id: key for key in keys if key.key_id}
