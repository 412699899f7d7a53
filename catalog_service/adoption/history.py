"""The adoption history from git: per day, the valid application manifests by type and system.

The branch's first-parent history is walked once, oldest first; afterwards only the commits that
came since the last walked one, which the database remembers (``service_state``, key
:data:`STATE_KEY`). What makes a manifest valid is the ingest's own rules (``tree.TreeState``).

Days. A commit belongs to the UTC day of its *committer* date: the date it landed on the branch
(a rebase or a merge sets it), where the author date tells when the change was first written. A
commit's day is fitted onto the walk's time line (``gitlog.timeline``): never before its
parent's (a skewed clock counts on its parent's day), never after today or after a plausible
child's (one commit dated 2100 moves nothing), and a date git accepts but no calendar holds
(year 11476) counts on its parent's day: days only move forward, and no commit fails the walk.
A day's row holds the counts at its last commit; days without a commit have no row and carry
the previous day's counts when read (``report.py``).

Rewritten history. When the remembered commit is no longer on the branch's first-parent history
(a force-push), the rows from the day of the fork point (the merge base of the old and the new
commit) on are deleted and walked again from there, which gives exactly what a fresh walk gives.
Where no such fork point can be found (the old commit is gone from the mirror, unrelated
histories), the whole history is walked again. A change of the rules' inputs (the roots, the
environments) also walks it again.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

from catalog_service.adoption.gitlog import (
    LoggedCommit,
    log_args,
    parse_log,
    parse_stamp,
    stamp_day,
    timeline,
)
from catalog_service.adoption.tree import TreeState
from catalog_service.db import Database, adoption, state
from catalog_service.domain.entities import EntityContext
from catalog_service.errors import SourceError
from catalog_service.sources.git import Change, TreeEntry

logger = logging.getLogger(__name__)

STATE_KEY = "adoption.history"
CHUNK_COMMITS = 250  # commits whose blobs are read in one process, and written in one transaction


class HistorySource(Protocol):
    """What the walk needs of the git source (``GitSource``)."""

    @property
    def roots(self) -> tuple[str, ...]: ...
    def read_git(self, *args: str) -> bytes: ...
    def list_manifests(self, commit: str) -> list[TreeEntry]: ...
    def changes(self, old: str, new: str) -> list[Change]: ...
    def read_blobs(
        self, shas: Iterable[str], max_size: int
    ) -> Iterator[tuple[str, bytes | None]]: ...


@dataclass(frozen=True)
class HistoryUpdate:
    mode: Literal["unchanged", "appended", "rewalked", "walked"]
    commits: int  # walked in this update
    first_day: dt.date | None  # the first day written (None when nothing was)
    duration_seconds: float


@dataclass(frozen=True)
class _Remembered:
    commit: str
    day: dt.date  # the commit's day, as the walk counted it
    rules: str


@dataclass(frozen=True)
class _Plan:
    mode: Literal["appended", "rewalked", "walked"]
    base: str | None  # the commit the walk continues from; None: from the first commit
    base_day: dt.date | None
    commits: list[LoggedCommit]


class AdoptionHistory:
    """Keeps the adoption history of one branch up to date; ``update`` after each fetch."""

    def __init__(self, source: HistorySource, database: Database, context: EntityContext) -> None:
        self._source = source
        self._database = database
        self._context = context
        self._rules = hashlib.blake2b(
            repr((tuple(source.roots), context)).encode(), digest_size=8
        ).hexdigest()
        self._lock = threading.Lock()
        self._tree = TreeState(context)
        self._at: str | None = None  # the commit self._tree holds

    def update(self, head: str) -> HistoryUpdate:
        """Walk what the history gained up to ``head`` (the branch's commit), and record it.

        Raises SourceError when git cannot be read and DatabaseError when the database cannot
        be written; what was recorded before stays, and the next update goes on from there."""
        started = time.perf_counter()
        with self._lock:
            try:
                plan = self._plan(head)
                if plan is None:
                    return HistoryUpdate("unchanged", 0, None, time.perf_counter() - started)
                first_day = self._walk(plan, head)
            except BaseException:
                self._at = None  # the tree may be between commits: rebuild it next time
                raise
        duration = time.perf_counter() - started
        logger.info(
            "adoption history %s: %d commits up to %s in %.3fs",
            plan.mode,
            len(plan.commits),
            head[:12],
            duration,
        )
        return HistoryUpdate(plan.mode, len(plan.commits), first_day, duration)

    # -- what to walk -------------------------------------------------------------------------

    def _plan(self, head: str) -> _Plan | None:
        with self._database.session() as session:
            remembered = _parse_state(state.get(session, STATE_KEY))
        if remembered is None or remembered.rules != self._rules:
            return _Plan("walked", None, None, self._log([head]))
        if remembered.commit == head:
            return None
        if not self._has_commit(remembered.commit):  # e.g. the mirror was cloned anew
            logger.warning("adoption history: %s is gone, walking again", remembered.commit[:12])
            return _Plan("walked", None, None, self._log([head]))
        commits = self._log([head, f"^{remembered.commit}"])
        if commits and commits[0].first_parent == remembered.commit:
            return _Plan("appended", remembered.commit, remembered.day, commits)
        fork = self._fork_point(remembered.commit, head)
        if fork is None:
            logger.warning("adoption history: %s has no fork point on the branch", head[:12])
            return _Plan("walked", None, None, self._log([head]))
        base, base_day = fork
        commits = [] if base == head else self._log([head, f"^{base}"])
        return _Plan("rewalked", base, base_day, commits)

    def _fork_point(self, old: str, head: str) -> tuple[str, dt.date] | None:
        """The merge base of ``old`` and ``head`` when it is on both first-parent histories
        (then everything before it is common to both), and its day."""
        try:
            base = self._source.read_git("merge-base", old, head).decode().strip()
        except SourceError:  # the old commit is gone, or the histories are unrelated
            return None
        for tip in (old, head):
            if tip != base:
                following = self._log([tip, f"^{base}"])
                if not following or following[0].first_parent != base:
                    return None
        log = self._source.read_git(
            "log", "--first-parent", "--topo-order", "--reverse", "--format=%H %ct", base, "--"
        )
        commits = [(sha, stamp_day(parse_stamp(stamp))) for sha, stamp in _pairs(log)]
        return base, timeline(commits, None, _today())[-1]

    def _has_commit(self, commit: str) -> bool:
        try:
            self._source.read_git("cat-file", "-e", f"{commit}^{{commit}}")
        except SourceError:
            return False
        return True

    def _log(self, revisions: Sequence[str]) -> list[LoggedCommit]:
        return parse_log(self._source.read_git(*log_args(revisions)), self._source.roots)

    # -- walking ------------------------------------------------------------------------------

    def _walk(self, plan: _Plan, head: str) -> dt.date | None:
        self._move_tree_to(plan.base)
        day = plan.base_day
        days = timeline([(c.sha, c.day) for c in plan.commits], plan.base_day, _today())
        first_day: dt.date | None = None
        if plan.mode != "appended":
            rows: list[tuple[dt.date, dict[tuple[str, str], int]]] = []
            if plan.base is not None and day is not None:
                rows.append((day, self._tree.counts()))  # the fork point's day, as it ends now
            self._write(rows, plan.base, day, delete_from=day or dt.date.min)
            first_day = day
        commits = plan.commits
        for start in range(0, len(commits), CHUNK_COMMITS):
            chunk = commits[start : start + CHUNK_COMMITS]
            self._tree.prefetch(self._source, (c for commit in chunk for c in commit.changes))
            rows = []
            for index, commit in enumerate(chunk):
                self._tree.change(commit.changes)
                day = days[start + index]
                following = days[start + index + 1] if start + index + 1 < len(days) else None
                if following is None or following > day:  # the day's last commit
                    rows.append((day, self._tree.counts()))
            self._at = chunk[-1].sha
            first_day = first_day or (rows[0][0] if rows else None)
            assert day is not None
            self._write(rows, chunk[-1].sha, day)
        self._tree.forget_cache()
        return first_day

    def _move_tree_to(self, commit: str | None) -> None:
        """Make the tree hold ``commit``'s files: from the tree held now when there is one (a
        diff), else read whole."""
        if commit == self._at and (commit is not None or not self._tree.files):
            return
        if commit is None:
            self._tree = TreeState(self._context)
        elif self._at is not None:
            changes = self._source.changes(self._at, commit)
            self._tree.prefetch(self._source, changes)
            self._tree.change(changes)
        else:
            self._tree.load(self._source, self._source.list_manifests(commit))
        self._at = commit

    def _write(
        self,
        rows: list[tuple[dt.date, dict[tuple[str, str], int]]],
        commit: str | None,
        day: dt.date | None,
        *,
        delete_from: dt.date | None = None,
    ) -> None:
        """Record days and the commit they reach in one transaction: a walk stopped half way
        goes on from there."""
        with self._database.session() as session:
            if delete_from is not None:
                adoption.delete_from(session, delete_from)
            for row_day, counts in rows:
                adoption.replace_day(session, row_day, counts)
            if commit is None or day is None:
                state.delete(session, STATE_KEY)
            else:
                value = {"commit": commit, "day": day.isoformat(), "rules": self._rules}
                state.put(session, STATE_KEY, json.dumps(value))


def _today() -> dt.date:
    """The walk's now: no commit counts on a later day."""
    return dt.datetime.now(dt.UTC).date()


def _pairs(log: bytes) -> list[tuple[str, str]]:
    """(sha, committer date) of each ``%H %ct`` line."""
    return [
        (sha, stamp)
        for sha, _, stamp in (line.partition(" ") for line in log.decode().split("\n") if line)
    ]


def _parse_state(value: str | None) -> _Remembered | None:
    """The remembered walk; None when there is none, or it cannot be read (walk again)."""
    if value is None:
        return None
    try:
        data = json.loads(value)
        return _Remembered(data["commit"], dt.date.fromisoformat(data["day"]), data["rules"])
    except (ValueError, KeyError, TypeError):
        return None
