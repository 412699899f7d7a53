"""The pull-request check benchmark keeps working (its figures are read by people)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_pull_request_check_benchmark_runs_on_a_small_repository() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bench.pr_check", "--manifests", "60", "--pulls", "1"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    assert "one-manifest pull request checked and posted" in result.stdout, result.stdout
