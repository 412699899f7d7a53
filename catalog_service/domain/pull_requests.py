"""Merged manifest pull requests: which count, which are autonomous (docs/architecture.md §6.5).

Pure rules, shared by the webhook, the reconcile job and the backfill (from GitHub's API or from
the branch's git history when there is no GitHub).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass

# `git merge` through GitHub's button: "Merge pull request #12 from acme/add-ledger".
_MERGE_COMMIT = re.compile(r"^Merge pull request #(?P<number>\d+) from (?P<head>\S+)")
# A squash merge through GitHub's button: "Add the ledger (#12)" on the first line.
_SQUASH_COMMIT = re.compile(r"^(?P<title>.*\S)\s+\(#(?P<number>\d+)\)\s*$")


@dataclass(frozen=True, slots=True)
class MergedFromHistory:
    """A pull request found in a commit message of the branch's first-parent history."""

    number: int
    title: str


def pull_request_in_commit_message(message: str) -> MergedFromHistory | None:
    """The pull request a merge or squash commit made by GitHub records, if any."""
    lines = message.strip().splitlines()
    if not lines:
        return None
    first = lines[0].strip()
    merge = _MERGE_COMMIT.match(first)
    if merge is not None:
        # GitHub puts the pull request's title on the first line of the body.
        body = [line.strip() for line in lines[1:] if line.strip()]
        return MergedFromHistory(int(merge["number"]), body[0] if body else first)
    squash = _SQUASH_COMMIT.match(first)
    if squash is not None:
        return MergedFromHistory(int(squash["number"]), squash["title"])
    return None


def is_bot(login: str) -> bool:
    """GitHub Apps author as ``name[bot]``."""
    return login.endswith("[bot]")


def is_platform_member(login: str, platform_team: Collection[str]) -> bool:
    """GitHub logins are case-insensitive."""
    return login.casefold() in {member.casefold() for member in platform_team}


@dataclass(frozen=True, slots=True)
class FileChange:
    """One file of a pull request: ``status`` as GitHub spells it (added, modified, removed,
    renamed, copied, changed); ``previous_path`` for a rename."""

    path: str
    status: str
    previous_path: str | None = None


def manifest_paths(
    files: Iterable[FileChange], is_manifest: Callable[[str], bool]
) -> tuple[str, ...]:
    """The manifest paths a pull request touches (both sides of a rename), sorted."""
    paths = set()
    for change in files:
        for path in (change.path, change.previous_path):
            if path is not None and is_manifest(path):
                paths.add(path)
    return tuple(sorted(paths))


def adds_or_changes_manifest(
    files: Iterable[FileChange], is_manifest: Callable[[str], bool]
) -> bool:
    """Whether a manifest is added or changed: removing one is not adopting the platform."""
    return any(change.status != "removed" and is_manifest(change.path) for change in files)


def is_autonomous(author: str, platform_team: Collection[str], adds_or_changes: bool) -> bool:
    """Merged, adds or changes a manifest, and written by a developer: neither the platform
    team nor a bot."""
    return adds_or_changes and not is_bot(author) and not is_platform_member(author, platform_team)


def approved_by_platform(approvers: Iterable[str], platform_team: Collection[str]) -> bool:
    """Whether a platform-team member approved it (for "merged without the platform team")."""
    return any(is_platform_member(login, platform_team) for login in approvers)
