"""How fast does the command line start? Medians of whole processes, measured in one run.

    python -m bench.startup [--runs 7]

Beside the bare ``python -c "import yaml"`` (the interpreter and the one library every command
needs): ``catalog-service --help`` loads no web, database or GitHub library, ``validate FILE``
only the domain (issue 13). Targets (ours; the issue asks for the figures): ``--help`` at most
1.5x the bare import (it loads the standard library's argparse and logging, nothing else),
``validate`` of one file at most 5x (pydantic and the manifest model are most of it).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from statistics import median

HELP_TARGET = 1.5
VALIDATE_TARGET = 5.0

MANIFEST = """\
apiVersion: idp/v1alpha1
kind: Application
metadata: {name: payments-api, system: payments, owner: team-payments}
spec:
  type: service
  source: {repository: acme/payments-api}
  image: 123456789012.dkr.ecr.eu-west-1.amazonaws.com/payments-api
  environments: {dev: {version: "1.4.2"}}
"""


def command_line() -> list[str]:
    """The installed ``catalog-service`` script beside this interpreter, or the module."""
    script = Path(sys.executable).parent / "catalog-service"
    return [str(script)] if script.exists() else [sys.executable, "-m", "catalog_service"]


def installed_environment() -> dict[str, str]:
    """The environment without PYTHONDONTWRITEBYTECODE: an installed package has its byte code,
    so the first, unmeasured run writes it, as an installation would have."""
    return {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def timed(argv: Sequence[str], runs: int, cwd: Path) -> float:
    """The median wall time of ``runs`` processes, after one unmeasured run (byte code, cache)."""
    times = []
    for attempt in range(runs + 1):
        started = time.perf_counter()
        done = subprocess.run(argv, cwd=cwd, capture_output=True, env=installed_environment())
        elapsed = time.perf_counter() - started
        assert done.returncode == 0, done.stderr.decode()
        if attempt:
            times.append(elapsed)
    return median(times)


def verdict(ratio: float, target: float) -> str:
    return f"target <= {target} x  {'OK' if ratio <= target else 'MISSED'}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    cli = command_line()
    with tempfile.TemporaryDirectory(prefix="catalog-startup-") as folder:
        cwd = Path(folder)
        (cwd / "payments-api.yaml").write_text(MANIFEST, encoding="utf-8")
        floor = timed([sys.executable, "-c", "import yaml"], args.runs, cwd)
        helped = timed([*cli, "--help"], args.runs, cwd)
        validated = timed([*cli, "validate", "payments-api.yaml"], args.runs, cwd)
    print(f'python -c "import yaml":              {floor * 1000:7.0f} ms')
    print(
        f"catalog-service --help:               {helped * 1000:7.0f} ms"
        f"   {helped / floor:5.2f} x   {verdict(helped / floor, HELP_TARGET)}"
    )
    print(
        f"catalog-service validate (one file):  {validated * 1000:7.0f} ms"
        f"   {validated / floor:5.2f} x   {verdict(validated / floor, VALIDATE_TARGET)}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
