"""The manifests of one commit while the history is walked, and their counts by type and system.

The same domain rules as the ingest decide what is valid: each file is compiled with
``compile_file`` (with the ingest's EntityContext), and a day's counts are those of
``assemble``'s accepted applications. Only the files a commit changes are compiled again, and a
file seen before (same path, same blob) is not compiled twice in one walk (a revert, a rewalk).
What is kept of a compiled file is what the rules across files read: the encoded entities are
dropped, since the history only counts.
"""

from __future__ import annotations

import contextlib
import gc
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import replace
from typing import Protocol

from catalog_service.domain.catalog import (
    CompiledFile,
    assemble,
    compile_file,
    rejected_symlink,
    rejected_too_large,
)
from catalog_service.domain.entities import EntityContext
from catalog_service.domain.parsing import MAX_FILE_BYTES
from catalog_service.sources.git import Change, TreeEntry

Counts = Mapping[tuple[str, str], int]  # (type, system): valid application manifests
CACHE_LIMIT = 20_000  # compiled files kept for reuse within one walk


class BlobReader(Protocol):
    def read_blobs(
        self, shas: Iterable[str], max_size: int
    ) -> Iterator[tuple[str, bytes | None]]: ...


class TreeState:
    """Path to (version, compiled file) at one commit, and the catalog last counted.

    A file's version is its blob sha, marked when the file is a symbolic link: the same bytes
    as a link and as a regular file compile differently."""

    def __init__(self, context: EntityContext) -> None:
        self._context = context
        self.files: dict[str, tuple[str, CompiledFile]] = {}
        self._cache: dict[tuple[str, str], CompiledFile] = {}
        self._holders: dict[str, set[str]] = {}  # link key: paths of the files with it
        self._touched: set[str] = set()  # link keys of the files changed since the last count
        self._dirty: set[str] = set()  # paths changed since the last count
        self._accepted: dict[str, Counter[tuple[str, str]]] = {}  # per path, as last counted
        self._totals: Counter[tuple[str, str]] = Counter()

    def load(self, source: BlobReader, entries: list[TreeEntry]) -> None:
        """Set the files to a whole commit's (what ``list_manifests`` answers)."""
        changes = [Change(entry.path, entry) for entry in entries]
        self.prefetch(source, changes)
        self.change([Change(path, None) for path in list(self.files)])
        self.change(changes)

    def prefetch(self, source: BlobReader, changes: Iterable[Change]) -> None:
        """Compile, reading blobs in one ``cat-file`` process, each changed file not compiled
        before; :meth:`change` then applies the commits."""
        wanted: dict[str, list[str]] = {}
        for change in changes:
            entry = change.entry
            if entry is None or (entry.path, _version(entry)) in self._cache:
                continue
            if entry.is_symlink:
                self._remember(entry.path, _version(entry), rejected_symlink(entry.path))
            else:
                wanted.setdefault(entry.sha, []).append(entry.path)
        with _gc_paused():
            for sha, data in source.read_blobs(list(wanted), MAX_FILE_BYTES):
                for path in wanted[sha]:
                    if data is None:
                        compiled = rejected_too_large(path)
                    else:
                        compiled = _slim(compile_file(path, data, self._context))
                    self._remember(path, sha, compiled)

    def change(self, changes: Iterable[Change]) -> None:
        """Apply one commit's changes; their files must have been prefetched."""
        for change in changes:
            old = self.files.get(change.path)
            if old is not None:
                self._index(old[1], add=False)
            if change.entry is None:
                self.files.pop(change.path, None)
            else:
                version = _version(change.entry)
                compiled = self._cache[(change.path, version)]
                self.files[change.path] = (version, compiled)
                self._index(compiled, add=True)
            self._dirty.add(change.path)

    def counts(self) -> dict[tuple[str, str], int]:
        """Valid application manifests by (type, system), as the ingest's rules decide."""
        if self._dirty:
            self._recount(self._linked(self._dirty))
            self._dirty = set()
        return {key: count for key, count in self._totals.items() if count > 0}

    def forget_cache(self) -> None:
        """Drop the compiled versions no longer current (between walks, to save memory)."""
        self._cache = {(path, version): file for path, (version, file) in self.files.items()}

    def _remember(self, path: str, version: str, compiled: CompiledFile) -> None:
        if len(self._cache) >= CACHE_LIMIT:
            current = {(path, version) for path, (version, _) in self.files.items()}
            stale = [key for key in self._cache if key not in current][: CACHE_LIMIT // 4]
            for key in stale:
                del self._cache[key]
        self._cache[(path, version)] = compiled

    # -- counting only what a change can affect -------------------------------------------------
    #
    # assemble() rejects an application for two reasons only: its name is taken by an earlier
    # file, or one of its Resource names is taken by an earlier accepted application. So whether
    # an application is accepted depends only on the files linked to its file through shared
    # application or Resource names. A change is counted by assembling the changed files with
    # every file linked to them (their old versions' links too), with the domain's own
    # assemble(); tests hold the result to a full assemble() of every file.

    def _index(self, compiled: CompiledFile, *, add: bool) -> None:
        for key in _keys(compiled):
            self._touched.add(key)
            holders = self._holders.setdefault(key, set())
            if add:
                holders.add(compiled.path)
            else:
                holders.discard(compiled.path)
                if not holders:
                    del self._holders[key]

    def _linked(self, paths: set[str]) -> list[str]:
        """``paths`` and every file linked to them, transitively, in path order."""
        found = set(paths)
        keys, self._touched = set(self._touched), set()
        while keys:
            reached = set().union(*(self._holders.get(key, ()) for key in keys)) - found
            found |= reached
            keys = {key for path in reached for key in _keys(self.files[path][1])}
        return sorted(found)

    def _recount(self, paths: list[str]) -> None:
        present = [self.files[path][1] for path in paths if path in self.files]
        with _gc_paused():
            catalog = assemble(present, self._context)
        for path in paths:
            self._totals.subtract(self._accepted.pop(path, {}))
        for app in catalog.applications:
            counts = self._accepted.setdefault(app.path, Counter())
            counts[(app.type, app.system)] += 1
            self._totals[(app.type, app.system)] += 1


def _keys(compiled: CompiledFile) -> set[str]:
    """What links a file to others: its applications' names and their Resources' names."""
    keys = {"app:" + app.name for app in compiled.applications}
    keys.update("resource:" + name for app in compiled.applications for name in app.resource_names)
    return keys


def _version(entry: TreeEntry) -> str:
    return f"{entry.sha}:link" if entry.is_symlink else entry.sha


def _slim(compiled: CompiledFile) -> CompiledFile:
    """The file without its encoded entities: no rule across files reads them."""
    return replace(
        compiled,
        applications=tuple(replace(app, documents=()) for app in compiled.applications),
        systems=tuple(replace(system, document=b"") for system in compiled.systems),
    )


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    """Compiling allocates many objects that all live on (as in the ingest): the cycle
    collector, run again and again over the growing heap meanwhile, would cost the most."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
