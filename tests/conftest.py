"""Shared fixtures: real git repositories in temporary folders, settings pointing at them, a git
smart-HTTP server and a remote that hangs. The helpers themselves live in ``tests/support/``."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.argocd_double import ArgoCDDouble
from tests.support.backstage_identity import BackstageAuth
from tests.support.repos import GitOpsRepo
from tests.support.servers import GitHttpServer, HangingServer
from tests.support.settings import SettingsFactory

# The GitHub REST double's fixtures (github_double, github_app_key).
pytest_plugins = ("tests.support.github_fixtures",)


# -- fixtures -----------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _isolated_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No CATALOG_* variable, user git configuration or ~/.cache leaks into (or out of) a test."""
    for name in list(os.environ):
        if name.upper().startswith("CATALOG_"):
            monkeypatch.delenv(name)
    home = tmp_path / "home"
    home.mkdir()
    gitconfig = home / ".gitconfig"
    gitconfig.write_text(
        "[user]\n\tname = Test Developer\n\temail = dev@example.com\n"
        "[init]\n\tdefaultBranch = main\n[commit]\n\tgpgsign = false\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(gitconfig))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))


@pytest.fixture
def gitops(tmp_path: Path) -> GitOpsRepo:
    """An empty GitOps repository with a bare remote."""
    return GitOpsRepo(tmp_path / "gitops")


@pytest.fixture
def make_settings(gitops: GitOpsRepo, tmp_path: Path) -> SettingsFactory:
    return SettingsFactory(gitops, tmp_path)


@pytest.fixture
def hanging_server() -> Iterator[HangingServer]:
    with HangingServer() as server:
        yield server


@pytest.fixture
def git_http_server(gitops: GitOpsRepo) -> Iterator[GitHttpServer]:
    """Serves ``gitops``' bare remote at ``{base_url}/remote.git``."""
    with GitHttpServer(gitops.root) as server:
        yield server


@pytest.fixture
def backstage_auth() -> Iterator[BackstageAuth]:
    """A Backstage auth backend's signing keys, its JWKS served over local HTTP."""
    with BackstageAuth() as auth:
        yield auth


@pytest.fixture
def argocd_double() -> Iterator[ArgoCDDouble]:
    """Argo CD's REST API (tests/support/argocd_double.py) on a loopback port."""
    with ArgoCDDouble() as double:
        yield double
