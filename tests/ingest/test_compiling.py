"""Large batches compiled on worker processes: the same files as in the process, whatever the
workers do (catalog_service/ingest/compiling.py)."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from collections.abc import Callable
from concurrent.futures import Executor, Future
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NoReturn

import pytest

from catalog_service.domain.catalog import CompiledFile
from catalog_service.domain.entities import EntityContext
from catalog_service.ingest.compiling import (
    Blob,
    FileCompiler,
    available_processors,
    compile_chunk,
)
from catalog_service.ingest.ingestor import Ingestor
from catalog_service.service import build_ingestor
from catalog_service.sources.repository import entity_context
from tests.domain.support import context
from tests.support.manifests import application_yaml, system_yaml
from tests.support.repos import GitOpsRepo
from tests.support.settings import SettingsFactory


def corpus() -> list[Blob]:
    """Files of every outcome: valid, rejected, odd names, a blob too large to read."""
    blobs: list[Blob] = [
        (f"apps/shop/app-{index}.yaml", application_yaml(f"app-{index}").encode())
        for index in range(12)
    ]
    blobs += [
        ("apps/shop/system.yaml", system_yaml("shop").encode()),
        ("apps/bad/unclosed.yaml", b"apiVersion: idp/v1alpha1\nkind: [Application\n"),
        ("apps/bad/tag.yaml", b"apiVersion: !Ref idp/v1alpha1\nkind: Application\n"),
        ("apps/bad/latin1.yaml", "metadata: {name: caf\xe9}\n".encode("latin-1")),
        ("apps/bad/name-\udcff.yaml", application_yaml("odd-name").encode()),
        ("apps/bad/huge.yaml", None),
        ("apps/shop/twin.yaml", application_yaml("app-1").encode()),  # a name already taken
    ]
    return blobs


def in_process(blobs: list[Blob], ctx: EntityContext) -> list[CompiledFile]:
    return list(FileCompiler(ctx).compile(blobs, len(blobs)))


def test_files_compiled_on_workers_are_those_compiled_in_the_process() -> None:
    blobs, ctx = corpus(), context()
    on_workers = list(
        FileCompiler(ctx, 2, parallel_from=1, chunk_files=3).compile(iter(blobs), len(blobs))
    )
    assert on_workers == in_process(blobs, ctx)
    assert [file.path for file in on_workers] == [path for path, _ in blobs]  # in their order
    assert any(file.problems for file in on_workers) and any(f.applications for f in on_workers)


def exit_at_once(chunk: list[Blob], ctx: EntityContext) -> NoReturn:
    """A worker killed while compiling (the kernel's out-of-memory killer)."""
    os._exit(17)  # were this run in the test's own process, the test run would end here


def test_a_killed_worker_leaves_no_file_out(caplog: pytest.LogCaptureFixture) -> None:
    blobs, ctx = corpus(), context()
    compiler = FileCompiler(ctx, 2, parallel_from=1, chunk_files=3, worker=exit_at_once)
    with caplog.at_level(logging.WARNING, "catalog_service.ingest"):
        compiled = list(compiler.compile(blobs, len(blobs)))
    assert compiled == in_process(blobs, ctx)
    (warning,) = [r.getMessage() for r in caplog.records if "compile workers" in r.getMessage()]
    assert "BrokenProcessPool" in warning and "compiled in the process" in warning


class NoWorkers(Executor):
    """A pool whose workers cannot start (no temporary folder for the fork server's socket)."""

    def __init__(self, processes: int) -> None:
        self.submitted = 0

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        self.submitted += 1
        raise OSError(28, "No space left on device")


def test_workers_that_cannot_start_leave_no_file_out(caplog: pytest.LogCaptureFixture) -> None:
    blobs, ctx = corpus(), context()
    pools: list[NoWorkers] = []

    def pool(processes: int) -> NoWorkers:
        pools.append(NoWorkers(processes))
        return pools[-1]

    with caplog.at_level(logging.WARNING, "catalog_service.ingest"):
        compiled = list(
            FileCompiler(ctx, 2, parallel_from=1, chunk_files=3, pool=pool).compile(
                blobs, len(blobs)
            )
        )
    assert compiled == in_process(blobs, ctx)
    assert [p.submitted for p in pools] == [1]  # after one failure, no chunk is offered again
    assert any("OSError" in r.getMessage() for r in caplog.records)


UNGUARDED_MAIN = """
import os, sys
from datetime import UTC, datetime
from catalog_service.domain.entities import EntityContext
from catalog_service.ingest import compiling

with open(sys.argv[1], "a") as runs:
    runs.write(f"{os.getpid()}\\n")

def clock():
    return datetime(2026, 1, 1, tzinfo=UTC)

ctx = EntityContext((), (), "url:x/", **({"clock": clock} if sys.argv[2] == "clock" else {}))
blobs = [(f"apps/app-{index}.yaml", b"kind: [\\n") for index in range(8)]
compiler = compiling.FileCompiler(ctx, 2, parallel_from=1, chunk_files=2)
compiled = list(compiler.compile(blobs, len(blobs)))
assert [file.path for file in compiled] == [path for path, _ in blobs]
"""


@pytest.mark.parametrize("clock", ["default", "clock"])
def test_a_main_module_without_a_guard_runs_once(tmp_path: Path, clock: str) -> None:
    """Workers do not import the program's main module: one without ``if __name__ ==
    "__main__"`` would run again in each (here: its line written again), and a clock it defines
    cannot be sent to them (the batch is compiled in the process, without a warning)."""
    script, runs = tmp_path / "unguarded.py", tmp_path / "runs"
    script.write_text(UNGUARDED_MAIN)
    path = [str(Path(__file__).parents[2]), *sys.path]
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join(path)}
    finished = subprocess.run(
        [sys.executable, str(script), str(runs), clock],
        capture_output=True,
        text=True,
        env=environment,
        timeout=60,
        check=False,
    )
    assert finished.returncode == 0, finished.stderr
    assert len(runs.read_text().splitlines()) == 1
    assert "compile workers failed" not in finished.stderr and "Traceback" not in finished.stderr


