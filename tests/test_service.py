"""Where entities say their manifest lives, for each kind of source URL."""

from __future__ import annotations

from pathlib import Path

import pytest

from catalog_service.service import edit_url_prefix, location_prefix
from catalog_service.settings import load_settings


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
