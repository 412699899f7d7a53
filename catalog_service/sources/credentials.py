"""Credentials for git talking to a remote: given to each git process in its environment as an
``http.extraHeader`` (like actions/checkout), never on its command line, in the remote URL or in
a repository's configuration.

A GitHub App's installation token lasts an hour, so it is asked for again for every process that
talks to the remote (the provider caches it and renews it before it expires); local git work
never asks. Every secret handed out is remembered, so messages can be redacted.
"""

from __future__ import annotations

import base64
from collections import deque
from collections.abc import Callable

from catalog_service.errors import CatalogError, SourceError

# A token, or what hands out a current one (``PyGithubClient.access_token``).
TokenProvider = Callable[[], str]
Token = str | TokenProvider
_REMEMBERED = 16  # tokens kept for redaction: a day of hourly tokens, and then some


class GitCredentials:
    """``credentials`` (``user:password``, from the URL) are sent over any transport; a token
    only over HTTPS, as ``x-access-token:<token>``."""

    def __init__(self, url: str, *, credentials: str | None = None, token: Token | None = None):
        self._fixed = credentials
        self._token = token if credentials is None and url.startswith("https://") else None
        self._secrets: deque[str] = deque(maxlen=_REMEMBERED)
        for secret in (credentials, token):
            if isinstance(secret, str) and secret:
                self._secrets.append(secret)

    def env(self) -> dict[str, str]:
        """The environment a git process talking to the remote gets (a fresh token each time).
        Raises SourceError when no token can be had."""
        credentials = self._fixed
        if credentials is None and self._token is not None:
            try:
                token = self._token() if callable(self._token) else self._token
            except CatalogError as error:
                raise SourceError(f"no token for git from GitHub: {error.message}") from None
            if token not in self._secrets:
                self._secrets.append(token)
            credentials = f"x-access-token:{token}"
        return header_env(credentials)

    def redact(self, text: str) -> str:
        for secret in list(self._secrets):
            text = text.replace(secret, "***")
        return text


def header_env(credentials: str | None) -> dict[str, str]:
    """``Authorization: basic <credentials>`` on every HTTP request of git, set through its
    environment; nothing for no credentials."""
    if not credentials:
        return {}
    encoded = base64.b64encode(credentials.encode()).decode()
    return {
        "GIT_CONFIG_COUNT": "1",
        "GIT_CONFIG_KEY_0": "http.extraHeader",
        "GIT_CONFIG_VALUE_0": f"AUTHORIZATION: basic {encoded}",
    }
