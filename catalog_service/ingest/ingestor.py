"""Ingesting: fetch the source, recompile what changed, assemble, and swap in a new snapshot.

A snapshot changes only when an ingest completes. A failing source keeps the last good snapshot; an
ingest that looks like an accident (everything gone, or most of it) is held back until forced.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from operator import itemgetter
from typing import Any, Protocol

from catalog_service.domain.catalog import (
    Catalog,
    CompiledFile,
    assemble,
    reassemble,
    rejected_symlink,
)
from catalog_service.domain.entities import EntityContext
from catalog_service.domain.parsing import MAX_FILE_BYTES
from catalog_service.errors import (
    CatalogError,
    IngestError,
    RefreshInProgressError,
    SourceError,
)
from catalog_service.ingest.compiling import FileCompiler
from catalog_service.ingest.heap import settle_heap
from catalog_service.settings import IngestSettings
from catalog_service.snapshot.snapshot import Snapshot, new_renderer
from catalog_service.sources.git import Change, TreeEntry
from catalog_service.vocabulary import IngestStatus

logger = logging.getLogger("catalog_service.ingest")  # the package's name: what operators grep for
__all__ = ["HeldBack", "IngestOutcome", "Ingestor", "Snapshot", "Source", "compile_entries"]


class Source(Protocol):
    """Where manifests come from (``GitSource``; tests pass small fakes)."""

    def fetch(self) -> str: ...
    def list_manifests(self, commit: str) -> list[TreeEntry]: ...
    def changes(self, old: str, new: str) -> list[Change]: ...
    def read_blobs(
        self, shas: Iterable[str], max_size: int
    ) -> Iterator[tuple[str, bytes | None]]: ...
    def discard_mirror(self, reason: str) -> None: ...
    def read_state(self) -> dict[str, Any] | None: ...
    def write_state(self, state: dict[str, Any]) -> None: ...
    def close(self) -> None: ...


@dataclass(frozen=True)
class HeldBack:
    revision: str
    reason: str


@dataclass(frozen=True)
class IngestOutcome:
    status: IngestStatus
    revision: str
    entities: int
    problems: int
    changed_files: int
    duration_seconds: float
    reason: str | None = None


class Ingestor:
    """Owns the snapshot. ``refresh`` is safe to call from several threads: they take turns."""

    def __init__(
        self,
        source: Source,
        context: EntityContext,
        guard: IngestSettings,
        *,
        compiler: FileCompiler | None = None,
    ) -> None:
        self._source = source
        self._context = context
        self._compiler = compiler or FileCompiler(context)
        self._guard = guard
        self._lock = threading.Lock()
        self._running_since: float | None = None
        self._closed = False
        self._files: dict[str, tuple[str, CompiledFile]] = {}
        self._order: list[str] = []  # the paths of _files, sorted: the smaller path wins
        self._processed: tuple[str, Catalog] | None = None
        self._renderer = new_renderer()  # what one snapshot rendered, the next reuses
        self.snapshot: Snapshot | None = None
        self.held_back: HeldBack | None = None
        self.last_error: str | None = None
        self.last_success_at: float | None = None

    @property
    def source(self) -> Source:
        return self._source

    def close(self) -> None:
        """Stop: kill the source's running git processes (a refresh in progress fails at once)."""
        self._closed = True
        self._source.close()

    def refresh(self, force: bool = False, wait: float | None = None) -> IngestOutcome:
        """Fetch and ingest; ``force`` applies an ingest that would be held back.

        Waits for a refresh in progress, at most ``wait`` seconds if given (then raises
        :class:`RefreshInProgressError`). Raises :class:`SourceError` when the source fails and
        :class:`IngestError` on anything unexpected; either way the current snapshot stays,
        ``last_error`` says why, and the next refresh tries again.
        """
        if not self._lock.acquire(timeout=-1 if wait is None else wait):
            since = self._running_since
            running = f" for {time.monotonic() - since:.0f} s" if since is not None else ""
            raise RefreshInProgressError(
                f"a refresh is already running{running}; its outcome shows in /readyz, and a"
                " refresh requested after it ends fetches again"
            )
        try:
            self._running_since = time.monotonic()
            return self._refresh(force)
        finally:
            self._running_since = None
            self._lock.release()

    def _refresh(self, force: bool) -> IngestOutcome:
        started = time.perf_counter()
        try:
            revision, changed = self._fetch_and_process()
        except CatalogError as error:
            self._failed(error.message)
            raise
        except Exception as error:
            # A bug must not freeze the catalog: forget what was half built, say what happened.
            self._reset()
            message = f"the ingest failed unexpectedly: {type(error).__name__}: {error}"
            logger.exception("%s; the next refresh starts from scratch", message)
            self._failed(message)
            raise IngestError(message) from error
        assert self._processed is not None
        catalog = self._processed[1]
        self.last_error = None
        self.last_success_at = time.time()
        current = self.snapshot
        if current is not None and current.revision == revision and changed == 0:
            status: IngestStatus = "unchanged"
        else:
            reason = None if force else self._hold_back_reason(catalog)
            if reason is None:
                self._apply(revision, catalog)
                status = "applied"
            else:
                self._hold_back(revision, reason)
                status = "held-back"
        return IngestOutcome(
            status=status,
            revision=revision,
            entities=catalog.entity_count,
            problems=len(catalog.problems),
            changed_files=changed,
            duration_seconds=time.perf_counter() - started,
            reason=self.held_back.reason if status == "held-back" and self.held_back else None,
        )

    def _fetch_and_process(self) -> tuple[str, int]:
        revision = self._source.fetch()
        try:
            return revision, self._process(revision)
        except SourceError as error:
            self._reset()
            if self._closed:
                raise
            # Fetched, but the mirror cannot be read: it is only a cache, so clone it again
            # and try once more in this same refresh.
            self._source.discard_mirror(error.message)
            revision = self._source.fetch()
            return revision, self._process(revision)

    def _reset(self) -> None:
        """Forget the incremental state: the next ingest lists and compiles everything."""
        self._files, self._order, self._processed = {}, [], None

    def _failed(self, message: str) -> None:
        self.last_error = message
        if self.snapshot is None:
            logger.error("ingest failed, no catalog to serve yet: %s", message)
        else:
            logger.error("ingest failed, still serving the last good catalog: %s", message)

    def _hold_back(self, revision: str, reason: str) -> None:
        if self.held_back is None or self.held_back.revision != revision:
            logger.warning("ingest of %s held back: %s", revision[:12], reason)
        if self.snapshot is None:
            self._restore_applied()
        self.held_back = HeldBack(revision, reason)

    def _restore_applied(self) -> None:
        """After a restart, serve the revision applied before it rather than nothing."""
        state = self._source.read_state() or {}
        applied = state.get("revision")
        if not isinstance(applied, str):
            return
        try:
            self._process(applied)
        except CatalogError as error:
            self._reset()
            logger.warning("cannot serve the last applied revision %s: %s", applied[:12], error)
            return
        assert self._processed is not None
        self._apply(applied, self._processed[1])

    def _process(self, revision: str) -> int:
        """Recompile the files that changed since the last processed revision; count them."""
        previous = self._processed[0] if self._processed else None
        if previous == revision:
            return 0
        changes = None
        if previous is not None:
            try:
                changes = self._source.changes(previous, revision)
            except SourceError as error:  # e.g. the mirror was cloned anew: compare trees instead
                logger.warning(
                    "cannot diff %s..%s, listing the tree: %s", previous, revision, error
                )
        if changes is None:
            entries = self._source.list_manifests(revision)
            present = {entry.path for entry in entries}
            files = {
                entry.path: self._files[entry.path]
                for entry in entries
                if self._files.get(entry.path, ("",))[0] == entry.sha
            }
            to_read = [entry for entry in entries if entry.path not in files]
            deleted = len(self._files.keys() - present)
        else:
            files = dict(self._files)
            to_read = [change.entry for change in changes if change.entry is not None]
            deleted = 0
            for change in changes:
                if change.entry is None:
                    deleted += files.pop(change.path, None) is not None
        with _gc_paused():
            for entry, compiled in self._compile(to_read):
                files[entry.path] = (entry.sha, compiled)
            order, catalog = self._assemble(files, [entry.path for entry in to_read])
        if changes is None:
            settle_heap()  # the whole catalog out of later full collections
        self._files, self._order = files, order
        self._processed = (revision, catalog)
        return len(to_read) + deleted

    def _assemble(
        self, files: dict[str, tuple[str, CompiledFile]], changed: list[str]
    ) -> tuple[list[str], Catalog]:
        """The files' paths in order, and their catalog: when no path came or went, only what
        changed is redone."""
        previous = self._processed[1] if self._processed else None
        if previous is None or files.keys() != self._files.keys():
            order = sorted(files)  # a good part of a one-file refresh: only when paths change
            return order, assemble([files[path][1] for path in order], self._context)
        replaced = {path: (self._files[path][1], files[path][1]) for path in changed}
        ordered = list(map(_compiled, map(files.__getitem__, self._order)))  # C-level passes
        return self._order, reassemble(previous, ordered, replaced, self._context)

    def _compile(self, entries: list[TreeEntry]) -> Iterable[tuple[TreeEntry, CompiledFile]]:
        return compile_entries(self._source, entries, self._context, self._compiler)

    def _hold_back_reason(self, catalog: Catalog) -> str | None:
        current = self.snapshot
        before_files: object
        before: object
        if current is not None:
            before_files, before = current.catalog.manifest_files, current.catalog.entity_count
            # After a refresh that kept every file's shape the refs are the very same set.
            refs = current.catalog.refs
            removed = 0 if refs is catalog.refs else len(refs - catalog.refs)
        else:
            # After a restart: compare with what was applied before it, kept beside the mirror.
            state = self._source.read_state() or {}
            before_files, before = state.get("manifestFiles"), state.get("entities")
            if not isinstance(before_files, int) or not isinstance(before, int):
                return None
            removed = max(0, before - catalog.entity_count)
        if self._guard.holdBackEmpty and catalog.manifest_files == 0 and before_files:
            return (
                f"no manifest files found where the last ingest had {before_files};"
                " check the branch and roots, or POST /api/v1/refresh?force=true to apply"
            )
        if before and removed / before > self._guard.maxRemovedFraction:
            return (
                f"would remove {removed} of {before} entities, more than"
                f" {self._guard.maxRemovedFraction:.0%}; POST /api/v1/refresh?force=true to apply"
            )
        return None

    def _apply(self, revision: str, catalog: Catalog) -> None:
        self.snapshot = Snapshot.build(revision, catalog, self._renderer)
        self.held_back = None
        self._source.write_state(
            {
                "revision": revision,
                "entities": catalog.entity_count,
                "manifestFiles": catalog.manifest_files,
                "appliedAt": self.snapshot.created_at,
            }
        )
        logger.info(
            "catalog at %s: %d entities, %d problems",
            revision[:12],
            catalog.entity_count,
            len(catalog.problems),
        )


_compiled = itemgetter(1)


def compile_entries(
    source: Source,
    entries: list[TreeEntry],
    context: EntityContext,
    compiler: FileCompiler | None = None,
) -> Iterable[tuple[TreeEntry, CompiledFile]]:
    """Each entry compiled as ingest compiles it: a symbolic link refused unread, a blob over
    ``MAX_FILE_BYTES`` refused unread, the rest parsed (only ever read as YAML). A large batch
    goes to the ``compiler``'s worker processes (``compiling.py``)."""
    regular = []
    for entry in entries:
        if entry.is_symlink:
            yield entry, rejected_symlink(entry.path)
        else:
            regular.append(entry)
    blobs = source.read_blobs((entry.sha for entry in regular), MAX_FILE_BYTES)
    paths_and_data = ((entry.path, data) for entry, (_, data) in zip(regular, blobs, strict=True))
    compiled = (compiler or FileCompiler(context)).compile(paths_and_data, len(regular))
    yield from zip(regular, compiled, strict=True)


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    """Compiling allocates many objects that all live on; the cycle collector, run again and
    again over the growing heap meanwhile, would cost more than the compiling itself."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
