"""Merged pull requests read from the branch's first-parent history, when there is no GitHub API.

GitHub's merge button leaves ``Merge pull request #N from owner/branch`` (a merge commit) or
``Title (#N)`` (a squash). The author is the pull request's last commit's author (the merge
commit's own author is whoever pressed the button): the login of a GitHub ``noreply`` address,
else the author's name, else the local part of the email. Approvals are unknown (False).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Protocol, runtime_checkable

from catalog_service.domain import pull_requests as rules
from catalog_service.pull_requests.recorder import MergedPullRequest

_RECORD = "\x01"
_FORMAT = f"--format={_RECORD}%H%x00%P%x00%an%x00%ae%x00%cI%x00%B"
_STATUS = {"A": "added", "M": "modified", "D": "removed", "T": "changed"}


@runtime_checkable
class GitHistory(Protocol):
    def read_git(self, *args: str) -> bytes: ...


def author_login(name: str, email: str) -> str:
    local, _, domain = email.partition("@")
    if domain == "users.noreply.github.com":
        return local.partition("+")[2] or local
    return name.strip() or local


def merged_in_history(
    git: GitHistory, revision: str, since: dt.datetime | None = None
) -> Iterator[MergedPullRequest]:
    """The pull requests the first-parent history of ``revision`` records, newest first."""
    # Filtered here rather than with --since: git's date parser refuses some dates silently.
    args = ["log", "--first-parent", "--no-color", _FORMAT]
    output = git.read_git(*args, revision, "--").decode("utf-8", errors="replace")
    for record in output.split(_RECORD)[1:]:
        sha, parents, name, email, committed, message = record.split("\0", 5)
        found = rules.pull_request_in_commit_message(message)
        merged_at = dt.datetime.fromisoformat(committed).astimezone(dt.UTC)
        if found is None or (since is not None and merged_at < since):
            continue
        parent_list = parents.split()
        if len(parent_list) > 1:  # a merge: the pull request's own last commit
            name, email = _author(git, parent_list[1])
        yield MergedPullRequest(
            number=found.number,
            title=found.title,
            author=author_login(name, email),
            merged_at=merged_at,
            merge_commit_sha=sha,
            url=None,
            files=commit_files(git, sha, parent_list[0] if parent_list else None),
        )


def _author(git: GitHistory, sha: str) -> tuple[str, str]:
    output = git.read_git("show", "-s", "--format=%an%x00%ae", sha).decode(errors="replace")
    name, _, email = output.strip("\n").partition("\0")
    return name, email


def commit_files(
    git: GitHistory, sha: str, first_parent: str | None
) -> tuple[rules.FileChange, ...]:
    """The files ``sha`` changed against its first parent (everything, for a root commit)."""
    base = [first_parent, sha] if first_parent else ["--root", sha]
    output = git.read_git(
        "diff-tree", "--no-commit-id", "-r", "-z", "--no-renames", "--name-status", *base
    )
    tokens = output.decode("utf-8", errors="surrogateescape").split("\0")
    changes = []
    for status, path in zip(tokens[0::2], tokens[1::2], strict=False):
        if status:
            changes.append(rules.FileChange(path, _STATUS.get(status[0], "changed")))
    return tuple(changes)


def parents_of(git: GitHistory, sha: str) -> list[str]:
    return git.read_git("rev-list", "--parents", "-n", "1", sha).decode().split()[1:]
