"""The benchmark keeps working (its figures are read by people, not asserted here)."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run_bench(module: str, *args: str) -> str:
    """``python -m bench.<module> ARGS`` on a small input; its standard output. It runs in an
    empty folder and must leave it empty: a bench writes only into its own temporary folders
    (a relative ``catalog.db`` would land in whoever's checkout runs it)."""
    with tempfile.TemporaryDirectory(prefix="bench-cwd-") as cwd:
        result = subprocess.run(
            [sys.executable, "-m", f"bench.{module}", *args],
            cwd=cwd,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            capture_output=True,
            text=True,
            timeout=300,
            check=True,
        )
        left = sorted(path.name for path in Path(cwd).iterdir())
        assert left == [], f"bench.{module} wrote {left} into its working directory"
    return result.stdout


def test_the_ingest_benchmark_runs_on_a_small_repository() -> None:
    stdout = run_bench("ingest", "--manifests", "150", "--refreshes", "2")
    for figure in (
        "CSafeLoader floor",
        "cold ingest / floor",
        "export process / floor process",
        "one-file refresh",
        "render after a one-file refresh",
        "service RSS",
    ):
        assert figure in stdout, stdout
    # 150 applications with 2 resources each, in 150 systems
    assert "600 entities" in stdout


def test_the_startup_benchmark_runs() -> None:
    stdout = run_bench("startup", "--runs", "1")
    for figure in ('python -c "import yaml"', "catalog-service --help", "catalog-service validate"):
        assert figure in stdout, stdout
    assert stdout.count("target <=") == 2, stdout


def test_the_review_benchmark_runs_on_a_small_catalog() -> None:
    stdout = run_bench("review", "--manifests", "150", "--repeats", "1")
    for figure in ("assemble alone", "version bump", "deleted manifest", "check_text without"):
        assert figure in stdout, stdout
    assert "600 entities" in stdout  # 150 applications, 2 resources each, 150 systems


def test_the_edits_benchmark_runs_on_a_small_repository() -> None:
    stdout = run_bench("edits", "--manifests", "50", "--runs", "1")
    for figure in (
        "dry-run promotion, typical manifest",
        "applications in one",
        "real promotion, branch pushed to a local bare remote",
        "20 concurrent writes of different branches",
    ):
        assert figure in stdout, stdout


def test_the_actions_benchmark_runs_on_a_small_repository() -> None:
    stdout = run_bench("actions", "--manifests", "120", "--runs", "2")
    for figure in ("dry-run promotion", "real promotion", "20 concurrent promotions"):
        assert figure in stdout, stdout


def test_the_restart_action_benchmark_runs_on_a_small_repository() -> None:
    stdout = run_bench("restart_action", "--manifests", "60", "--runs", "2")
    for figure in (
        "restart-application end to end",
        "20 concurrent restarts",
        "cache warm",
        "past the cache",
        "never asked before",
    ):
        assert figure in stdout, stdout


def test_the_webhooks_benchmark_runs_on_a_small_repository() -> None:
    stdout = run_bench("webhooks", "--manifests", "100", "--pulls", "10", "--rounds", "1")
    for figure in (
        "push answered",
        "visible in /api/v1/entities",
        "decoded by the client",
        "100 pushes",
        "backfill",
    ):
        assert figure in stdout, stdout
    assert "(10 recorded;" in stdout


def test_the_metrics_benchmark_runs_on_a_small_repository() -> None:
    stdout = run_bench("metrics", "--manifests", "150", "--rounds", "2", "--scrapes", "2")
    for figure in (
        "target: every scrape < 50 ms",
        "GET /metrics: first after an ingest: max",
        "later: median",
        "worst / target",
        "preparing a snapshot's figures",
        "scrapes reading the database",
    ):
        assert figure in stdout, stdout
    assert "150 manifests: 600 entities" in stdout


def test_the_dashboard_benchmark_runs_on_a_small_repository() -> None:
    stdout = run_bench("dashboard", "--manifests", "150", "--rounds", "1", "--requests", "2")
    assert "150 manifests: 600 entities, ingested" in stdout, stdout
    assert "target: every page < 200 ms" in stdout, stdout
    for period in ("30d", "90d", "1y "):
        assert f"GET /dashboard?period={period} (" in stdout, stdout
    assert stdout.count("first after an ingest: max") == 3, stdout


def test_the_pull_request_check_benchmark_runs_on_a_small_repository() -> None:
    stdout = run_bench("pr_check", "--manifests", "60", "--pulls", "1")
    assert "one-manifest pull request checked and posted" in stdout, stdout


def test_the_serving_benchmark_runs_on_a_small_repository() -> None:
    stdout = run_bench("serve", "--manifests", "60", "--readers", "4", "--validate-kb", "16")
    for figure in (
        "start to /readyz 200",
        "ready to first full entities",
        "gzip ratio /api/v1/entities ",
        "gzip ratio /api/v1/entities.yaml",
        "peak RSS, 4 slow full readers",
        "worst /healthz, 2 alias-heavy validates",
    ):
        assert figure in stdout, stdout
    assert "240 entities" in stdout  # 60 applications, 2 resources each, 60 systems
    assert "validate answers: 200 in" in stdout


def test_the_adoption_benchmark_runs_on_a_small_repository() -> None:
    stdout = run_bench("adoption", "--manifests", "300", "--commits", "60", "--new-commits", "2")
    assert "first walk (61 commits, 21 days)" in stdout, stdout
    assert "a new commit adds its day (median of 2)" in stdout, stdout


def test_the_traffic_benchmark_runs_with_a_few_stuck_actions() -> None:
    stdout = run_bench("traffic", "--actions", "10", "--reads", "5")
    for figure in ("actions waiting", "/readyz, slowest", "/api/v1/entities, slowest"):
        assert figure in stdout, stdout


def test_the_render_benchmark_runs_on_a_small_repository() -> None:
    stdout = run_bench("render", "--manifests", "60")
    for figure in ("cold export", "cold render / cold export", "render after one manifest changed"):
        assert figure in stdout, stdout
    assert "360 files" in stdout  # 60 applications x 3 environments x 2 files
    assert "2 file(s) written, 358 unchanged, 0 removed" in stdout


def test_the_backstage_frontend_benchmark_runs_on_a_small_catalog() -> None:
    stdout = run_bench(
        "backstage_frontend", "--manifests", "50", "--audit-rows", "500", "--views", "2"
    )
    for figure in (
        "card: 2 requests per entity page view",
        "card, application with many entries",
        "card, application with none",
        "/idp first screen (3 requests at once)",
        "plugin bundle (plugins/idp/dist)",
    ):
        assert figure in stdout, stdout


def test_the_janitor_benchmark_runs_on_a_small_catalog() -> None:
    stdout = run_bench("janitor", "--applications", "300", "--copies", "20")
    for figure in ("expired copies found", "expiry warnings", "janitor pass, steady state"):
        assert figure in stdout, stdout
    assert "target < 1 s over 10,000 applications with 500 copies" in stdout
