"""Credentials: a token, or a GitHub App whose installation tokens are fetched and renewed; GitHub
Enterprise through apiUrl; and no credential in any error or log line."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from functools import partial
from typing import Any

import jwt
import pytest

from catalog_service.errors import GitHubError, GitHubPermissionError
from tests.github.support import REPO, make_client
from tests.support.github_double import GitHubDouble
from tests.support.github_fixtures import DOUBLE_TOKEN, AppKey

APP_ID, INSTALLATION = 4242, 77
TOKENS = f"/app/installations/{INSTALLATION}/access_tokens"


def app_settings(key: AppKey) -> dict[str, Any]:
    return {"app": {"id": APP_ID, "privateKey": key.private_pem, "installationId": INSTALLATION}}


def test_a_token_is_sent_on_every_request_to_the_enterprise_path(
    github_double: GitHubDouble,
) -> None:
    github_double.add_pull(REPO, 1)
    client = make_client(github_double)
    client.pull_request(REPO, 1)
    client.pull_request_files(REPO, 1)
    assert github_double.api_url.endswith("/api/v3")
    assert [r.authorization for r in github_double.requests] == [f"token {DOUBLE_TOKEN}"] * 2


def test_a_refused_token_is_a_permission_error_without_the_token(
    github_double: GitHubDouble,
) -> None:
    github_double.add_pull(REPO, 1)
    with pytest.raises(
        GitHubPermissionError, match=r"401.*Bad credentials.*not accepted"
    ) as raised:
        make_client(github_double, token="ghp_wrongTokenValue0000000000000000000").pull_request(
            REPO, 1
        )
    assert "ghp_wrong" not in str(raised.value)


def test_an_app_fetches_an_installation_token_and_uses_it(
    github_double: GitHubDouble, github_app_key: AppKey
) -> None:
    github_double.add_app(APP_ID, github_app_key.public_pem, INSTALLATION)
    github_double.add_pull(REPO, 1)
    client = make_client(github_double, **app_settings(github_app_key))

    client.pull_request(REPO, 1)
    client.pull_request_reviews(REPO, 1)

    [fetch] = github_double.requests_to("POST", TOKENS)
    scheme, _, assertion = (fetch.authorization or "").partition(" ")
    claims = jwt.decode(assertion, github_app_key.public_pem, algorithms=["RS256"])
    assert scheme == "Bearer" and claims["iss"] == str(APP_ID)
    [issued] = github_double.issued
    api_calls = [r for r in github_double.requests if r.path.startswith("/repos/")]
    assert [r.authorization for r in api_calls] == [f"token {issued.token}"] * 2
    # git gets an installation token of its own (renewed with a wider margin), cached too.
    for_git = client.access_token()
    assert client.access_token() == for_git != issued.token
    assert [t.token for t in github_double.issued] == [issued.token, for_git]


def test_an_installation_token_is_renewed_before_it_expires(
    github_double: GitHubDouble, github_app_key: AppKey
) -> None:
    # Ten seconds left is inside PyGithub's renewal margin (20 s): each use renews it first.
    github_double.token_lifetime = timedelta(seconds=10)
    github_double.add_app(APP_ID, github_app_key.public_pem, INSTALLATION)
    github_double.add_pull(REPO, 1)
    client = make_client(github_double, **app_settings(github_app_key))

    for _ in range(3):
        client.pull_request(REPO, 1)

    assert len(github_double.issued) == 3
    used = [r.authorization for r in github_double.requests if r.path.startswith("/repos/")]
    assert used == [f"token {t.token}" for t in github_double.issued]
    assert len(set(used)) == 3


def test_an_app_with_the_wrong_key_is_refused(
    github_double: GitHubDouble, github_app_key: AppKey
) -> None:
    other = AppKey(github_app_key.private_pem, _other_public_key())
    github_double.add_app(APP_ID, other.public_pem, INSTALLATION)
    with pytest.raises(GitHubPermissionError, match="401 while reading pull request"):
        make_client(github_double, **app_settings(github_app_key)).pull_request(REPO, 1)
    assert github_double.issued == []


def _other_public_key() -> str:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key()
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()


def test_no_credential_in_any_log_line_or_error(
    github_double: GitHubDouble, github_app_key: AppKey, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="github")  # PyGithub logs bodies at DEBUG
    github_double.add_app(APP_ID, github_app_key.public_pem, INSTALLATION)
    github_double.add_pull(REPO, 1)
    messages = []
    for settings in ({"token": DOUBLE_TOKEN}, app_settings(github_app_key)):
        client = make_client(github_double, max_retries=1, **settings)
        github_double.fail("GET", "/repos/{owner}/{repo}/pulls/{number}", 500, times=2)
        github_double.forbid("POST", "/repos/{owner}/{repo}/check-runs")
        calls: list[Callable[[], object]] = [
            partial(client.pull_request, REPO, 1),
            partial(
                client.create_check_run, REPO, name="x", head_sha="a" * 40, conclusion="success"
            ),
            partial(client.pull_request, REPO, 404),
        ]
        for call in calls:
            with pytest.raises(GitHubError) as raised:
                call()
            messages.append(str(raised.value))
        client.pull_request(REPO, 1)  # and a success, whose body is logged too

    assert github_double.issued, "the App flow ran"
    secrets = [DOUBLE_TOKEN, *(t.token for t in github_double.issued)]
    secrets += [line for line in github_app_key.private_pem.splitlines() if "-----" not in line]
    logged = caplog.text + "\n".join(messages)
    assert "access_tokens" in caplog.text, "PyGithub's debug log was captured"
    for secret in secrets:
        assert secret not in logged
