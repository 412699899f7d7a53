"""Pull-request checks waiting out GitHub's rate limit (``retry-after: 20``) hold only their own
pool: a ping is answered, a refresh runs, and the next delivery is stored meanwhile."""

from __future__ import annotations

import threading
import time

from catalog_service.db import webhook_deliveries
from tests.github.support import Waits, make_client
from tests.pull_requests.support import base_catalog
from tests.support.github_double import GitHubDouble
from tests.support.github_fixtures import DOUBLE_TOKEN
from tests.support.repos import GitOpsRepo
from tests.support.settings import TEST_TOKEN, SettingsFactory
from tests.webhooks.support import deliver, eventually, payload, running, webhook_settings

PULLS = 12  # more than Python's default thread pool has threads on a 2-core machine
PROMPT = 5.0  # seconds; the checks wait 20 s each


class Stalled(Waits):
    """The client's sleep, really waiting (until released at the end of the test)."""

    def __init__(self) -> None:
        super().__init__()
        self.released = threading.Event()

    def __call__(self, seconds: float) -> None:
        self.append(seconds)
        self.released.wait(seconds)


def opened(number: int, sha: str) -> dict[str, object]:
    data = payload("pull_request_opened", number=number)
    data["pull_request"]["number"] = number
    data["pull_request"]["head"]["sha"] = sha
    return data


def test_rate_limited_checks_delay_no_other_work(
    gitops: GitOpsRepo,
    make_settings: SettingsFactory,
    database_url: str,
    github_double: GitHubDouble,
) -> None:
    base_catalog(gitops)
    gitops.repo.git.checkout("-b", "feature")
    gitops.add_application("orders-api", system="payments")
    sha = gitops.commit("Add orders-api", push=False)
    for number in range(1, PULLS + 1):
        gitops.repo.git.push("origin", f"{sha}:refs/pull/{number}/head")
    github_double.rate_limit("POST", "/repos/{owner}/{repo}/check-runs", retry_after=20, times=99)
    github_double.rate_limit("POST", "/repos/{owner}/{repo}/statuses/{sha}", retry_after=20,
                             times=99)  # fmt: skip
    sleep = Stalled()
    settings = webhook_settings(
        make_settings, database_url, github={"token": DOUBLE_TOKEN, "apiUrl": github_double.api_url}
    )
    auth = {"Authorization": f"Bearer {TEST_TOKEN}"}
    try:
        with running(settings, github=make_client(github_double, sleep)) as (client, services):
            assert client.post("/api/v1/refresh", headers=auth).status_code == 200
            for number in range(1, PULLS + 1):
                assert deliver(client, "pull_request", opened(number, sha)).status_code == 202
            eventually(lambda: len(sleep) >= 2)  # the checks wait out the limit

            started = time.monotonic()
            assert deliver(client, "ping", payload("ping")).status_code == 200
            assert time.monotonic() - started < PROMPT
            started = time.monotonic()
            assert client.post("/api/v1/refresh", headers=auth).status_code == 200
            assert time.monotonic() - started < PROMPT
            assert len(sleep) < PULLS  # the checks wait in their own pool, a few at once
            with services.database.session() as session:
                assert webhook_deliveries.pending(session) == PULLS  # none lost meanwhile
            sleep.released.set()
    finally:
        sleep.released.set()
