"""The metrics benchmark keeps working (its figures are read by people, not asserted here)."""

from __future__ import annotations

import subprocess
import sys

from tests.support.settings import ROOT


def test_the_metrics_benchmark_runs_on_a_small_repository() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bench.metrics", "--manifests", "150", "--scrapes", "2"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    for figure in ("first scrape after the ingest", "later scrapes", "reading the database"):
        assert figure in result.stdout, result.stdout
    assert "150 manifests: 600 entities" in result.stdout
