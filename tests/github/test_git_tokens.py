"""A GitHub App's installation token lasts an hour: every git fetch and push asks the one client
for a current one (cached, renewed before it expires), against a git server over HTTPS that
admits only the tokens the GitHub double issued and that have not expired."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from catalog_service.actions.git_writer import GitWriter
from catalog_service.errors import SourceError
from catalog_service.github.pygithub import PyGithubClient
from catalog_service.service import build_ingestor, build_services, git_token
from catalog_service.sources.git import GitSource
from tests.actions.test_git_writer import AUTHOR, PATH, appending
from tests.github.support import make_client
from tests.github.test_auth import APP_ID, INSTALLATION, app_settings
from tests.support.git_https import GitHttpsServer, self_signed_certificate
from tests.support.github_double import GitHubDouble, IssuedToken
from tests.support.github_fixtures import AppKey
from tests.support.repos import GitOpsRepo
from tests.support.settings import SettingsFactory
from tests.webhooks.test_credentials import mirror_text

# The margin is what a fetch or push may take (a loaded CI machine's clone and push over HTTPS
# too): an operation that outlasts it renews the token a second time and the count is off.
LIFETIME, MARGIN = timedelta(seconds=10), timedelta(seconds=5)


def _live(double: GitHubDouble, token: str) -> bool:
    now = datetime.now(UTC)
    return any(t.token == token and t.expires_at > now for t in double.issued)


@pytest.fixture
def server(
    gitops: GitOpsRepo,
    github_double: GitHubDouble,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[GitHttpsServer]:
    certificate = self_signed_certificate(tmp_path)
    monkeypatch.setenv("GIT_SSL_CAINFO", str(certificate[0]))  # git trusts this server only
    with GitHttpsServer(gitops.root, certificate, lambda t: _live(github_double, t)) as https:
        yield https


@pytest.fixture
def client(github_double: GitHubDouble, github_app_key: AppKey) -> PyGithubClient:
    github_double.token_lifetime = LIFETIME
    github_double.add_app(APP_ID, github_app_key.public_pem, INSTALLATION)
    return make_client(github_double, git_token_margin=MARGIN, **app_settings(github_app_key))


def _after_expiry(token: IssuedToken) -> None:
    time.sleep(max(0.0, (token.expires_at - datetime.now(UTC)).total_seconds()) + 0.1)


def test_a_fetch_after_the_token_expired_uses_a_new_one(
    gitops: GitOpsRepo,
    github_double: GitHubDouble,
    server: GitHttpsServer,
    client: PyGithubClient,
    tmp_path: Path,
) -> None:
    gitops.add_application("a")
    first = gitops.commit()
    url = f"{server.base_url}/remote.git"
    source = GitSource(url, "main", ["apps"], tmp_path / "mirror", token=client.access_token)
    assert source.fetch() == first  # the clone
    gitops.add_application("b")
    second = gitops.commit()
    assert source.fetch() == second
    [old] = github_double.issued
    assert set(server.presented) == {old.token}, "one cached token for both"

    _after_expiry(old)
    assert not _live(github_double, old.token)
    stale = GitSource(url, "main", ["apps"], tmp_path / "stale", token=old.token)
    with pytest.raises(SourceError) as refused:  # what a token taken once at start comes to
        stale.fetch()
    assert old.token not in refused.value.message
    gitops.add_application("c")
    third = gitops.commit()
    assert source.fetch() == third
    new = github_double.issued[-1]
    assert len(github_double.issued) == 2 and server.presented[-1] == new.token
    for token in (old.token, new.token):
        assert token not in mirror_text(tmp_path / "mirror")


def test_a_token_close_to_expiry_is_renewed_before_the_fetch(
    gitops: GitOpsRepo,
    github_double: GitHubDouble,
    server: GitHttpsServer,
    client: PyGithubClient,
    tmp_path: Path,
) -> None:
    gitops.add_application("a")
    gitops.commit()
    url = f"{server.base_url}/remote.git"
    source = GitSource(url, "main", ["apps"], tmp_path / "mirror", token=client.access_token)
    source.fetch()
    [old] = github_double.issued
    time.sleep(max(0.0, (old.expires_at - MARGIN - datetime.now(UTC)).total_seconds()) + 0.1)
    assert _live(github_double, old.token), "still valid, but within the margin"
    gitops.add_application("b")
    second = gitops.commit()
    assert source.fetch() == second
    assert len(github_double.issued) == 2 and server.presented[-1] == github_double.issued[1].token


def test_a_push_after_the_token_expired_uses_a_new_one(
    gitops: GitOpsRepo,
    github_double: GitHubDouble,
    server: GitHttpsServer,
    client: PyGithubClient,
    tmp_path: Path,
) -> None:
    gitops.write(PATH, "lines:\n")
    gitops.commit("Add web")
    temp_root = tmp_path / "writer-tmp"
    temp_root.mkdir()
    url = f"{server.base_url}/remote.git"
    writer = GitWriter(url, ["apps"], token=client.access_token, temp_root=temp_root)
    first = writer.write(
        base="main", branch="one", paths=[PATH], edit=appending("x"), message="m", author=AUTHOR
    )
    [old] = github_double.issued
    _after_expiry(old)
    second = writer.write(
        base="main", branch="two", paths=[PATH], edit=appending("y"), message="m", author=AUTHOR
    )
    assert first.changed and second.changed
    assert writer.branch_head("two") is not None
    assert len(github_double.issued) == 2 and server.presented[-1] == github_double.issued[1].token
    assert (
        old.token not in server.presented[server.presented.index(github_double.issued[1].token) :]
    )


def test_the_service_shares_one_client_with_the_actions_and_the_source(
    make_settings: SettingsFactory, github_double: GitHubDouble, github_app_key: AppKey
) -> None:
    github_double.add_app(APP_ID, github_app_key.public_pem, INSTALLATION)
    settings = make_settings(
        github={**app_settings(github_app_key), "apiUrl": github_double.api_url}
    )
    services = build_services(settings)
    try:
        assert isinstance(services.github, PyGithubClient)
        assert services.actions is not None and services.actions.github is services.github
        # The source and the writer ask this client, at each fetch or push, not once at start.
        assert git_token(settings, services.github) == services.github.access_token
        assert github_double.issued == [], "no token is fetched before git needs one"
    finally:
        services.close()


def test_an_ingestor_built_without_a_client_still_asks_the_app_for_tokens(
    make_settings: SettingsFactory,
    gitops: GitOpsRepo,
    github_double: GitHubDouble,
    github_app_key: AppKey,
    server: GitHttpsServer,
) -> None:
    github_double.add_app(APP_ID, github_app_key.public_pem, INSTALLATION)
    gitops.add_application("a")
    head = gitops.commit()
    settings = make_settings(
        source={"url": f"{server.base_url}/remote.git"},
        github={**app_settings(github_app_key), "apiUrl": github_double.api_url},
    )
    ingestor = build_ingestor(settings)  # as `catalog-service export` and `backfill-prs` do
    try:
        assert ingestor.source.fetch() == head
    finally:
        ingestor.close()
    [issued] = github_double.issued
    assert set(server.presented) == {issued.token}
