"""X-Hub-Signature-256: GitHub's documented vector, and every way a header can be wrong."""

from __future__ import annotations

import pytest

from catalog_service.github.signatures import verify_signature
from tests.support.github_double import sign

SECRET = b"It's a Secret to Everybody"
BODY = b"Hello, World!"
DOCUMENTED = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"


def test_githubs_documented_vector() -> None:
    assert verify_signature(SECRET, BODY, DOCUMENTED)
    assert sign(SECRET, BODY) == DOCUMENTED, "the tests' signer agrees with GitHub"


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "sha256=",
        DOCUMENTED.removeprefix("sha256="),  # no prefix
        "sha1=" + DOCUMENTED.removeprefix("sha256="),
        DOCUMENTED.upper(),
        DOCUMENTED[:-1] + "0",  # one digit off
        DOCUMENTED + "00",
        "sha256=" + "é" * 64,  # not ASCII
        " " + DOCUMENTED,
    ],
)
def test_wrong_missing_or_malformed_headers_fail(header: str | None) -> None:
    assert not verify_signature(SECRET, BODY, header)


def test_another_body_or_secret_fails() -> None:
    assert not verify_signature(SECRET, b"Hello, World?", DOCUMENTED)
    assert not verify_signature(b"another secret", BODY, DOCUMENTED)


def test_an_empty_secret_verifies_nothing() -> None:
    assert not verify_signature(b"", BODY, sign(b"", BODY))
