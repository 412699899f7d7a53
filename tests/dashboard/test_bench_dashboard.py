"""The dashboard benchmark keeps working (its figures are read by people, not asserted here)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_dashboard_benchmark_runs_on_a_small_repository() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bench.dashboard", "--manifests", "150", "--requests", "2"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    assert "150 manifests: 600 entities, ingested" in result.stdout, result.stdout
    for period in ("30d", "90d", "1y "):
        assert f"GET /dashboard?period={period}: first" in result.stdout, result.stdout
    assert result.stdout.count("(target 200 ms") == 3
