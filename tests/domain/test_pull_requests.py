"""The rules for merged manifest pull requests: what counts, what is autonomous."""

from __future__ import annotations

import pytest

from catalog_service.domain.parsing import is_manifest_path
from catalog_service.domain.pull_requests import (
    FileChange,
    MergedFromHistory,
    adds_or_changes_manifest,
    approved_by_platform,
    is_autonomous,
    manifest_paths,
    pull_request_in_commit_message,
)


def in_apps(path: str) -> bool:
    return is_manifest_path(path, ["apps"])


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        (
            "Merge pull request #12 from acme/add-ledger\n\nAdd the ledger\n",
            MergedFromHistory(12, "Add the ledger"),
        ),
        (
            "Merge pull request #7 from alice/x",
            MergedFromHistory(7, "Merge pull request #7 from alice/x"),
        ),
        ("Add the ledger (#31)\n\n* first\n* second", MergedFromHistory(31, "Add the ledger")),
        ("Bump (#4) things (#5)", MergedFromHistory(5, "Bump (#4) things")),
        ("Add the ledger", None),
        ("Merge branch 'main' into feature", None),
        ("Fix #12 in the parser", None),
        ("", None),
        ("(#3)", None),
    ],
)
def test_pull_request_in_commit_message(message: str, expected: MergedFromHistory | None) -> None:
    assert pull_request_in_commit_message(message) == expected


def test_manifest_paths_take_both_sides_of_a_rename_and_only_manifests() -> None:
    files = [
        FileChange("apps/pay/api.yaml", "renamed", previous_path="apps/old/api.yaml"),
        FileChange("README.md", "modified"),
        FileChange("apps/pay/notes.txt", "added"),
        FileChange("charts/x.yaml", "added"),
        FileChange("apps/a.yml", "removed"),
    ]
    assert manifest_paths(files, in_apps) == (
        "apps/a.yml",
        "apps/old/api.yaml",
        "apps/pay/api.yaml",
    )


def test_removing_a_manifest_is_not_adding_or_changing_one() -> None:
    assert not adds_or_changes_manifest([FileChange("apps/a.yaml", "removed")], in_apps)
    assert not adds_or_changes_manifest([FileChange("docs/a.yaml", "added")], in_apps)
    assert adds_or_changes_manifest([FileChange("apps/a.yaml", "modified")], in_apps)
    assert adds_or_changes_manifest(
        [FileChange("apps/b.yaml", "renamed", previous_path="apps/a.yaml")], in_apps
    )


@pytest.mark.parametrize(
    ("author", "adds_or_changes", "expected"),
    [
        ("dev-carol", True, True),
        ("Alice", True, False),  # logins are case-insensitive
        ("alice", True, False),
        ("renovate[bot]", True, False),
        ("dev-carol", False, False),
    ],
)
def test_is_autonomous(author: str, adds_or_changes: bool, expected: bool) -> None:
    assert is_autonomous(author, ["alice", "bob"], adds_or_changes) is expected


def test_approved_by_platform() -> None:
    assert approved_by_platform(["carol", "BOB"], ["alice", "bob"])
    assert not approved_by_platform(["carol"], ["alice", "bob"])
    assert not approved_by_platform([], ["alice"])
