"""The branch's first-parent history, read with one ``git log --raw`` process.

Each commit comes with its committer date and the manifest files it changed against its first
parent (for a merge commit too: ``--first-parent`` implies ``--diff-merges=first-parent``), so
walking 2,000 commits costs one git process rather than one ``diff-tree`` per commit.

Commits come in the graph's order (parents before children), never sorted by date: a date is
whatever the committer's clock said, so :func:`timeline` fits each onto the walk's own time line.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from catalog_service.domain.parsing import is_manifest_path
from catalog_service.sources.git import SUBMODULE_MODE, Change, TreeEntry

logger = logging.getLogger(__name__)

# Starts each commit's line. A path is read right after its ":" line, so a file name that
# starts with this byte is never taken for a commit.
_HEADER = "\x01"
LOG_FORMAT = f"--format={_HEADER}%H %ct %P"


@dataclass(frozen=True, slots=True)
class LoggedCommit:
    sha: str
    first_parent: str | None  # None for a root commit
    committed_at: int | None  # committer date, Unix seconds; None: not a number
    changes: tuple[Change, ...]  # manifest paths only

    @property
    def day(self) -> dt.date | None:
        """The UTC day of the committer date; None when it is no day of years 1 to 9999."""
        return stamp_day(self.committed_at)


def stamp_day(stamp: int | None) -> dt.date | None:
    if stamp is None:
        return None
    try:
        return dt.datetime.fromtimestamp(stamp, dt.UTC).date()
    except (OverflowError, OSError, ValueError):  # git accepts year 11476
        return None


def timeline(
    commits: Sequence[tuple[str, dt.date | None]], after: dt.date | None, today: dt.date
) -> list[dt.date]:
    """The day each of ``commits`` (sha, its own day; parents first) counts on.

    A commit is never dated before its parent (a skewed clock counts on its parent's day), nor
    after today, nor after its child when the child's own day is a plausible one (not before
    the parent's): one commit dated 2100 does not move the ones after it. A commit without a
    readable day counts on its parent's day, and says so in the log.
    """
    days: list[dt.date] = []
    previous = after
    for index, (sha, own) in enumerate(commits):
        if own is None:
            logger.warning(
                "adoption history: commit %s has no date in years 1 to 9999;"
                " it counts on its parent's day",
                sha[:12],
            )
        day = own or previous or _next_day(commits, index) or today
        following = commits[index + 1][1] if index + 1 < len(commits) else None
        if following is not None and (previous is None or following >= previous):
            day = min(day, following)
        day = min(day, today)
        if previous is not None:
            day = max(day, previous)
        days.append(day)
        previous = day
    return days


def _next_day(commits: Sequence[tuple[str, dt.date | None]], index: int) -> dt.date | None:
    return next((own for _, own in commits[index + 1 :] if own is not None), None)


def log_args(revisions: Sequence[str]) -> list[str]:
    """``git log`` arguments listing ``revisions`` (e.g. ``[head]``, ``[head, "^base"]``)
    along first parents, oldest first, with every changed path."""
    return [
        "log",
        "-z",
        "--first-parent",
        "--topo-order",  # parents before children, whatever their dates say
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
    return LoggedCommit(sha, first, parse_stamp(timestamp), tuple(changes))


def parse_stamp(text: str) -> int | None:
    try:
        return int(text)
    except ValueError:
        return None


def _change(meta: str, raw_path: bytes, roots: Sequence[str]) -> Change | None:
    # A name that is not UTF-8 stays representable; the domain reports it (as in the ingest).
    path = raw_path.decode("utf-8", errors="surrogateescape")
    if not is_manifest_path(path, roots):
        return None
    _, new_mode, _, new_sha, status = meta[1:].split(" ")
    gone = status == "D" or new_mode == SUBMODULE_MODE
    return Change(path, None if gone else TreeEntry(path, new_mode, new_sha))
