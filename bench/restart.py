"""How fast does a replica come back? Restart to ready beside one ingest, measured in one run.

    python -m bench.restart [--manifests 10000] [--rounds 3]

Target (issue 14): with its mirror in place, a restarted ``catalog-service serve`` answers
``/readyz`` 200 within 1.5x the time of one ingest of the same repository, that ingest measured
as a whole ``catalog-service export`` process on the same mirror (imports and all).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from statistics import median

from bench.ingest import make_repository, settings_for, write_config
from bench.servers import service_process

RATIO_TARGET = 1.5


def export_seconds(config: Path) -> float:
    """``catalog-service export`` start to exit, entities to /dev/null."""
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "catalog_service", "export", "--config", str(config)],
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "CATALOG_LOG_LEVEL": "WARNING"},
    )
    return time.perf_counter() - started


def restart_seconds(config: Path) -> float:
    """``catalog-service serve`` start to ``/readyz`` 200, then stopped."""
    with service_process(config, ready_within=600) as (_, _, ready_after):
        return ready_after


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--manifests", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3, help="exports and restarts, alternated")
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="catalog-bench-restart-"))
    try:
        repo = make_repository(root, args.manifests)
        settings = settings_for(repo, root / "cache")
        database = settings.database.model_copy(update={"url": f"sqlite:///{root / 'db.sqlite'}"})
        settings = settings.model_copy(update={"database": database})
        config = write_config(settings, root / "config.yaml")
        restart_seconds(config)  # the first start clones the mirror and migrates: not a restart
        exports, restarts = [], []
        for _ in range(args.rounds):
            exports.append(export_seconds(config))
            restarts.append(restart_seconds(config))
        export, restart = median(exports), median(restarts)
        ratio = restart / export
        print(f"{args.manifests:,} manifests, mirror in place, median of {args.rounds}")
        print(f"one ingest (catalog-service export):  {export:8.2f} s")
        print(f"restart to /readyz 200:               {restart:8.2f} s")
        verdict = "OK" if ratio <= RATIO_TARGET else "MISSED"
        print(f"restart / ingest:                     {ratio:8.2f} x   target <= {RATIO_TARGET} x"
              f"  {verdict}")  # fmt: skip
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
