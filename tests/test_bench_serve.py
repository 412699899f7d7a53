"""The serving benchmark keeps working (its figures are read by people, not asserted here)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_serving_benchmark_runs_on_a_small_repository() -> None:
    arguments = ["--manifests", "60", "--readers", "4", "--validate-kb", "16"]
    result = subprocess.run(
        [sys.executable, "-m", "bench.serve", *arguments],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    for figure in (
        "start to /readyz 200",
        "ready to first full entities",
        "gzip ratio /api/v1/entities ",
        "gzip ratio /api/v1/entities.yaml",
        "peak RSS, 4 slow full readers",
        "worst /healthz, 2 alias-heavy validates",
    ):
        assert figure in result.stdout, result.stdout
    assert "240 entities" in result.stdout  # 60 applications, 2 resources each, 60 systems
    assert "validate answers: 200 in" in result.stdout
