"""How fast is the adoption history? Prints each figure beside its target.

    python -m bench.adoption [--manifests 10000] [--commits 2000]

Targets (issue 8): the first history walk over 2,000 commits of a 10,000-manifest repository
under 30 s; then a new commit adds its day in under 100 ms.

The repository is built with ``git fast-import``: a first commit holds most manifests (the
generator of bench/ingest.py), then each commit adds one and changes two others, three commits a
day, so the history ends with ``--manifests`` manifests over some 670 days.
"""

from __future__ import annotations

import argparse
import random
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from statistics import median
from typing import IO

from bench.ingest import SYSTEMS, manifest
from catalog_service.adoption.history import AdoptionHistory
from catalog_service.db import Database, adoption, upgrade
from catalog_service.domain.entities import EntityContext
from catalog_service.sources.git import GitSource

WALK_TARGET_SECONDS = 30.0
NEW_COMMIT_TARGET_SECONDS = 0.100
START = 1_704_067_200  # 2024-01-01T00:00:00Z
EVERY = 8 * 3600  # three commits a day
CONTEXT = EntityContext(("dev", "staging", "prod"), (), "file:/bench/")


def path_of(index: int) -> str:
    return f"apps/system-{index % SYSTEMS:03d}/app-{index:05d}.yaml"


class FastImport:
    """Commits written as a ``git fast-import`` stream on the branch ``main``."""

    def __init__(self, repo: Path, *, existing: bool = False) -> None:
        self.process = subprocess.Popen(
            ["git", "fast-import", "--quiet", "--force"],
            cwd=repo,
            stdin=subprocess.PIPE,
        )
        assert self.process.stdin is not None
        self.stream: IO[bytes] = self.process.stdin
        # A stream's first commit on a branch that exists goes on from it; later ones follow.
        self.parent = b"from refs/heads/main^0\n" if existing else b""

    def commit(self, when: int, files: dict[str, str], deleted: tuple[str, ...] = ()) -> None:
        out = self.stream
        out.write(b"commit refs/heads/main\n")
        for role in (b"author", b"committer"):
            out.write(role + b" bench <bench@example.com> %d +0000\n" % when)
        out.write(b"data 6\nchange\n")
        out.write(self.parent)
        self.parent = b""
        for path in deleted:
            out.write(f"D {path}\n".encode())
        for path, text in files.items():
            data = text.encode()
            out.write(f"M 100644 inline {path}\ndata {len(data)}\n".encode() + data + b"\n")
        out.write(b"\n")

    def close(self) -> None:
        self.stream.close()
        if self.process.wait() != 0:
            raise RuntimeError("git fast-import failed")


def make_repository(root: Path, manifests: int, commits: int) -> Path:
    repo = root / "gitops"
    subprocess.run(["git", "init", "-q", "--initial-branch=main", str(repo)], check=True)
    rng = random.Random(42)
    initial = manifests - commits
    importer = FastImport(repo)
    importer.commit(START, {path_of(i): manifest(i, rng) for i in range(initial)})
    for number in range(1, commits + 1):
        new = initial + number - 1
        files = {path_of(new): manifest(new, rng)}
        for index in (rng.randrange(new), rng.randrange(new)):
            files[path_of(index)] = manifest(index, rng)  # another version: rng moves on
        importer.commit(START + number * EVERY, files)
    importer.close()
    return repo


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--manifests", type=int, default=10_000)
    parser.add_argument("--commits", type=int, default=2_000)
    parser.add_argument("--new-commits", type=int, default=5, help="new commits to time")
    args = parser.parse_args()

    root = Path(tempfile.mkdtemp(prefix="catalog-bench-adoption-"))
    try:
        started = time.perf_counter()
        repo = make_repository(root, args.manifests, args.commits)
        print(
            f"generated {args.manifests:,} manifests in {args.commits + 1:,} commits"
            f" in {time.perf_counter() - started:.1f} s"
        )
        url = f"sqlite:///{root / 'catalog.db'}"
        upgrade(url)
        database = Database(url)
        source = GitSource(str(repo), "main", ["apps"], root / "mirror")
        head = source.fetch()
        history = AdoptionHistory(source, database, CONTEXT)
        started = time.perf_counter()
        outcome = history.update(head)
        walk = time.perf_counter() - started
        with database.session() as session:
            days = {row.day for row in adoption.series(session)}
            last = sum(row.count for row in adoption.series(session) if row.day == max(days))
        assert outcome.mode == "walked" and last == args.manifests, (outcome, last)
        print(
            f"first walk ({outcome.commits:,} commits, {len(days)} days): {walk:8.2f} s"
            f"   target < {WALK_TARGET_SECONDS:.0f} s  {_verdict(walk, WALK_TARGET_SECONDS)}"
        )

        rng = random.Random(7)
        times = []
        for round_ in range(args.new_commits):
            importer = FastImport(repo, existing=True)
            index = rng.randrange(args.manifests)
            when = START + (args.commits + 3 * (round_ + 1)) * EVERY  # a new day each
            importer.commit(when, {path_of(index): manifest(index, rng)})
            importer.close()
            head = source.fetch()  # the ingest's job; not timed
            started = time.perf_counter()
            outcome = history.update(head)
            times.append(time.perf_counter() - started)
            assert outcome.mode == "appended" and outcome.commits == 1, outcome
        one = median(times)
        print(
            f"a new commit adds its day (median of {len(times)}): {one * 1000:6.1f} ms"
            f"   target < {NEW_COMMIT_TARGET_SECONDS * 1000:.0f} ms"
            f"  {_verdict(one, NEW_COMMIT_TARGET_SECONDS)}"
        )
        source.close()
        database.dispose()
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return 0


def _verdict(value: float, target: float) -> str:
    return "OK" if value < target else "MISSED"


if __name__ == "__main__":
    raise SystemExit(main())
