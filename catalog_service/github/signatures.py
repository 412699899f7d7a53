"""GitHub webhook signatures: ``X-Hub-Signature-256`` is ``sha256=`` and the hex HMAC-SHA256 of
the raw request body, keyed with the webhook secret."""

from __future__ import annotations

import hashlib
import hmac
import re

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


def well_formed(header: str | None) -> bool:
    """Whether ``header`` could be a signature at all (checked before the body is read)."""
    return header is not None and _WELL_FORMED.fullmatch(header) is not None


_WELL_FORMED = re.compile(r"sha256=[0-9a-fA-F]{64}")
