"""How fast are the self-service building blocks? Prints figures measured in one run.

    python -m bench.edits [--manifests 10000] [--runs 7]

- a promotion edit (dry run: text in, diff out) on a typical manifest and on a 1 MiB file of many
  documents, the largest the catalog reads;
- a real write: a branch pushed to a local bare remote holding ``--manifests`` manifests;
- 20 concurrent writes of different branches to that remote.

Targets (issue 7): a dry-run promotion under 100 ms; a real one under 1 s; 20 concurrent ones in
under 5 s (the pull request on GitHub is not part of these figures).
"""

from __future__ import annotations

import argparse
import random
import re
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from statistics import median

from bench.ingest import manifest
from catalog_service.actions.git_paths import Identity
from catalog_service.actions.git_writer import GitWriter
from catalog_service.actions.manifest_edits import promote_version
from catalog_service.domain.parsing import MAX_FILE_BYTES

ORDER = ("dev", "staging", "prod")
AUTHOR = Identity("Bench", "bench@example.com")


def timed(action: Callable[[], object], runs: int) -> float:
    durations = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        durations.append(time.perf_counter() - started)
    return median(durations)


def large_file() -> tuple[str, str]:
    """Many applications in one file, just under the 1 MiB limit; answers it and the last name."""
    rng = random.Random(7)
    documents: list[str] = []
    size, index = 0, 0
    while True:
        document = manifest(index + 20, rng)
        if size + len(document) + 4 > MAX_FILE_BYTES:
            break
        documents.append(document)
        size += len(document) + 4
        index += 1
    return "---\n".join(documents), f"app-{index + 19:05d}"


def make_remote(root: Path, count: int) -> Path:
    rng = random.Random(3)
    work = root / "work"
    for index in range(count):
        path = work / "apps" / f"system-{index % 200:03d}" / f"app-{index:05d}.yaml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(manifest(index, rng), encoding="utf-8")
    git = ["git", "-c", "user.name=Bench", "-c", "user.email=bench@example.com"]
    subprocess.run([*git, "init", "-q", "-b", "main", str(work)], check=True)
    subprocess.run([*git, "-C", str(work), "add", "-A"], check=True)
    subprocess.run([*git, "-C", str(work), "commit", "-qm", "Manifests"], check=True)
    remote = root / "remote.git"
    subprocess.run(["git", "clone", "-q", "--bare", str(work), str(remote)], check=True)
    return remote


def new_dev_version(text: str, number: int) -> str:
    """``text`` with a dev version staging does not have yet, so that promoting changes it."""
    return re.sub(r'dev: \{version: "[^"]*"', f'dev: {{version: "9.{number}.0"', text)


def promote_edit(
    path: str, number: int
) -> Callable[[Mapping[str, bytes | None]], dict[str, bytes | None]]:
    def edit(files: Mapping[str, bytes | None]) -> dict[str, bytes | None]:
        text = new_dev_version((files[path] or b"").decode(), number)
        promoted = promote_version(text, Path(path).stem, "dev", "staging", ORDER, path=path)
        return {path: promoted.new_text.encode()}

    return edit


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--manifests", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=7)
    options = parser.parse_args()
    typical = new_dev_version(manifest(42, random.Random(1)), 1)
    app = "app-00042"
    seconds = timed(lambda: promote_version(typical, app, "dev", "staging", ORDER, path="a"), 50)
    print(f"dry-run promotion, typical manifest ({len(typical):,} B): {seconds * 1000:.2f} ms")
    big, last = large_file()
    big = new_dev_version(big, 1)
    seconds = timed(lambda: promote_version(big, last, "dev", "staging", ORDER, path="a"), 5)
    print(
        f"dry-run promotion, last of {big.count('kind: Application'):,} applications in one"
        f" {len(big.encode()) / 1024:,.0f} KiB file: {seconds * 1000:.1f} ms"
    )
    root = Path(tempfile.mkdtemp(prefix="bench-edits-"))
    try:
        started = time.perf_counter()
        remote = make_remote(root, options.manifests)
        print(
            f"remote with {options.manifests:,} manifests made in"
            f" {time.perf_counter() - started:.1f} s"
        )
        writer = GitWriter(str(remote), ["apps"], temp_root=root)
        path = "apps/system-042/app-00042.yaml"
        counter = iter(range(10_000))

        def write_one() -> object:
            number = next(counter)
            return writer.write(
                base="main",
                branch=f"promote-{number}",
                paths=[path],
                edit=promote_edit(path, number),
                message="Promote",
                author=AUTHOR,
            )

        seconds = timed(write_one, options.runs)
        print(f"real promotion, branch pushed to a local bare remote: {seconds * 1000:.0f} ms")
        threads = [threading.Thread(target=write_one) for _ in range(20)]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        print(f"20 concurrent writes of different branches: {time.perf_counter() - started:.2f} s")
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
