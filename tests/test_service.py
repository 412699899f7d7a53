"""Where entities say their manifest lives, for each kind of source URL."""

from __future__ import annotations

import asyncio
from pathlib import Path

import git
import pytest

from catalog_service.db import adoption, upgrade
from catalog_service.errors import ConfigurationError
from catalog_service.service import (
    build_ingestor,
    build_services,
    edit_url_prefix,
    location_prefix,
)
from catalog_service.settings import load_settings
from catalog_service.sources.git import GitSource
from catalog_service.sources.mirror import MARKER
from tests.support.repos import GitOpsRepo
from tests.support.settings import SettingsFactory


@pytest.mark.parametrize(
    ("url", "location", "edit"),
    [
        (
            "https://github.com/acme/gitops.git",
            "url:https://github.com/acme/gitops/blob/main/",
            "https://github.com/acme/gitops/edit/main/",
        ),
        (
            "git@github.com:acme/gitops.git",
            "url:https://github.com/acme/gitops/blob/main/",
            "https://github.com/acme/gitops/edit/main/",
        ),
        (
            "ssh://git@github.com/acme/gitops",
            "url:https://github.com/acme/gitops/blob/main/",
            "https://github.com/acme/gitops/edit/main/",
        ),
        (  # credentials in the URL never reach an entity
            "https://x-access-token:s3cret@github.com/acme/gitops",
            "url:https://github.com/acme/gitops/blob/main/",
            "https://github.com/acme/gitops/edit/main/",
        ),
        (  # another host: a page to view, but no known editor
            "http://127.0.0.1:8000/gitops.git",
            "url:http://127.0.0.1:8000/gitops/blob/main/",
            None,
        ),
    ],
)
def test_locations_of_remote_sources(url: str, location: str, edit: str | None) -> None:
    settings = load_settings(source={"url": url})
    assert location_prefix(settings) == location
    assert edit_url_prefix(settings) == edit
    assert "s3cret" not in location


def test_github_enterprise_is_recognised_from_its_api_url() -> None:
    settings = load_settings(
        source={"url": "https://github.acme.example/platform/gitops.git", "branch": "release"},
        github={"apiUrl": "https://github.acme.example/api/v3"},
    )
    assert (
        location_prefix(settings) == "url:https://github.acme.example/platform/gitops/blob/release/"
    )
    assert edit_url_prefix(settings) == "https://github.acme.example/platform/gitops/edit/release/"


def test_a_local_repository_is_a_file_location(tmp_path: Path) -> None:
    settings = load_settings(source={"url": str(tmp_path / "gitops")})
    assert location_prefix(settings) == f"file:{tmp_path / 'gitops'}/"
    assert edit_url_prefix(settings) is None


def test_the_web_url_setting_wins() -> None:
    settings = load_settings(
        source={"url": "/srv/mirror/gitops", "webUrl": "https://github.com/acme/gitops/"}
    )
    assert location_prefix(settings) == "url:https://github.com/acme/gitops/blob/main/"
    assert edit_url_prefix(settings) == "https://github.com/acme/gitops/edit/main/"


def test_the_git_timeout_is_configurable_and_defaults_to_two_minutes(
    make_settings: SettingsFactory,
) -> None:
    default = build_ingestor(make_settings()).source
    assert isinstance(default, GitSource) and default.timeout == 120
    default.close()
    configured = build_ingestor(make_settings(source={"timeoutSeconds": 7.5})).source
    assert isinstance(configured, GitSource) and configured.timeout == 7.5
    with pytest.raises(ConfigurationError, match=r"source\.timeoutSeconds"):
        make_settings(source={"timeoutSeconds": 0})


def test_an_old_unmarked_mirror_in_the_default_cache_is_replaced(
    gitops: GitOpsRepo, make_settings: SettingsFactory
) -> None:
    gitops.add_application("a")
    head = gitops.commit()
    settings = make_settings(source={"cacheDir": None})
    old = settings.mirror_dir()  # an earlier version kept the bare repository right here
    git.Repo.clone_from(gitops.url, old, bare=True)
    source = build_ingestor(settings).source
    assert source.fetch() == head
    assert (old / MARKER).is_file() and (old / "repo.git" / "HEAD").is_file()
    assert not (old / "objects").exists()


def test_an_unmarked_repository_at_a_configured_cache_dir_is_refused(
    gitops: GitOpsRepo, make_settings: SettingsFactory
) -> None:
    gitops.add_application("a")
    gitops.commit()
    with pytest.raises(ConfigurationError, match="is a git repository that catalog-service"):
        build_ingestor(make_settings(source={"cacheDir": str(gitops.remote_dir)}))


class FixedLeases:
    """Another replica holds every job (``held=False``), or this one does."""

    def __init__(self, held: bool) -> None:
        self.held = held
        self.asked: list[str] = []

    def hold(self, job: str) -> bool:
        self.asked.append(job)
        return self.held

    def close(self) -> None:
        return None


@pytest.mark.parametrize("held", [True, False])
def test_the_history_walk_writes_only_on_the_replica_holding_its_lease(
    held: bool, make_settings: SettingsFactory, gitops: GitOpsRepo
) -> None:
    gitops.add_application("orders")
    gitops.commit()
    settings = make_settings()
    upgrade(settings.database.url)
    leases = FixedLeases(held)
    services = build_services(settings, leases=leases)

    async def refresh() -> None:
        await services.refresher.refresh()
        await services.refresher.settled()

    try:
        asyncio.run(refresh())
        with services.database.session() as session:
            last = adoption.last_day(session)
    finally:
        services.close()
    assert leases.asked == ["adoption-history"]
    assert (last is not None) is held, "walked and recorded only while holding the lease"
