"""The log formatters: the JSON line's fields, and secrets replaced wherever they appear."""

from __future__ import annotations

import io
import json
import logging

from catalog_service.logs import (
    REDACTED,
    JsonFormatter,
    Redactor,
    reset_request_id,
    set_request_id,
    settings_secrets,
)
from tests.support.settings import TEST_TOKEN, SettingsFactory

PEM = (
    "-----BEGIN RSA PRIVATE KEY-----\n"
    "MIIBOgIBAAJBAKj34GkxFhD90vcNLYLInFEX\n"
    "-----END RSA PRIVATE KEY-----\n"
)


def line(formatter: logging.Formatter, message: str, *args: object, **extra: object) -> str:
    record = logging.LogRecord(
        "catalog_service.x", logging.WARNING, __file__, 1, message, args, None
    )
    record.__dict__.update(extra)
    return formatter.format(record)


def test_every_configured_secret_is_found(make_settings: SettingsFactory) -> None:
    settings = make_settings(
        github={
            "app": {"id": 1, "installationId": 2, "privateKey": PEM},
            "webhookSecret": "hook-42x",
        },
        database={"url": "postgresql+psycopg://catalog:db-pass-99@db:5432/catalog"},
        backstage={"eventsUrl": "https://b.example/e", "token": "backstage-token-0123456789"},
    )
    assert set(settings_secrets(settings)) == {
        TEST_TOKEN,
        PEM,
        "hook-42x",
        "db-pass-99",
        "backstage-token-0123456789",
    }


def test_secrets_and_secret_shapes_are_redacted() -> None:
    redact = Redactor([TEST_TOKEN, PEM, "short"])
    assert redact(f"token {TEST_TOKEN} refused") == f"token {REDACTED} refused"
    # A key logged line by line is still hidden; a piece under 6 characters is left alone.
    assert redact("got MIIBOgIBAAJBAKj34GkxFhD90vcNLYLInFEX back") == f"got {REDACTED} back"
    assert redact("a short word") == "a short word"
    assert redact("Authorization: Bearer abc.def-123456") == f"Authorization: Bearer {REDACTED}"
    assert redact("Authorization: Basic dXNlcjpwYXNz") == f"Authorization: Basic {REDACTED}"
    assert (
        redact("clone https://x-access-token:ghs_abcdef@github.com/acme/g.git failed")
        == f"clone https://x-access-token:{REDACTED}@github.com/acme/g.git failed"
    )
    assert redact("host=db password=hunter22 user=c") == f"host=db password={REDACTED} user=c"


def test_a_json_line_has_the_fields_and_the_request_id() -> None:
    formatter = JsonFormatter(Redactor([TEST_TOKEN]))
    token = set_request_id("req-1")
    try:
        text = line(formatter, "GET %s", "/x", method="GET", path="/x", status=200, durationMs=1.5)
    finally:
        reset_request_id(token)
    record = json.loads(text)
    assert record.pop("time").endswith("Z")
    assert record == {
        "level": "WARNING",
        "logger": "catalog_service.x",
        "message": "GET /x",
        "requestId": "req-1",
        "method": "GET",
        "path": "/x",
        "status": 200,
        "durationMs": 1.5,
    }
    assert "requestId" not in json.loads(line(formatter, "outside a request"))


def test_an_exception_is_one_line_and_redacted() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter(Redactor([TEST_TOKEN])))
    logger = logging.getLogger("tests.logs.exception")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        raise RuntimeError(f"push with {TEST_TOKEN}\nsecond line")
    except RuntimeError:
        logger.exception("it failed")
    finally:
        logger.removeHandler(handler)
    (text,) = stream.getvalue().splitlines()
    record = json.loads(text)
    assert record["message"] == "it failed"
    assert "RuntimeError: push with [redacted]" in record["exception"]
    assert TEST_TOKEN not in text


def test_no_field_of_a_json_line_carries_a_secret() -> None:
    # A caller that puts a token in the path (or the request id) by mistake: the message was
    # redacted, the path and requestId fields of the same line were written as given.
    formatter = JsonFormatter(Redactor([TEST_TOKEN]))
    token = set_request_id(TEST_TOKEN)
    try:
        path = f"/api/v1/actions/{TEST_TOKEN}"
        text = line(formatter, "POST %s", path, method="POST", path=path, status=404)
    finally:
        reset_request_id(token)
    assert TEST_TOKEN not in text
    record = json.loads(text)
    assert record["path"] == f"/api/v1/actions/{REDACTED}" and record["requestId"] == REDACTED


def test_secret_shaped_pairs_with_a_prefix_are_redacted() -> None:
    redact = Redactor()
    for pair in ("access_token=gho_16C7e42F", "client_secret=s3cr3t-x", "x-api-token=abc123"):
        name = pair.partition("=")[0]
        assert redact(f"GET /cb?{pair}&state=1") == f"GET /cb?{name}={REDACTED}&state=1"
