"""Backstage's signing keys, fetched from its JWKS endpoint and kept for a while.

A key id the cached set does not have makes one fetch again (Backstage rotates its keys), at most
once per ``min_refetch_seconds`` so that tokens with made-up key ids cannot make us hammer it.
Keys that cannot be fetched are an ``IdentityUnavailableError``: nothing is accepted unchecked,
and expired keys are not used past ``cache_seconds``.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable

import jwt

from catalog_service.errors import AuthenticationError, IdentityUnavailableError

MAX_JWKS_BYTES = 1024 * 1024
# (url, timeout) -> the body; the one place this module touches the network.
Fetch = Callable[[str, float], bytes]


def fetch_url(url: str, timeout: float) -> bytes:
    request = urllib.request.Request(url, headers={"Accept": "application/json"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        body: bytes = response.read(MAX_JWKS_BYTES + 1)
    if len(body) > MAX_JWKS_BYTES:
        raise ValueError(f"the answer is larger than {MAX_JWKS_BYTES:,} bytes")
    return body


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
