"""The ``argocd:`` and ``restart:`` settings: checked at load, every problem named."""

from __future__ import annotations

import pytest

from catalog_service.errors import ConfigurationError
from catalog_service.settings import load_settings

SOURCE = {"url": "/srv/gitops"}
TOKEN = "argocd-token-0123456789"


def test_defaults_and_the_application_name_render_writes() -> None:
    settings = load_settings(
        None, source=SOURCE, argocd={"url": "https://cd.example.com/", "token": TOKEN}
    )
    argocd = settings.argocd
    assert argocd is not None
    assert argocd.url == "https://cd.example.com" and argocd.timeoutSeconds == 10
    assert argocd.statusCacheSeconds == 5
    assert argocd.application_name("payments-api", "prod") == "payments-api-prod"
    assert load_settings(None, source=SOURCE).argocd is None


def test_the_token_comes_from_the_environment_and_is_never_shown(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CATALOG_ARGOCD__TOKEN", TOKEN)  # a secret from the environment
    settings = load_settings(None, source=SOURCE, argocd={"url": "https://cd.example.com"})
    assert settings.argocd is not None
    assert settings.argocd.token.get_secret_value() == TOKEN
    assert TOKEN not in repr(settings)


@pytest.mark.parametrize(
    ("argocd", "expected"),
    [
        ({"url": "cd.example.com"}, "argocd.url: Value error, argocd.url must be an http://"),
        ({"url": "https://cd.example.com?x=1"}, "must not hold a query"),
        ({"url": "https://cd", "applicationName": "{name}-{environment}"}, "{name}"),
        ({"url": "https://cd", "applicationName": "{environment}"}, "must contain {application}"),
        ({"url": "https://cd", "applicationName": "team/{application}"}, "an Argo CD"),
        ({"url": "https://cd", "applicationName": "{application}_{environment}"}, "an Argo CD"),
        ({"url": "https://cd", "timeoutSeconds": 0}, "argocd.timeoutSeconds"),
        ({"url": "https://cd", "statusCacheSeconds": -1}, "argocd.statusCacheSeconds"),
        ({"url": "https://cd", "token": "two words"}, "the token must be one word"),
        ({"url": "https://cd", "tokn": "x"}, "argocd.tokn: unknown key"),
    ],
)
def test_wrong_argocd_settings_are_named(argocd: dict[str, object], expected: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        load_settings(None, source=SOURCE, argocd={"token": TOKEN, **argocd})
    assert expected in caught.value.message
    assert TOKEN not in caught.value.message


def test_restart_protected_names_configured_environments_only() -> None:
    settings = load_settings(
        None, source=SOURCE, restart={"protected": {"prod": ["group:default/team-platform"]}}
    )
    assert settings.restart.protected == {"prod": ["group:default/team-platform"]}
    with pytest.raises(ConfigurationError) as caught:
        load_settings(None, source=SOURCE, restart={"protected": {"qa": ["user:default/a"]}})
    assert "restart.protected names unknown environments: ['qa']" in caught.value.message
