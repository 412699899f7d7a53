"""Two real service processes on one PostgreSQL (docs/operations.md, "Several replicas"): each
record once, whichever replica receives it, and the figures from the database the same on both."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from pathlib import Path

import httpx
import pytest

from tests.db.support import postgres_database
from tests.support.github_double import GitHubDouble
from tests.support.github_fixtures import DOUBLE_TOKEN
from tests.support.manifests import application_yaml
from tests.support.repos import GitOpsRepo
from tests.support.servers import free_port
from tests.support.settings import TEST_TOKEN, SettingsFactory
from tests.webhooks.support import REPO, SECRET, WEB_URL, headers, merged_payload

AUTH = {"Authorization": f"Bearer {TEST_TOKEN}"}


@contextmanager
def replica(config: Path, log: Path) -> Iterator[str]:
    """``catalog-service serve`` on a free port until the block ends; yields its base URL."""
    with replica_process(config, log) as (base, _):
        yield base


@contextmanager
def replica_process(config: Path, log: Path) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """The same, yielding the process too."""
    port = free_port()
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "catalog_service", "serve", "--config", str(config),
             "--port", str(port)],
            stdout=output, stderr=subprocess.STDOUT, env=os.environ | {"CATALOG_LOG_LEVEL": "INFO"},
        )  # fmt: skip
        base = f"http://127.0.0.1:{port}"
        try:
            eventually(f"{base} ready", lambda: status(f"{base}/readyz") == 200, within=90)
            yield base, process
        finally:
            process.terminate()
            process.wait(timeout=30)


def status(url: str) -> int | None:
    try:
        return httpx.get(url, timeout=10).status_code
    except httpx.TransportError:
        return None


def eventually(what: str, check: Callable[[], bool], within: float = 30) -> None:
    deadline = time.monotonic() + within
    while not check():
        assert time.monotonic() < deadline, f"never: {what}"
        time.sleep(0.1)


@pytest.fixture
def replicas(
    gitops: GitOpsRepo, make_settings: SettingsFactory, github_double: GitHubDouble, tmp_path: Path
) -> Iterator[list[str]]:
    gitops.add_application("web")
    gitops.commit()
    with postgres_database() as url, ExitStack() as stack:
        bases = []
        for number in (1, 2):
            config = make_settings.write(
                tmp_path / f"replica-{number}.yaml",
                source={"webUrl": WEB_URL, "cacheDir": str(tmp_path / f"mirror-{number}")},
                github={"webhookSecret": SECRET, "apiUrl": github_double.api_url,
                        "token": DOUBLE_TOKEN},
                database={"url": url},
                platformTeam=["alice", "bob"],
            )  # fmt: skip
            log = tmp_path / f"replica-{number}.log"
            bases.append(stack.enter_context(replica(config, log)))
        yield bases


def database_figures(base: str) -> list[str]:
    """The /metrics lines whose figures come from the database."""
    text = httpx.get(f"{base}/metrics", timeout=10).text
    names = ("idp_manifest_pull_requests_total", "idp_actions_total")
    return sorted(line for line in text.splitlines() if line.startswith(names))


def test_one_delivery_sent_to_both_replicas_is_recorded_once(
    replicas: list[str], github_double: GitHubDouble
) -> None:
    merged_at = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)
    github_double.add_pull(REPO, 7, author="dana", merged_at=merged_at)
    github_double.add_file(REPO, 7, "apps/shop/web.yaml", "modified")
    body = json.dumps(merged_payload(7)).encode()
    sent = headers("pull_request", body, delivery="72d3162e-cc78-11e3-81ab-4c9367dc0958")
    with ThreadPoolExecutor(4) as pool:  # the same delivery, twice to each, at once
        answers = list(pool.map(
            lambda base: httpx.post(f"{base}/api/v1/webhooks/github", content=body, headers=sent,
                                    timeout=30),
            [*replicas, *replicas],
        ))  # fmt: skip
    assert all(answer.is_success for answer in answers), [a.text for a in answers]

    def recorded(base: str) -> list[int]:
        page = httpx.get(f"{base}/api/v1/pull-requests", timeout=10).json()
        return [item["number"] for item in page["items"]]

    eventually("the pull request recorded", lambda: recorded(replicas[0]) == [7])
    assert recorded(replicas[1]) == [7]
    eventually(
        "the same figures on both",
        lambda: database_figures(replicas[0]) == database_figures(replicas[1]),
    )
    lines = database_figures(replicas[0])
    assert any(
        re.match(r'idp_manifest_pull_requests_total\{autonomous="true"\} 1', x) for x in lines
    )


def test_audit_rows_written_through_either_replica_are_read_alike_on_both(
    replicas: list[str],
) -> None:
    request = {"name": "payments-api", "system": "payments", "owner": "team-payments",
               "type": "service", "requestedBy": "user:default/dana", "dryRun": True}  # fmt: skip
    for turn in range(6):
        base = replicas[turn % 2]
        answer = httpx.post(f"{base}/api/v1/actions/create-application", json=request,
                            headers=AUTH, timeout=30)  # fmt: skip
        assert answer.status_code < 500, answer.text
    pages = [httpx.get(f"{base}/api/v1/audit", timeout=10).json()["items"] for base in replicas]
    assert len(pages[0]) == 6 and pages[0] == pages[1]
    assert database_figures(replicas[0]) == database_figures(replicas[1])


def remote_branches(gitops: GitOpsRepo) -> set[str]:
    assert gitops.remote_dir is not None
    listed = subprocess.run(
        ["git", "for-each-ref", "--format=%(refname:short)", "refs/heads/idp/"],
        cwd=gitops.remote_dir, capture_output=True, text=True, check=True,
    )  # fmt: skip
    return set(listed.stdout.split())


def test_a_replica_killed_in_a_burst_of_actions_leaves_nothing_half_recorded(
    gitops: GitOpsRepo, make_settings: SettingsFactory, github_double: GitHubDouble,
    tmp_path: Path,
) -> None:  # fmt: skip
    names = [f"app-{number:02d}" for number in range(16)]
    for name in names:
        manifest = application_yaml(name, version="2.0.0").replace(
            '    prod: {version: "2.0.0"}', '    staging: {version: "1.0.0"}'
        )
        gitops.write(f"apps/shop/{name}.yaml", manifest)
    gitops.commit()
    with postgres_database() as url:
        config = make_settings.write(
            tmp_path / "replica.yaml",
            source={"webUrl": WEB_URL},
            github={"webhookSecret": SECRET, "apiUrl": github_double.api_url,
                    "token": DOUBLE_TOKEN},
            database={"url": url},
        )  # fmt: skip
        answered: list[httpx.Response] = []
        with replica_process(config, tmp_path / "killed.log") as (base, process):

            def promote(name: str) -> None:
                request = {"application": name, "from": "dev", "to": "staging",
                           "requestedBy": "user:default/dana"}  # fmt: skip
                with contextlib.suppress(httpx.TransportError):
                    answered.append(httpx.post(f"{base}/api/v1/actions/promote-image",
                                               json=request, headers=AUTH, timeout=60))  # fmt: skip

            with ThreadPoolExecutor(16) as pool:
                for name in names:
                    pool.submit(promote, name)
                eventually(
                    "a first answer", lambda: len(answered) > 0 or bool(remote_branches(gitops))
                )
                process.kill()  # kill -9, mid-burst
        config_after = make_settings.write(
            tmp_path / "after.yaml", source={"webUrl": WEB_URL, "cacheDir": str(tmp_path / "m2")},
            database={"url": url},
        )  # fmt: skip
        with replica(config_after, tmp_path / "after.log") as base:
            rows = httpx.get(f"{base}/api/v1/audit?limit=100", timeout=10).json()["items"]
    by_id = {row["id"]: row for row in rows}
    succeeded = [answer.json() for answer in answered if answer.is_success]
    for answer in succeeded:
        assert answer["auditId"] in by_id, f"answered 2xx without its row: {answer}"
        assert by_id[answer["auditId"]]["outcome"] == "succeeded"
    named = {row["branch"] for row in rows if row["branch"]}
    assert remote_branches(gitops) <= named, "a branch on the remote that no audit row names"


def test_two_replicas_push_one_removal_of_an_expired_copy(
    gitops: GitOpsRepo, make_settings: SettingsFactory, github_double: GitHubDouble,
    tmp_path: Path,
) -> None:  # fmt: skip
    """Both janitors look every second; the lease lets one at a time, the hashed branch and
    the audit make the second (and a restart) find the first's work: one branch, one pull
    request, one audit row."""
    expired = application_yaml("web", components=[("db", "postgresql")]).replace(
        '    dev: {version: "1.0.0"}',
        '    dev: {version: "1.0.0", copies: [{component: db, from: prod,'
        ' expiresAt: "2026-01-01T00:00:00Z"}]}',
    )
    gitops.write("apps/shop/web.yaml", expired)
    gitops.add_application("api")
    gitops.commit()
    with postgres_database() as url, ExitStack() as stack:
        bases = []
        for number in (1, 2):
            config = make_settings.write(
                tmp_path / f"janitor-{number}.yaml",
                source={"webUrl": WEB_URL, "cacheDir": str(tmp_path / f"mirror-{number}")},
                github={"apiUrl": github_double.api_url, "token": DOUBLE_TOKEN},
                database={"url": url},
                copies={"checkSeconds": 1},
            )  # fmt: skip
            log = tmp_path / f"janitor-{number}.log"
            bases.append(stack.enter_context(replica(config, log)))

        def removals() -> set[str]:
            return {b for b in remote_branches(gitops) if b.startswith("idp/remove-copy-")}

        eventually("a removal branch", lambda: bool(removals()), within=60)
        time.sleep(4)  # several more passes on both
        assert len(removals()) == 1
        rows = httpx.get(f"{bases[1]}/api/v1/audit?actor=platform:janitor", timeout=10).json()
        assert [row["outcome"] for row in rows["items"]] == ["succeeded"]
        assert rows["items"][0]["branch"] == removals().pop()
        assert len(github_double.pulls[REPO]) == 1
