"""How fast is ``catalog-service render``? Prints figures measured in one run, and their ratio.

    python -m bench.render [--manifests 10000]

Targets (issue 16): a cold render of 10,000 applications x 3 environments under 2x a cold
``catalog-service export`` of the same repository (each a fresh process with an empty mirror);
a second render after one manifest changed rewrites only that application's files.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.ingest import SYSTEMS, git, make_repository, settings_for, write_config

RATIO_TARGET = 2.0
SUMMARY = re.compile(r"(\d+) file\(s\) written, (\d+) unchanged, (\d+) removed")


def timed(*args: str) -> tuple[float, str]:
    """Seconds for ``catalog-service ARGS`` from start to exit; its standard error."""
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "catalog_service", *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        check=True,
    )
    return time.perf_counter() - started, result.stderr


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--manifests", type=int, default=10_000)
    args = parser.parse_args()

    root = Path(tempfile.mkdtemp(prefix="catalog-bench-render-"))
    try:
        started = time.perf_counter()
        repo = make_repository(root, args.manifests)
        print(f"generated {args.manifests:,} manifests in {time.perf_counter() - started:.1f} s")
        export_config = write_config(settings_for(repo, root / "mirror-export"), root / "e.yaml")
        render_config = write_config(settings_for(repo, root / "mirror-render"), root / "r.yaml")
        out = root / "rendered"

        export, _ = timed("export", "--config", str(export_config))
        render, log = timed("render", "--config", str(render_config), "--out", str(out))
        written = SUMMARY.search(log)
        assert written is not None, log
        files = sum(1 for path in out.rglob("*.yaml"))
        ratio = render / export
        print(f"cold export (process, clone + ingest + YAML):  {export:8.2f} s")
        print(f"cold render (process, clone + render + write): {render:8.2f} s   {files:,} files")
        print(
            f"cold render / cold export:                     {ratio:8.2f} x   target < "
            f"{RATIO_TARGET} x  {'OK' if ratio < RATIO_TARGET else 'MISSED'}"
        )

        index = args.manifests // 2
        path = repo / "apps" / f"system-{index % SYSTEMS:03d}" / f"app-{index:05d}.yaml"
        path.write_text(path.read_text().replace("replicas: 3", "replicas: 5"))
        git(repo, "-c", "user.name=b", "-c", "user.email=b@e", "commit", "-qam", "bump")
        again, log = timed("render", "--config", str(render_config), "--out", str(out))
        counts = SUMMARY.search(log)
        assert counts is not None, log
        changed = int(counts[1])
        # replicas is prod's only: that application's two prod files change, nothing else.
        print(
            f"render after one manifest changed:             {again:8.2f} s   {changed} file(s)"
            f" written, {counts[2]} unchanged, {counts[3]} removed   target: 2 (its prod files)"
            f"  {'OK' if changed == 2 else 'MISSED'}"
        )
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
