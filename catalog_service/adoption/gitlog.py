"""The branch's first-parent history, read with one ``git log --raw`` process.

Each commit comes with its committer date and the manifest files it changed against its first
parent (for a merge commit too: ``--first-parent`` implies ``--diff-merges=first-parent``), so
walking 2,000 commits costs one git process rather than one ``diff-tree`` per commit.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from catalog_service.domain.parsing import is_manifest_path
from catalog_service.sources.git import SUBMODULE_MODE, Change, TreeEntry

# Starts each commit's line. A path is read right after its ":" line, so a file name that
# starts with this byte is never taken for a commit.
_HEADER = "\x01"
LOG_FORMAT = f"--format={_HEADER}%H %ct %P"


@dataclass(frozen=True, slots=True)
class LoggedCommit:
    sha: str
    first_parent: str | None  # None for a root commit
    committed_at: int  # committer date, Unix seconds
    changes: tuple[Change, ...]  # manifest paths only

    @property
    def day(self) -> dt.date:
        """The commit's day: its committer date in UTC."""
        return dt.datetime.fromtimestamp(self.committed_at, dt.UTC).date()


def log_args(revisions: Sequence[str]) -> list[str]:
    """``git log`` arguments listing ``revisions`` (e.g. ``[head]``, ``[head, "^base"]``)
    along first parents, oldest first, with every changed path."""
    return [
        "log",
        "-z",
        "--first-parent",
        "--reverse",
        "--raw",
        "--no-renames",  # a rename is a delete and an add, as in the ingest
        "--no-abbrev",
        "--no-color",
        LOG_FORMAT,
        *revisions,
        "--",
    ]


def parse_log(output: bytes, roots: Sequence[str]) -> list[LoggedCommit]:
    """The commits of ``git log`` run with :func:`log_args`, with their manifest changes."""
    commits: list[LoggedCommit] = []
    header: list[str] | None = None
    changes: list[Change] = []
    tokens = output.split(b"\0")
    index = 0
    while index < len(tokens):
        token = tokens[index].lstrip(b"\n")
        index += 1
        if token.startswith(b":"):
            raw_path = tokens[index] if index < len(tokens) else b""
            index += 1
            change = _change(token.decode("ascii"), raw_path, roots)
            if change is not None:
                changes.append(change)
        elif token.startswith(_HEADER.encode()):
            if header is not None:
                commits.append(_commit(header, changes))
            header, changes = token[1:].decode("ascii").split(" "), []
    if header is not None:
        commits.append(_commit(header, changes))
    return commits


def _commit(header: list[str], changes: list[Change]) -> LoggedCommit:
    sha, timestamp, *parents = header
    first = parents[0] if parents and parents[0] else None
    return LoggedCommit(sha, first, int(timestamp), tuple(changes))


def _change(meta: str, raw_path: bytes, roots: Sequence[str]) -> Change | None:
    # A name that is not UTF-8 stays representable; the domain reports it (as in the ingest).
    path = raw_path.decode("utf-8", errors="surrogateescape")
    if not is_manifest_path(path, roots):
        return None
    _, new_mode, _, new_sha, status = meta[1:].split(" ")
    gone = status == "D" or new_mode == SUBMODULE_MODE
    return Change(path, None if gone else TreeEntry(path, new_mode, new_sha))
