"""github.app and github.reconcileMinutes: parsed, validated, and never echoed."""

from __future__ import annotations

import pytest

from catalog_service.errors import (
    ConfigurationError,
    GitHubError,
    GitHubNotFoundError,
    GitHubPermissionError,
    GitHubRateLimitError,
    GitHubUnavailableError,
)
from catalog_service.http.errors import STATUS_CODES, status_for
from catalog_service.settings import load_settings

PEM = "-----BEGIN RSA PRIVATE KEY-----\nMIIEsecretKeyMaterial\n-----END RSA PRIVATE KEY-----\n"


def test_an_app_and_the_reconcile_interval() -> None:
    settings = load_settings(
        None,
        source={"url": "/srv/gitops"},
        github={"app": {"id": 12, "privateKey": PEM, "installationId": 34}, "reconcileMinutes": 15},
    )
    app = settings.github.app
    assert app is not None and (app.id, app.installationId) == (12, 34)
    assert app.privateKey.get_secret_value() == PEM and settings.github.reconcileMinutes == 15
    assert settings.github.configured and "secretKeyMaterial" not in repr(settings)


def test_defaults_without_github() -> None:
    github = load_settings(None, source={"url": "/srv/gitops"}).github
    assert github.app is None and github.reconcileMinutes == 60 and not github.configured


@pytest.mark.parametrize(
    ("github", "message"),
    [
        (
            {"token": "ghp_tokenValue", "app": {"id": 1, "privateKey": PEM, "installationId": 2}},
            "github: Value error, give github.token or github.app, not both",
        ),
        (
            {"app": {"id": 1, "privateKey": "secretKeyMaterial", "installationId": 2}},
            "github.app.privateKey",
        ),
        ({"app": {"id": 1, "privateKey": PEM}}, "github.app.installationId: Field required"),
        ({"reconcileMinutes": 0}, "github.reconcileMinutes"),
    ],
)
def test_wrong_github_settings_are_named_not_echoed(
    github: dict[str, object], message: str
) -> None:
    with pytest.raises(ConfigurationError) as raised:
        load_settings(None, source={"url": "/srv/gitops"}, github=github)
    assert message in raised.value.message
    assert "secretKeyMaterial" not in raised.value.message
    assert "ghp_tokenValue" not in raised.value.message


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (GitHubPermissionError, 502),
        (GitHubNotFoundError, 502),
        (GitHubRateLimitError, 503),
        (GitHubUnavailableError, 503),
        (GitHubError, 502),
    ],
)
def test_each_github_error_has_its_own_row(error: type[GitHubError], status: int) -> None:
    assert error in [kind for kind, _ in STATUS_CODES]
    assert status_for(error("x")) == status
