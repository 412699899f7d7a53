"""Once-only jobs across replicas: PostgreSQL advisory leases, and SQLite's one-replica claim."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from catalog_service.db.leases import (
    AdvisoryLeases,
    SingleReplicaLeases,
    job_leases,
    lock_key,
    sqlite_claim,
)
from catalog_service.errors import DatabaseError
from tests.db.support import postgres_database

JOB = "adoption-history"


@pytest.fixture
def postgres_url() -> Iterator[str]:
    with postgres_database() as url:
        yield url


def holder_process(url: str, job: str) -> subprocess.Popen[str]:
    """Another replica: a process that takes ``job``'s lease, says so, then sleeps."""
    code = textwrap.dedent(
        f"""
        import sys, time
        from catalog_service.db.leases import AdvisoryLeases
        leases = AdvisoryLeases({url!r})
        print("held" if leases.hold({job!r}) else "refused", flush=True)
        time.sleep(600)
        """
    )
    return subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)


def test_one_replica_at_a_time_holds_a_job_and_keeps_it(postgres_url: str) -> None:
    first, second = AdvisoryLeases(postgres_url), AdvisoryLeases(postgres_url)
    try:
        assert first.hold(JOB)
        assert not second.hold(JOB), "the job is the first replica's"
        assert first.hold(JOB), "held again, not re-taken"
        assert second.hold("pull-request-reconcile"), "another job is free"
        first.close()  # a replica that stops
        assert second.hold(JOB), "handed over once the holder let go"
    finally:
        first.close()
        second.close()


def test_a_killed_holder_hands_its_job_over(postgres_url: str) -> None:
    holder = holder_process(postgres_url, JOB)
    leases = AdvisoryLeases(postgres_url)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        assert not leases.hold(JOB)
        os.kill(holder.pid, signal.SIGKILL)  # no chance to let go
        holder.wait(timeout=10)
        deadline = time.monotonic() + 30
        while not leases.hold(JOB):
            assert time.monotonic() < deadline, "the lease of a killed replica was never freed"
            time.sleep(0.2)
    finally:
        holder.kill()
        holder.wait(timeout=10)
        leases.close()


def test_an_unreachable_database_holds_no_job() -> None:
    leases = AdvisoryLeases("postgresql+psycopg://catalog:secret@127.0.0.1:9/nowhere")
    try:
        assert not leases.hold(JOB)
    finally:
        leases.close()


def test_sqlite_has_one_replica_whose_jobs_are_all_its_own(tmp_path: Path) -> None:
    leases = job_leases(f"sqlite:///{tmp_path / 'catalog.db'}")
    assert isinstance(leases, SingleReplicaLeases) and leases.hold(JOB)


def test_lock_keys_are_stable_signed_64_bit_numbers() -> None:
    assert lock_key(JOB) == lock_key(JOB) != lock_key("pull-request-reconcile")
    assert -(2**63) <= lock_key(JOB) < 2**63


def claim_in_another_process(url: str) -> subprocess.Popen[str]:
    code = textwrap.dedent(
        f"""
        import time
        from catalog_service.db.leases import sqlite_claim
        sqlite_claim({url!r}).acquire()
        print("claimed", flush=True)
        time.sleep(600)
        """
    )
    return subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)


def test_a_second_service_on_one_sqlite_file_is_refused_naming_the_first(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'catalog.db'}"
    other = claim_in_another_process(url)
    try:
        assert other.stdout is not None and other.stdout.readline().strip() == "claimed"
        claim = sqlite_claim(url)
        assert claim is not None
        with pytest.raises(DatabaseError) as refused:
            claim.acquire()
        message = refused.value.message
        assert f"pid {other.pid}" in message and "catalog.db" in message
        assert "postgresql+psycopg://" in message, "says what to use for several replicas"
        other.kill()
        other.wait(timeout=10)
        claim.acquire()  # the kernel freed the lock with the process
        claim.release()
    finally:
        other.kill()
        other.wait(timeout=10)


def test_one_process_may_claim_a_file_twice(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'catalog.db'}"
    first, second = sqlite_claim(url), sqlite_claim(url)
    assert first is not None and second is not None
    first.acquire()
    second.acquire()
    first.release()
    other = claim_in_another_process(url)
    try:
        assert other.wait(timeout=60) != 0, "still claimed by this process after one release"
        assert other.stdout is not None and other.stdout.read() == ""
    finally:
        other.kill()
        other.wait(timeout=10)
        second.release()


def test_postgresql_needs_no_file_claim() -> None:
    assert sqlite_claim("postgresql+psycopg://u:p@127.0.0.1:5432/catalog") is None


def test_the_database_probes_a_holder_that_vanished(postgres_url: str) -> None:
    # A holder whose node died (no FIN) kept its lease for PostgreSQL's default 2 idle hours:
    # the server end of a lease's connection probes it like the client end.
    leases = AdvisoryLeases(postgres_url)
    try:
        assert leases.hold(JOB)
        connection = leases._held[JOB]
        settings = {
            name: connection.scalar(text(f"SHOW {name}"))
            for name in ("tcp_keepalives_idle", "tcp_keepalives_interval", "tcp_keepalives_count")
        }
        assert settings == {
            "tcp_keepalives_idle": "20",
            "tcp_keepalives_interval": "5",
            "tcp_keepalives_count": "4",
        }
    finally:
        leases.close()
