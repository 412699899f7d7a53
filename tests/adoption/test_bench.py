"""The adoption benchmark keeps working (its figures are read by people, not asserted here)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_adoption_benchmark_runs_on_a_small_repository() -> None:
    result = subprocess.run(
        [
            *(sys.executable, "-m", "bench.adoption"),
            *("--manifests", "300", "--commits", "60", "--new-commits", "2"),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    assert "first walk (61 commits, 21 days)" in result.stdout, result.stdout
    assert "a new commit adds its day (median of 2)" in result.stdout, result.stdout
