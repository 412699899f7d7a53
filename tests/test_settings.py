"""Settings: one YAML file, ``CATALOG_*`` environment variables on top, errors that name the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from catalog_service.errors import ConfigurationError
from catalog_service.settings import Settings, load_settings

SECRET = "s3cr3t-value-never-shown"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "catalog.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def config_error(tmp_path: Path, text: str) -> str:
    with pytest.raises(ConfigurationError) as raised:
        load_settings(write(tmp_path, text))
    return raised.value.message


FULL = """
source:
  url: https://github.com/acme/gitops.git
  branch: trunk
  roots: [apps, platform/]
  pollSeconds: 30
  cacheDir: /var/cache/catalog
environments: [dev, staging, prod]
platformTeam: [alice, bob]
links:
  - {title: "Argo CD ({environment})", url: "https://argocd.example.com/applications/{name}-{environment}"}
github: {token: ghp_abc, webhookSecret: whsec, apiUrl: https://github.acme.example/api/v3}
auth: {tokens: [token-one-0123456789, token-two-0123456789]}
database: {url: "sqlite:///tmp/catalog.db"}
ingest: {holdBackEmpty: false, maxRemovedFraction: 0.25}
"""


def test_a_full_configuration_file(tmp_path: Path) -> None:
    settings = load_settings(write(tmp_path, FULL))
    assert settings.source.url == "https://github.com/acme/gitops.git"
    assert settings.source.branch == "trunk"
    assert settings.source.roots == ["apps", "platform"]
    assert settings.source.pollSeconds == 30
    assert settings.mirror_dir() == Path("/var/cache/catalog")
    assert settings.platformTeam == ["alice", "bob"]
    assert settings.links[0].url.endswith("{name}-{environment}")
    assert (
        settings.github.token is not None and settings.github.token.get_secret_value() == "ghp_abc"
    )
    assert settings.github.web_url == "https://github.acme.example"
    assert [token.get_secret_value() for token in settings.auth.tokens] == [
        "token-one-0123456789",
        "token-two-0123456789",
    ]
    assert settings.ingest.holdBackEmpty is False and settings.ingest.maxRemovedFraction == 0.25
    assert "ghp_abc" not in repr(settings), "secrets are not shown in reprs"


def test_defaults(tmp_path: Path) -> None:
    settings = load_settings(write(tmp_path, "source: {url: /srv/gitops}\n"))
    assert settings.source.branch == "main" and settings.source.roots == ["apps"]
    assert settings.source.pollSeconds == 60
    assert settings.environments == ["dev", "staging", "prod"]
    assert settings.auth.tokens == [] and settings.github.token is None
    assert settings.ingest.holdBackEmpty is True and settings.ingest.maxRemovedFraction == 0.5
    assert settings.github.web_url == "https://github.com"
    # The mirror lives under $XDG_CACHE_HOME (set per test by conftest), keyed by URL and branch.
    mirror = settings.mirror_dir()
    assert mirror.parent == tmp_path / "xdg-cache" / "catalog-service" / "mirrors"
    other = load_settings(write(tmp_path, "source: {url: /srv/gitops, branch: dev}\n"))
    assert other.mirror_dir() != mirror


def test_environment_variables_override_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(tmp_path, FULL)
    monkeypatch.setenv("CATALOG_SOURCE__URL", "/srv/other-gitops")
    monkeypatch.setenv("CATALOG_SOURCE__POLLSECONDS", "5")
    monkeypatch.setenv(
        "CATALOG_AUTH__TOKENS", '["token-1-0123456789", "token-2-0123456789", "token-3-0123456789"]'
    )
    monkeypatch.setenv("CATALOG_ENVIRONMENTS", '["qa", "live"]')
    monkeypatch.setenv("CATALOG_INGEST__MAXREMOVEDFRACTION", "0.9")
    monkeypatch.setenv("catalog_platformteam", '["carol"]')

    settings = load_settings(path)

    assert settings.source.url == "/srv/other-gitops"
    assert settings.source.pollSeconds == 5
    assert settings.source.branch == "trunk", "keys not overridden keep the file's value"
    assert settings.source.roots == ["apps", "platform"]
    assert [token.get_secret_value() for token in settings.auth.tokens] == [
        "token-1-0123456789",
        "token-2-0123456789",
        "token-3-0123456789",
    ]
    assert settings.environments == ["qa", "live"]
    assert settings.ingest.maxRemovedFraction == 0.9
    assert settings.ingest.holdBackEmpty is False
    assert settings.platformTeam == ["carol"]


def test_the_environment_alone_is_enough(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CATALOG_SOURCE__URL", "https://github.com/acme/gitops.git")
    monkeypatch.setenv("CATALOG_GITHUB__TOKEN", SECRET)
    settings = load_settings()
    assert settings.source.url == "https://github.com/acme/gitops.git"
    assert settings.github.token is not None
    assert settings.github.token.get_secret_value() == SECRET


def test_catalog_config_names_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CATALOG_CONFIG", str(write(tmp_path, FULL)))
    assert load_settings().source.branch == "trunk"


def test_no_configuration_at_all_says_how_to_give_one() -> None:
    with pytest.raises(ConfigurationError) as raised:
        load_settings()
    assert raised.value.message.startswith("no configuration: give --config FILE")
    assert "CATALOG_CONFIG" in raised.value.message


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("source: {url: /x, pollSeconds: -1}\n", "source.pollSeconds"),
        ("source: {url: /x, pollSeconds: often}\n", "source.pollSeconds"),
        ("source: {url: ''}\n", "source.url"),
        ("source: {url: /x, roots: []}\n", "source.roots"),
        ("source: {url: /x, roots: [../elsewhere]}\n", "source.roots"),
        ("source: {url: /x, roots: [/abs/../../x]}\n", "source.roots"),
        ("source: {url: /x}\nenvironments: [Prod]\n", "environments.0"),
        ("source: {url: /x}\nenvironments: [dev, dev]\n", "environments"),
        ("source: {url: /x}\nenvironments: []\n", "environments"),
        ("source: {url: /x}\nlinks: [{title: t, url: 'https://x/{nmae}'}]\n", "links.0.url"),
        ("source: {url: /x}\ningest: {maxRemovedFraction: 2}\n", "ingest.maxRemovedFraction"),
        ("source: {url: /x}\ningest: {holdBackEmpty: perhaps}\n", "ingest.holdBackEmpty"),
        ("source: {url: /x}\nauth: {tokens: notalist}\n", "auth.tokens"),
        ("source: /x\n", "source"),
        # issue 13: what used to start and then misbehave
        ("source: {url: /x, pollSeconds: 0.001}\n", "source.pollSeconds"),
        ("source: {url: /x, pollSeconds: .inf}\n", "source.pollSeconds"),
        ("source: {url: /x, pollSeconds: .nan}\n", "source.pollSeconds"),
        ("source: {url: /x, timeoutSeconds: .inf}\n", "source.timeoutSeconds"),
        ("source: {url: /x}\ngithub: {reconcileMinutes: .inf}\n", "github.reconcileMinutes"),
        ("source: {url: /x}\ningest: {maxRemovedFraction: .nan}\n", "ingest.maxRemovedFraction"),
        ("source: {url: /x}\ndatabase: {url: 'sqlite://'}\n", "database.url"),
        ("source: {url: /x}\ndatabase: {url: 'sqlite:///:memory:'}\n", "database.url"),
        ("source: {url: /x}\ndatabase: {url: 'sqlite+pysqlite://'}\n", "database.url"),
        (
            "source: {url: /x}\ndatabase: {url: 'sqlite:///file:x?mode=memory&uri=true'}\n",
            "database.url",
        ),
        ("source: {url: /x}\ngithub: {apiUrl: api.github.com}\n", "github.apiUrl"),
        ("source: {url: /x}\ngithub: {apiUrl: 'ftp://github.example'}\n", "github.apiUrl"),
        ("source: {url: /x}\ngithub: {apiUrl: 'https://'}\n", "github.apiUrl"),
        (
            "source: {url: /x}\nactions: {manifestPath: 'apps/{system}.yaml'}\n",
            "actions.manifestPath",
        ),
        (
            "source: {url: /x}\nactions: {manifestPath: '/apps/{name}.yaml'}\n",
            "actions.manifestPath",
        ),
        (
            "source: {url: /x}\nactions: {manifestPath: 'apps/../{name}.yaml'}\n",
            "actions.manifestPath",
        ),
        (
            "source: {url: /x}\nactions: {manifestPath: 'apps//{name}.yaml'}\n",
            "actions.manifestPath",
        ),
        (
            "source: {url: /x}\nactions: {manifestPath: 'apps/{name}.json'}\n",
            "actions.manifestPath",
        ),
        (
            "source: {url: /x}\nlinks: [{title: t, url: 'javascript:alert(1)//{name}'}]\n",
            "links.0.url",
        ),
        ("source: {url: /x}\nlinks: [{title: t, url: 'data:text/html,{name}'}]\n", "links.0.url"),
        ("source: {url: /x}\nlinks: [{title: t, url: '{name}.example.com'}]\n", "links.0.url"),
    ],
)
def test_a_wrong_setting_is_named(tmp_path: Path, text: str, named: str) -> None:
    message = config_error(tmp_path, text)
    assert f"  {named}: " in message, message
    assert str(tmp_path / "catalog.yaml") in message


def test_a_manifest_path_outside_the_roots_is_named(tmp_path: Path) -> None:
    message = config_error(
        tmp_path, "source: {url: /x, roots: [apps]}\nactions: {manifestPath: 'other/{name}.yaml'}\n"
    )
    assert "actions.manifestPath: other/{name}.yaml is outside source.roots ['apps']" in message


def test_a_poll_interval_of_one_second_and_an_http_api_are_accepted(tmp_path: Path) -> None:
    settings = load_settings(
        write(
            tmp_path,
            "source: {url: /x, pollSeconds: 1}\ngithub: {apiUrl: 'http://ghe.internal/api/v3'}\n"
            "database: {url: 'sqlite:////var/lib/catalog/catalog.db'}\n",
        )
    )
    assert settings.source.pollSeconds == 1
    assert settings.github.web_url == "http://ghe.internal"


def test_an_infinite_number_in_the_environment_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CATALOG_SOURCE__URL", "/x")
    monkeypatch.setenv("CATALOG_SOURCE__POLLSECONDS", "inf")
    with pytest.raises(ConfigurationError) as raised:
        load_settings()
    assert "  source.pollSeconds: " in raised.value.message


@pytest.mark.parametrize(
    "text",
    [
        f"source: {{url: /x}}\nauth: {{tokens: {SECRET}}}\n",
        f"source: {{url: /x}}\nauth: {{tokens: [{{value: {SECRET}}}]}}\n",
        f"source: {{url: /x}}\ngithub: {{token: [{SECRET}]}}\n",
        f"source: {{url: /x}}\ngithub: {{webhookSecret: {{a: {SECRET}}}}}\n",
        f"source: {{url: /x, pollSeconds: {SECRET}}}\n",
        f"source: {{url: /x}}\ngithub: {{tokne: {SECRET}}}\n",
    ],
)
def test_a_wrong_setting_never_echoes_its_value(tmp_path: Path, text: str) -> None:
    message = config_error(tmp_path, text)
    assert SECRET not in message, message


def test_a_wrong_environment_variable_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CATALOG_SOURCE__URL", "/x")
    monkeypatch.setenv("CATALOG_SOURCE__POLLSECONDS", SECRET)
    with pytest.raises(ConfigurationError) as raised:
        load_settings()
    assert "source.pollSeconds" in raised.value.message
    assert "CATALOG_" in raised.value.message
    assert SECRET not in raised.value.message


def test_a_list_variable_that_is_not_json_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CATALOG_SOURCE__URL", "/x")
    monkeypatch.setenv("CATALOG_AUTH__TOKENS", f"[{SECRET}")
    with pytest.raises(ConfigurationError) as raised:
        load_settings()
    assert raised.value.message.startswith("invalid configuration in CATALOG_* variables")
    assert '"auth"' in raised.value.message
    assert SECRET not in raised.value.message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("source: {url: /x}\nsourec: {url: /y}\n", "sourec: unknown key; did you mean source?"),
        (
            "source: {url: /x, brnach: main}\n",
            "source.brnach: unknown key; did you mean branch?",
        ),
        (
            "source: {url: /x}\ningest: {holdBack: true}\n",
            "ingest.holdBack: unknown key; did you mean holdBackEmpty?",
        ),
        (
            "source: {url: /x}\nlinks: [{title: t, url: 'https://x', icon: y}]\n",
            "links.0.icon: unknown key; known keys here: title, url",
        ),
    ],
)
def test_an_unknown_key_is_rejected_with_a_suggestion(
    tmp_path: Path, text: str, expected: str
) -> None:
    message = config_error(tmp_path, text)
    assert f"\n  {expected}" in message, message


def test_bad_yaml_in_the_configuration_file_is_located(tmp_path: Path) -> None:
    message = config_error(tmp_path, "source:\n  url: /x\n  branch: [main\nauth: {}\n")
    path = tmp_path / "catalog.yaml"
    assert message.startswith(f"{path}:4:"), message
    assert "invalid YAML" in message


def test_a_configuration_that_is_not_a_mapping(tmp_path: Path) -> None:
    assert "must be a YAML mapping" in config_error(tmp_path, "- source\n- url\n")


def test_an_empty_configuration_file_needs_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert "source: Field required" in config_error(tmp_path, "# nothing yet\n")
    monkeypatch.setenv("CATALOG_SOURCE__URL", "/srv/gitops")
    assert load_settings(write(tmp_path, "")).source.url == "/srv/gitops"


def test_an_unreadable_configuration_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="cannot read configuration file"):
        load_settings(tmp_path / "missing.yaml")
    not_utf8 = tmp_path / "latin1.yaml"
    not_utf8.write_bytes(b"source: {url: /caf\xe9}\n")
    with pytest.raises(ConfigurationError, match="cannot read configuration file"):
        load_settings(not_utf8)


def test_settings_are_frozen(tmp_path: Path) -> None:
    settings = load_settings(write(tmp_path, FULL))
    with pytest.raises(ValueError, match="frozen"):
        settings.source.url = "/elsewhere"  # type: ignore[misc]
    assert isinstance(settings, Settings)


@pytest.mark.parametrize(
    ("tokens", "named"),
    [
        ("['...']", ["auth.tokens.0"]),  # the placeholder of the documented example
        (f"[{SECRET}, short-0123456]", ["auth.tokens.1"]),  # 15 characters
        ("[a, '']", ["auth.tokens.0", "auth.tokens.1"]),
    ],
)
def test_a_short_token_stops_the_start_naming_its_key(
    tmp_path: Path, tokens: str, named: list[str]
) -> None:
    message = config_error(tmp_path, f"source: {{url: /x}}\nauth: {{tokens: {tokens}}}\n")
    for key in named:
        assert f"  {key}: Value error, a token must be at least 16 characters" in message, message
    assert message.count("at least 16 characters") == len(named), message
    for value in ("short-0123456", "'...'"):
        assert value not in message, message


def test_a_token_of_16_characters_is_accepted(tmp_path: Path) -> None:
    settings = load_settings(
        write(tmp_path, "source: {url: /x}\nauth: {tokens: [0123456789abcdef]}\n")
    )
    assert [token.get_secret_value() for token in settings.auth.tokens] == ["0123456789abcdef"]


def test_a_short_token_in_the_environment_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CATALOG_SOURCE__URL", "/x")
    monkeypatch.setenv("CATALOG_AUTH__TOKENS", '["[...]"]')
    with pytest.raises(ConfigurationError) as raised:
        load_settings()
    assert "auth.tokens.0: " in raised.value.message and "[...]" not in raised.value.message


@pytest.mark.parametrize("other", ["tokens", "trustedTokens"])
def test_a_ci_token_also_given_every_right_stops_the_start(tmp_path: Path, other: str) -> None:
    # Listed in both, the CI token passed require_token: the "set-version only" rule was void.
    ci = "ci-token-0123456789abcdef"
    message = config_error(
        tmp_path, f"source: {{url: /x}}\nauth: {{ciTokens: [{ci}], {other}: [{ci}]}}\n"
    )
    assert f"auth: Value error, a token of auth.ciTokens is also in auth.{other}" in message
    assert ci not in message


def test_a_namespace_two_environments_share_on_one_cluster_stops_the_start(
    tmp_path: Path,
) -> None:
    # render.namespace "{system}" with every environment in the cluster Argo CD runs in (the
    # default): pay-dev and pay-prod both deployed release pay into namespace shop.
    base = "source: {url: /x}\nenvironments: [dev, staging, prod]\n"
    message = config_error(tmp_path, base + "render: {namespace: '{system}'}\n")
    assert "render.namespace '{system}' has no {environment}, and dev and staging deploy" in (
        message
    )
    clusters = ", ".join(f"{env}: {{name: {env}-cluster}}" for env in ("dev", "staging", "prod"))
    apart = "render: {namespace: '{system}', destinations: {" + clusters + "}}\n"
    assert load_settings(write(tmp_path, base + apart)).render.namespace == "{system}"
    shared = apart.replace("prod-cluster", "staging-cluster")
    assert "staging and prod deploy to the same cluster" in config_error(tmp_path, base + shared)
