"""Compiling many files at once on several processors.

A first ingest compiles every file of the repository, and compiling is CPU-bound work on one file
at a time (YAML, validation, entities, JSON): with 10,000 manifests it is most of a cold start. So
a large batch is spread over worker processes, in chunks, while the files are still being read
from git; a refresh of a few files is compiled in the process, where starting workers would cost
more than it saves. The result is the same either way, in the same order (docs/architecture.md
section 3, step 3).

Workers come from a ``forkserver``: the service has threads (the web server's, the pools), and a
``fork`` of a process with threads can copy a lock held by another thread and hang; ``spawn`` would
import the program's main module in every worker (a bench's or a test runner's imports). The fork
server imports only this module, once, and stays for the next large batch; its children do not
import the main module either, as they otherwise would (``worker_start.py``).
"""

from __future__ import annotations

import contextlib
import logging
import math
import multiprocessing
import os
import pickle
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from itertools import islice
from pathlib import Path

from catalog_service.domain.catalog import CompiledFile, compile_file, rejected_too_large
from catalog_service.domain.entities import EntityContext

logger = logging.getLogger("catalog_service.ingest")

# Below this many files a batch is compiled in the process: a worker takes about 0.2 s to start.
PARALLEL_FROM_FILES = 2000
CHUNK_FILES = 250  # small enough to keep every worker busy to the end, large enough to amortise
MAX_PROCESSES = 4  # past this, reading git and assembling in the process dominate

Blob = tuple[str, bytes | None]  # a path and its bytes (None: over MAX_FILE_BYTES, not read)


def compile_blob(path: str, data: bytes | None, context: EntityContext) -> CompiledFile:
    """One file as the ingest compiles it: a blob too large to read is refused unread."""
    return rejected_too_large(path) if data is None else compile_file(path, data, context)


def compile_chunk(chunk: list[Blob], context: EntityContext) -> list[CompiledFile]:
    """A worker's task (top level, so that a worker can import it by name)."""
    return [compile_blob(path, data, context) for path, data in chunk]


def available_processors(
    cgroup: Path = Path("/sys/fs/cgroup"), membership: Path = Path("/proc/self/cgroup")
) -> int:
    """The processors this process may use: its CPU affinity, bounded by a cgroup's CPU quota
    (a Kubernetes CPU limit is a quota, not an affinity; so is a systemd unit's CPUQuota)."""
    processors = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1
    quota = _cgroup_cpu_quota(cgroup, membership)
    return max(1, min(processors, quota) if quota else processors)


def _cgroup_cpu_quota(cgroup: Path, membership: Path) -> int | None:
    """The smallest quota on the process's cgroup and those above it (``membership`` names it;
    without a cgroup namespace it is not the root of the hierarchy): cgroup v2's ``cpu.max``, or
    v1's pair under ``cpu/``."""
    v2, v1 = _own_cgroups(membership)
    quotas = [_quota_v2(folder) for folder in _up_from(cgroup, v2)]
    if not any(quotas):
        quotas = [_quota_v1(folder) for folder in _up_from(cgroup / "cpu", v1)]
    return min((quota for quota in quotas if quota), default=None)


def _own_cgroups(membership: Path) -> tuple[str, str]:
    """The process's cgroup v2 path and its v1 ``cpu`` controller's (``/`` when unknown)."""
    v2 = v1 = "/"
    try:
        lines = membership.read_text().splitlines()
    except (OSError, ValueError):
        return v2, v1
    for line in lines:
        hierarchy, controllers, path = [*line.split(":", 2), "", ""][:3]
        if hierarchy == "0" and controllers == "":
            v2 = path or "/"
        elif "cpu" in controllers.split(","):
            v1 = path or "/"
    return v2, v1


def _up_from(root: Path, path: str) -> list[Path]:
    """The folders of ``path`` under ``root``, from the deepest to ``root``: where the path is
    not mounted (a container's own cgroup is the root), only the folders that exist count."""
    parts = [part for part in path.split("/") if part not in ("", ".", "..")]
    folders = [root.joinpath(*parts[:depth]) for depth in range(len(parts), 0, -1)]
    return [folder for folder in folders if folder.is_dir()] + [root]


def _quota_v2(folder: Path) -> int | None:
    try:  # "150000 100000": 1.5 processors, rounded up; "max 100000": none
        quota, period = (folder / "cpu.max").read_text().split()[:2]
    except (OSError, ValueError):
        return None
    return _processors(quota, period)


def _quota_v1(folder: Path) -> int | None:
    try:
        quota = (folder / "cpu.cfs_quota_us").read_text().strip()
        period = (folder / "cpu.cfs_period_us").read_text().strip()
    except (OSError, ValueError):
        return None
    return _processors(quota, period)


