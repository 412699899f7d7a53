"""What a writer may touch, checked before any git work: paths under the manifest roots, branch
names git accepts, and commit identities (pure, no I/O)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from catalog_service.errors import InvalidRequestError

MAX_PATH_LENGTH = 1024
_BRANCH = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_./+-]{0,199}")


@dataclass(frozen=True, slots=True)
class Identity:
    """Who a commit is by: its author, or its committer."""

    name: str
    email: str

    def __post_init__(self) -> None:
        for value in (self.name, self.email):
            if not value.strip() or any(c in value for c in "<>\n\r\0") or len(value) > 256:
                raise InvalidRequestError(f"invalid commit identity {value!r}")


def check_path(path: str, roots: Sequence[str]) -> str:
    """``path`` if it is a relative path below one of ``roots``; InvalidRequestError otherwise.

    Refused: absolute paths, ``..`` and ``.`` segments, empty segments, backslashes, NUL and other
    control characters, and hidden segments (``.git``, ``.github``)."""
    problem = _path_problem(path)
    if problem is None and not any(_below(path, root) for root in roots):
        shown = ", ".join(root or "." for root in roots)
        problem = f"is outside the manifest roots ({shown})"
    if problem:
        raise InvalidRequestError(f"refused path {path!r}: {problem}")
    return path


def _path_problem(path: str) -> str | None:
    if not path or len(path) > MAX_PATH_LENGTH:
        return f"must have 1 to {MAX_PATH_LENGTH} characters"
    if "\\" in path or any(ord(c) < 32 or ord(c) == 127 for c in path):
        return "backslashes and control characters are not allowed"
    if path.startswith("/") or re.match(r"[A-Za-z]:", path):
        return "must be relative to the repository"
    for segment in path.split("/"):
        if segment in ("", ".", ".."):
            return "empty, '.' and '..' segments are not allowed"
        if segment.startswith("."):
            return "hidden files and folders are not allowed"
    return None


def _below(path: str, root: str) -> bool:
    prefix = root.strip("/")
    return prefix in ("", ".") or path.startswith(prefix + "/")


def check_branch(branch: str) -> str:
    """A branch name git accepts, conservatively: InvalidRequestError otherwise."""
    if (
        not _BRANCH.fullmatch(branch)
        or ".." in branch
        or "//" in branch
        or branch.endswith(("/", ".", ".lock"))
        or "/." in branch
    ):
        raise InvalidRequestError(f"invalid branch name {branch!r}")
    return branch
