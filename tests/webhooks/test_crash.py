"""``kill -9`` in a burst of merged-pull-request deliveries: every delivery the service accepted
is recorded once it runs again (its work was stored with it). The service runs as a real
subprocess, on SQLite and on PostgreSQL."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from catalog_service.db import Database, pull_requests
from tests.support.repos import GitOpsRepo
from tests.support.servers import free_port
from tests.support.settings import SettingsFactory
from tests.webhooks.support import (
    SECRET,
    URL,
    WEB_URL,
    eventually,
    headers,
    merged_payload,
)

SERVE = [sys.executable, "-m", "catalog_service", "serve"]
BURST = 400


@contextmanager
def serving(config: Path, port: int, log: Path) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("ab") as output:
        process = subprocess.Popen(
            [*SERVE, "--config", str(config), "--port", str(port)],
            stdout=output,
            stderr=subprocess.STDOUT,
            env=os.environ | {"CATALOG_LOG_LEVEL": "INFO"},
        )
    try:
        eventually(lambda: _ready(port), timeout=60)
        yield process
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=30)


def _ready(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def merged_body(number: int, sha: str) -> bytes:
    data = merged_payload(number)
    data["pull_request"]["merge_commit_sha"] = sha
    return json.dumps(data).encode()


def recorded(database_url: str) -> set[int]:
    database = Database(database_url)
    try:
        with database.session() as session:
            page = pull_requests.list_records(session, limit=500)
            return {record.number for record in page.items}
    finally:
        database.dispose()


def burst(base: str, sha: str, accepted: list[int], stop: threading.Event) -> None:
    with httpx.Client(base_url=base, timeout=10) as client:
        for number in range(1, BURST + 1):
            if stop.is_set():
                return
            body = merged_body(number, sha)
            try:
                answer = client.post(URL, content=body, headers=headers("pull_request", body))
            except httpx.HTTPError:
                return  # killed
            if answer.status_code == 202:
                accepted.append(number)


def test_kill_9_mid_burst_loses_no_accepted_delivery(
    gitops: GitOpsRepo, make_settings: SettingsFactory, database_url: str, tmp_path: Path
) -> None:
    gitops.add_application("web")
    sha = gitops.commit()
    config = make_settings.write(
        source={"webUrl": WEB_URL},
        github={"webhookSecret": SECRET},
        database={"url": database_url},
    )
    port = free_port()
    log = tmp_path / "serve.log"
    accepted: list[int] = []
    stop = threading.Event()
    with serving(config, port, log) as process:
        sender = threading.Thread(
            target=burst, args=(f"http://127.0.0.1:{port}", sha, accepted, stop), daemon=True
        )
        sender.start()
        eventually(lambda: len(accepted) >= BURST // 4, timeout=60)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
        stop.set()
        sender.join(timeout=30)
    lost = set(accepted) - recorded(database_url)
    assert lost, "the kill came after all the work was done: the test proves nothing"
    with serving(config, port, log):
        eventually(lambda: set(accepted) <= recorded(database_url), timeout=60)
    assert set(accepted) <= recorded(database_url), log.read_text()