def no_semaphores(processes: int) -> NoReturn:
    """A pool that cannot even be made: its queues' locks need a writable /dev/shm."""
    raise OSError(30, "Read-only file system")


def test_a_pool_that_cannot_be_made_leaves_no_file_out(caplog: pytest.LogCaptureFixture) -> None:
    blobs, ctx = corpus(), context()
    compiler = FileCompiler(ctx, 2, parallel_from=1, chunk_files=3, pool=no_semaphores)
    with caplog.at_level(logging.WARNING, "catalog_service.ingest"):
        compiled = list(compiler.compile(blobs, len(blobs)))
    assert compiled == in_process(blobs, ctx)
    (warning,) = [r.getMessage() for r in caplog.records if "compile workers" in r.getMessage()]
    assert "Read-only file system" in warning


def refuse_pool(processes: int) -> NoReturn:
    raise AssertionError("this batch must be compiled in the process")


@pytest.mark.parametrize(
    ("processes", "count", "clock"),
    [
        (1, 10_000, None),  # one processor
        (4, 1999, None),  # below the default threshold: starting workers would cost more
        (4, 10_000, lambda: datetime(2026, 1, 1, tzinfo=UTC)),  # a closure cannot be sent
    ],
)
def test_a_small_batch_one_processor_or_a_local_clock_compile_in_the_process(
    processes: int, count: int, clock: Callable[[], datetime] | None
) -> None:
    blobs = corpus()
    ctx = context() if clock is None else EntityContext((), (), "url:x/", clock=clock)
    compiler = FileCompiler(ctx, processes, pool=refuse_pool)
    assert len(list(compiler.compile(blobs, count))) == len(blobs)


def test_an_ingest_on_workers_serves_the_catalog_of_an_ingest_in_the_process(
    gitops: GitOpsRepo, make_settings: SettingsFactory, tmp_path: Path
) -> None:
    for index in range(20):
        gitops.add_application(f"app-{index}", system=f"system-{index % 3}")
    gitops.write("apps/broken.yaml", "kind: [\n")
    gitops.commit()
    settings = make_settings()
    in_process_ingestor = build_ingestor(settings)
    in_process_ingestor.refresh()
    ctx = entity_context(settings)
    source = build_ingestor(make_settings(source={"cacheDir": str(tmp_path / "other")})).source
    compiler = FileCompiler(ctx, 2, parallel_from=1, chunk_files=3)
    on_workers = Ingestor(source, ctx, settings.ingest, compiler=compiler)
    on_workers.refresh()
    assert on_workers.snapshot is not None and in_process_ingestor.snapshot is not None
    served = json.loads(on_workers.snapshot.body)
    assert served == json.loads(in_process_ingestor.snapshot.body)
    assert len(served["items"]) == 20 + 3 and on_workers.snapshot.catalog.problems


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        ({"cpu.max": "150000 100000\n"}, 2),  # 1.5 processors: two workers' worth
        ({"cpu.max": "50000 100000\n"}, 1),
        ({"cpu.max": "max 100000\n"}, None),  # no quota: the affinity
        ({"cpu.max": "garbage"}, None),
        ({"cpu/cpu.cfs_quota_us": "200000", "cpu/cpu.cfs_period_us": "100000"}, 2),  # cgroup v1
        ({"cpu/cpu.cfs_quota_us": "-1", "cpu/cpu.cfs_period_us": "100000"}, None),
        ({}, None),  # no cgroup files at all
    ],
)
def test_the_processors_are_bounded_by_a_cpu_limit(
    tmp_path: Path, files: dict[str, str], expected: int | None
) -> None:
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    affinity = len(os.sched_getaffinity(0))
    assert available_processors(tmp_path) == min(affinity, expected or affinity)


@pytest.mark.parametrize(
    ("membership", "files", "expected"),
    [
        # A systemd unit's CPUQuota=200%, or a container without its own cgroup namespace: the
        # quota is on the process's cgroup, not on the hierarchy's root.
        (
            "0::/system.slice/catalog.service\n",
            {"system.slice/catalog.service/cpu.max": "200000 100000"},
            2,
        ),
        ("0::/pod/ctr\n", {"pod/cpu.max": "100000 100000", "pod/ctr/cpu.max": "max 100000"}, 1),
        (
            "4:cpu,cpuacct:/docker/abc\n",
            {
                "cpu/docker/abc/cpu.cfs_quota_us": "100000",
                "cpu/docker/abc/cpu.cfs_period_us": "100000",
            },
            1,
        ),
        ("0::/docker/abc\n", {"cpu.max": "100000 100000"}, 1),  # its cgroup mounted as the root
    ],
)
def test_the_cpu_limit_is_that_of_the_process_cgroup(
    tmp_path: Path, membership: str, files: dict[str, str], expected: int
) -> None:
    root = tmp_path / "cgroup"
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    (tmp_path / "self-cgroup").write_text(membership)
    affinity = len(os.sched_getaffinity(0))
    assert available_processors(root, tmp_path / "self-cgroup") == min(affinity, expected)


def test_a_chunk_compiles_as_each_file_would() -> None:
    blobs, ctx = corpus(), context()
    assert compile_chunk(blobs, ctx) == in_process(blobs, ctx)
