"""GitHub webhook signatures: ``X-Hub-Signature-256`` is ``sha256=`` and the hex HMAC-SHA256 of
the raw request body, keyed with the webhook secret."""

from __future__ import annotations

import hashlib
import hmac

PREFIX = "sha256="


def signature(secret: bytes, body: bytes) -> str:
    """The ``X-Hub-Signature-256`` value GitHub sends for ``body``."""
    return PREFIX + hmac.new(secret, body, hashlib.sha256).hexdigest()


def verify_signature(secret: bytes, body: bytes, header: str | None) -> bool:
    """Whether ``header`` signs ``body`` with ``secret``; compared in constant time.

    An empty secret verifies nothing: a service without a configured secret accepts no delivery.
    """
    if not secret or not header or not header.startswith(PREFIX):
        return False
    # compare_digest wants ASCII on both sides; a non-ASCII header is simply wrong.
    if not header.isascii():
        return False
    return hmac.compare_digest(signature(secret, body), header)
