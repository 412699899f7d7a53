"""What the service writes on stderr (docs/operations.md): text for a terminal, or one JSON object a
line (``time``, ``level``, ``logger``, ``message``; ``requestId`` during a request, and ``method``,
``path``, ``status``, ``durationMs`` on each request's line). uvicorn's own lines go through the
same handler. No secret reaches a line: every configured secret value, bearer tokens, URL
passwords and ``password=`` pairs are replaced by ``[redacted]`` before a line is written.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import json
import logging
import re
import sys
from collections.abc import Iterable, Iterator
from typing import Any, TextIO

from pydantic import BaseModel, SecretStr
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from catalog_service.settings import LoggingSettings, Settings

REDACTED = "[redacted]"
REQUEST_FIELDS = ("method", "path", "status", "durationMs")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# Shorter pieces of a secret are not looked for: they would hide ordinary words.
MIN_SECRET_LENGTH = 6

_request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)

_PATTERNS = (
    (re.compile(r"(?i)\b(bearer\s+)[A-Za-z0-9._~+/=-]{6,}"), rf"\1{REDACTED}"),
    (re.compile(r"(?i)\b(authorization:\s*\w+\s+)\S+"), rf"\1{REDACTED}"),
    (re.compile(r"(://[^/\s:@]*:)[^@\s/]+@"), rf"\1{REDACTED}@"),
    # Any name ending so (access_token=, client_secret=): the names are looked for alone.
    (
        re.compile(r"(?i)(password|passwd|secret|token)=[^\s&;,'\"]+"),
        rf"\1={REDACTED}",
    ),
)


def current_request_id() -> str | None:
    """The id of the request being served on this task or thread, if any."""
    return _request_id.get()


def set_request_id(request_id: str | None) -> contextvars.Token[str | None]:
    return _request_id.set(request_id)


def reset_request_id(token: contextvars.Token[str | None]) -> None:
    _request_id.reset(token)


class Redactor:
    """Replaces known secret values and secret-looking patterns in a piece of text."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        pieces = {piece for secret in secrets for piece in _pieces(secret)}
        # Longest first: a secret that contains another is replaced whole.
        self._secrets = sorted(pieces, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for secret in self._secrets:
            if secret in text:
                text = text.replace(secret, REDACTED)
        for pattern, replacement in _PATTERNS:
            text = pattern.sub(replacement, text)
        return text


def _pieces(secret: str) -> Iterator[str]:
    # A PEM key may be logged line by line: each of its lines is a secret too.
    for piece in (secret, *secret.splitlines()):
        piece = piece.strip()
        if len(piece) >= MIN_SECRET_LENGTH and not piece.startswith("-----"):
            yield piece


def settings_secrets(settings: Settings) -> list[str]:
    """Every secret value the settings hold: SecretStr fields, and the database's password."""
    found = list(_secret_values(settings))
    try:
        password = make_url(settings.database.url).password
    except ArgumentError:
        password = None
    if password:
        found.append(str(password))
    return found


def _secret_values(value: Any) -> Iterator[str]:
    if isinstance(value, SecretStr):
        yield value.get_secret_value()
    elif isinstance(value, BaseModel):
        for name in type(value).model_fields:
            yield from _secret_values(getattr(value, name))
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _secret_values(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _secret_values(item)


class JsonFormatter(logging.Formatter):
    def __init__(self, redact: Redactor) -> None:
        super().__init__()
        self._redact = redact

    def format(self, record: logging.LogRecord) -> str:
        moment = dt.datetime.fromtimestamp(record.created, dt.UTC)
        line: dict[str, Any] = {
            "time": moment.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = getattr(record, "requestId", None) or current_request_id()
        if request_id:
            line["requestId"] = request_id
        for field in REQUEST_FIELDS:
            if hasattr(record, field):
                line[field] = getattr(record, field)
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        # Every field, not the message alone: a token put in a path or a request id by mistake.
        for key, value in line.items():
            if isinstance(value, str) and key != "time":
                line[key] = self._redact(value)
        return json.dumps(line, ensure_ascii=False, default=str)


class RedactingTextFormatter(logging.Formatter):
    def __init__(self, redact: Redactor) -> None:
        super().__init__(TEXT_FORMAT)
        self._redact = redact

    def format(self, record: logging.LogRecord) -> str:
        return self._redact(super().format(record))


def configure_logging(
    config: LoggingSettings,
    secrets: Iterable[str] = (),
    *,
    level: str | None = None,
    stream: TextIO | None = None,
) -> None:
    """One handler on the root logger for every line, uvicorn's included (they propagate)."""
    redact = Redactor(secrets)
    handler = logging.StreamHandler(stream or sys.stderr)
    formatter = JsonFormatter(redact) if config.format == "json" else RedactingTextFormatter(redact)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level or config.level)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        uvicorn_logger = logging.getLogger(name)
        uvicorn_logger.handlers.clear()
        uvicorn_logger.propagate = True
    # Alembic announces each of its plugins at INFO; the migrations it runs are what matters.
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
