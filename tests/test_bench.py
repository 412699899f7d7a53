"""The benchmark keeps working (its figures are read by people, not asserted here)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_ingest_benchmark_runs_on_a_small_repository() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bench.ingest", "--manifests", "150", "--refreshes", "2"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    for figure in (
        "CSafeLoader floor",
        "cold ingest / floor",
        "one-file refresh",
        "service RSS",
    ):
        assert figure in result.stdout, result.stdout
    # 150 applications with 2 resources each, in 150 systems
    assert "600 entities" in result.stdout


def test_the_review_benchmark_runs_on_a_small_catalog() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bench.review", "--manifests", "150", "--repeats", "1"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    for figure in ("assemble alone", "version bump", "deleted manifest", "check_text without"):
        assert figure in result.stdout, result.stdout
    assert "600 entities" in result.stdout  # 150 applications, 2 resources each, 150 systems


def test_the_edits_benchmark_runs_on_a_small_repository() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bench.edits", "--manifests", "50", "--runs", "1"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    for figure in (
        "dry-run promotion, typical manifest",
        "applications in one",
        "real promotion, branch pushed to a local bare remote",
        "20 concurrent writes of different branches",
    ):
        assert figure in result.stdout, result.stdout


def test_the_actions_benchmark_runs_on_a_small_repository() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bench.actions", "--manifests", "120", "--runs", "2"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    for figure in ("dry-run promotion", "real promotion", "20 concurrent promotions"):
        assert figure in result.stdout, result.stdout


def test_the_webhooks_benchmark_runs_on_a_small_repository() -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.webhooks",
            *("--manifests", "100", "--pulls", "10", "--rounds", "1"),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    for figure in ("push answered", "visible in /api/v1/entities", "100 pushes", "backfill"):
        assert figure in result.stdout, result.stdout
    assert "(10 recorded;" in result.stdout
