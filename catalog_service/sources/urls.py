"""Remote URLs as the git source takes them: local paths made absolute, credentials split off
(they travel in a header, never in a URL git keeps) and redacted for messages."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlsplit, urlunsplit


def absolute_if_local(url: str) -> str:
    """A local path made absolute: git runs in the mirror's folder, not where we started."""
    if "://" in url or not Path(url).expanduser().exists():
        return url
    return str(Path(url).expanduser().absolute())


def split_credentials(url: str) -> tuple[str, str | None]:
    """An http(s) URL without its ``user:password@``, and that ``user:password`` (decoded)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return url, None
    userinfo, at, host = parts.netloc.rpartition("@")
    if parts.scheme not in ("http", "https") or not at:
        return url, None
    user, _, password = userinfo.partition(":")
    return urlunsplit(parts._replace(netloc=host)), f"{unquote(user)}:{unquote(password)}"


def redacted_url(url: str) -> str:
    """``url`` without the credentials it may carry (``https://user:token@host/...``)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    userinfo, at, host = parts.netloc.rpartition("@")
    if not at:
        return url
    if parts.scheme in ("http", "https"):
        userinfo = "***"  # a token is often given as the user name alone
    elif ":" in userinfo:
        userinfo = userinfo.partition(":")[0] + ":***"
    return urlunsplit(parts._replace(netloc=f"{userinfo}@{host}"))
