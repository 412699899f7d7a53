"""Pytest fixtures for GitHub tests: the REST double (fresh per test) and an App's RSA key."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.support.github_double import GitHubDouble

# A token the double accepts by default, shaped like a fine-grained personal access token.
DOUBLE_TOKEN = "github_pat_11AAAAAAA0DoubleTokenForTestsOnly0123456789abcdef"


@dataclass(frozen=True)
class AppKey:
    private_pem: str
    public_pem: str


@pytest.fixture
def github_double() -> Iterator[GitHubDouble]:
    """The GitHub REST double on a loopback port, with clean state; accepts ``DOUBLE_TOKEN``."""
    with GitHubDouble() as double:
        double.add_token(DOUBLE_TOKEN)
        yield double


@pytest.fixture(scope="session")
def github_app_key() -> AppKey:
    """A GitHub App's private key (PEM), as GitHub hands it out, and its public half."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    ).decode()
    public = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return AppKey(private, public)