def _processors(quota: str, period: str) -> int | None:
    try:
        quota_us, period_us = int(quota), int(period)
    except ValueError:  # "max": no quota
        return None
    return math.ceil(quota_us / period_us) if quota_us > 0 and period_us > 0 else None


def forkserver_pool(processes: int) -> Executor:
    """Worker processes forked from a server that has imported only this module; each ends once
    this process is gone (killed with -9, its workers would wait on their queue for ever)."""
    server = multiprocessing.get_context("forkserver")
    server.set_forkserver_preload([__name__, "catalog_service.ingest.worker_start"])
    return ProcessPoolExecutor(
        processes, mp_context=server, initializer=exit_with, initargs=(os.getpid(),)
    )


def exit_with(owner: int, interval: float = 1.0) -> None:
    """A worker's watch: when the process that started it is gone, the worker exits."""

    def watch() -> None:
        while True:
            time.sleep(interval)
            try:
                os.kill(owner, 0)
            except ProcessLookupError:
                os._exit(0)
            except PermissionError:  # the pid was reused by another user's process
                os._exit(0)

    threading.Thread(target=watch, name="owner-watch", daemon=True).start()


class FileCompiler:
    """Compiles batches of files, on ``processes`` worker processes when a batch is large.

    Whatever happens to the workers (none can start, one is killed), every file is compiled: a
    chunk a worker did not return is compiled in the process. ``pool`` and ``worker`` are the
    seams tests use to break them."""

    def __init__(
        self,
        context: EntityContext,
        processes: int = 1,
        *,
        parallel_from: int = PARALLEL_FROM_FILES,
        chunk_files: int = CHUNK_FILES,
        pool: Callable[[int], Executor] = forkserver_pool,
        worker: Callable[[list[Blob], EntityContext], list[CompiledFile]] = compile_chunk,
    ) -> None:
        self._context = context
        self._processes = max(1, min(processes, MAX_PROCESSES))
        self._parallel_from = parallel_from
        self._chunk_files = chunk_files
        self._pool = pool
        self._worker = worker

    @property
    def processes(self) -> int:
        return self._processes

    def compile(self, blobs: Iterable[Blob], count: int) -> Iterator[CompiledFile]:
        """Each of the ``count`` blobs compiled, in their order."""
        if self._processes == 1 or count < self._parallel_from or not self._picklable():
            for path, data in blobs:
                yield compile_blob(path, data, self._context)
            return
        yield from self._compile_in_processes(iter(blobs))

    def _picklable(self) -> bool:
        try:  # a test's clock may be a closure: such a context compiles in the process
            sent = pickle.dumps(self._context)
        except (pickle.PicklingError, AttributeError, TypeError):
            return False
        # Nor can a context naming a function of the main module, which workers do not import
        # (worker_start.py); the name is in the pickle as text, so its mere mention is enough.
        return b"__main__" not in sent

    def _compile_in_processes(self, blobs: Iterator[Blob]) -> Iterator[CompiledFile]:
        failures: list[Exception] = []
        pool: Executor | None = None
        try:
            pool = self._pool(self._processes)
        except Exception as error:  # its queues' locks need a writable /dev/shm: none, no pool
            failures.append(error)
        with pool or contextlib.nullcontext():
            # Every chunk is handed out as soon as git has read it; results are taken in order.
            tasks: list[tuple[list[Blob], Future[list[CompiledFile]] | None]] = []
            while chunk := list(islice(blobs, self._chunk_files)):
                task = None if pool is None or failures else self._submit(pool, chunk, failures)
                tasks.append((chunk, task))
            for chunk, task in tasks:
                yield from self._result(chunk, task, failures)
        if failures:
            logger.warning(
                "compile workers failed (%s: %s); their files were compiled in the process",
                type(failures[0]).__name__,
                failures[0],
            )

    def _submit(
        self, pool: Executor, chunk: list[Blob], failures: list[Exception]
    ) -> Future[list[CompiledFile]] | None:
        try:
            return pool.submit(self._worker, chunk, self._context)
        except Exception as error:  # no worker could start (no temporary folder, no memory)
            failures.append(error)
            return None

    def _result(
        self,
        chunk: list[Blob],
        task: Future[list[CompiledFile]] | None,
        failures: list[Exception],
    ) -> list[CompiledFile]:
        if task is not None:
            try:
                return task.result()
            except Exception as error:  # a worker killed (out of memory), a result that failed
                failures.append(error)
        return compile_chunk(chunk, self._context)
