"""Without ``CATALOG_TEST_POSTGRES_URL`` the PostgreSQL variants skip and say how to enable
them; in CI (``CI`` set) they fail, so CI never passes without having run them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.db.support import POSTGRES_URL_ENV

ROOT = Path(__file__).resolve().parents[2]
POSTGRES_VARIANT = "tests/db/test_state.py::test_put_get_replace_delete[postgresql]"


def run_postgres_variant(ci: bool) -> subprocess.CompletedProcess[str]:
    env = {
        name: value for name, value in os.environ.items() if name not in {"CI", POSTGRES_URL_ENV}
    }
    if ci:
        env["CI"] = "true"
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rs", POSTGRES_VARIANT],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def test_without_the_url_postgresql_tests_skip_and_say_how_to_enable_them() -> None:
    result = run_postgres_variant(ci=False)
    assert result.returncode == 0, result.stdout
    assert "1 skipped" in result.stdout
    assert f"export {POSTGRES_URL_ENV}=$(sudo bash scripts/postgres.sh)" in result.stdout


def test_in_ci_without_the_url_postgresql_tests_fail() -> None:
    result = run_postgres_variant(ci=True)
    assert result.returncode == 1, result.stdout
    assert "1 error" in result.stdout
    assert f"{POSTGRES_URL_ENV} is not set in CI" in result.stdout
