"""PostgreSQL away at start, and away for a while later: the catalog is served throughout, writes
answer 503 ``database_unavailable``, ``/readyz`` says why, and all works again once it is back."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import make_url

from catalog_service.http.app import create_app
from catalog_service.service import build_ingestor
from tests.db.support import postgres_database
from tests.http.test_app import AUTH, assert_error
from tests.support.manifests import application_yaml
from tests.support.repos import GitOpsRepo
from tests.support.servers import HangingServer
from tests.support.settings import SettingsFactory
from tests.support.tcp_proxy import TcpProxy

PROMOTE = {
    "application": "payments-api",
    "from": "dev",
    "to": "staging",
    "requestedBy": "user:default/alice",
    "dryRun": True,
}


def add_promotable_application(gitops: GitOpsRepo) -> None:
    manifest = application_yaml("payments-api", version="1.1.0")
    gitops.write("apps/shop/payments-api.yaml", manifest.replace(
        '    prod: {version: "1.1.0"}', '    staging: {version: "1.0.0"}'
    ))  # fmt: skip
    gitops.commit()


@pytest.fixture
def proxied_postgres() -> Iterator[tuple[TcpProxy, str]]:
    """A new PostgreSQL database, reached through a proxy the test cuts; starts down."""
    with postgres_database() as url:
        parsed = make_url(url)
        with TcpProxy(parsed.host or "127.0.0.1", parsed.port or 5432, up=False) as proxy:
            yield proxy, parsed.set(host="127.0.0.1", port=proxy.port).render_as_string(False)


def eventually(what: str, check: Callable[[], bool], within: float = 60) -> None:
    deadline = time.monotonic() + within
    while not check():
        assert time.monotonic() < deadline, f"never: {what}"
        time.sleep(0.1)


def test_a_database_away_at_start_is_waited_for_and_said_so(
    proxied_postgres: tuple[TcpProxy, str], gitops: GitOpsRepo, make_settings: SettingsFactory
) -> None:
    proxy, url = proxied_postgres
    add_promotable_application(gitops)
    settings = make_settings(database={"url": url})
    ingestor = build_ingestor(settings)
    with TestClient(create_app(settings, ingestor, poll=False)) as client:  # starts all the same
        client.post("/api/v1/refresh", headers=AUTH)
        ready = client.get("/readyz")
        assert ready.status_code == 200, "the catalog needs no database"
        database = ready.json()["database"]
        assert database["migrated"] is False and database["error"], database
        assert client.get("/api/v1/entities").status_code == 200
        message = assert_error(client.get("/api/v1/audit"), 503, "database_unavailable")
        assert "not ready yet" in message
        assert_error(
            client.post("/api/v1/actions/promote-image", json=PROMOTE, headers=AUTH),
            503,
            "database_unavailable",
        )
        proxy.up = True  # PostgreSQL is back: migrated by the retries, without a restart
        eventually("migrated", lambda: client.get("/readyz").json()["database"]["migrated"])
        assert client.get("/readyz").json()["database"]["error"] is None
        assert client.get("/api/v1/audit").status_code == 200
        answer = client.post("/api/v1/actions/promote-image", json=PROMOTE, headers=AUTH)
        assert answer.status_code == 200, answer.text


def test_a_database_outage_keeps_reads_up_and_ends_without_a_restart(
    proxied_postgres: tuple[TcpProxy, str], gitops: GitOpsRepo, make_settings: SettingsFactory
) -> None:
    proxy, url = proxied_postgres
    proxy.up = True
    add_promotable_application(gitops)
    settings = make_settings(database={"url": url})
    with TestClient(create_app(settings, build_ingestor(settings), poll=False)) as client:
        client.post("/api/v1/refresh", headers=AUTH)
        assert client.post("/api/v1/actions/promote-image", json=PROMOTE, headers=AUTH).is_success
        proxy.down()  # PostgreSQL stops
        for _ in range(3):
            assert client.get("/api/v1/entities").status_code == 200
            assert client.get("/api/v1/problems").status_code == 200
            assert client.get("/healthz").status_code == 200
            assert_error(client.get("/api/v1/audit"), 503, "database_unavailable")
        ready = client.get("/readyz")
        assert ready.status_code == 200 and ready.json()["database"]["failingSince"] is not None
        proxy.up = True  # and starts again
        eventually("audit readable", lambda: client.get("/api/v1/audit").status_code == 200)
        rows = client.get("/api/v1/audit").json()["items"]
        assert [row["action"] for row in rows] == ["promote-image"], "nothing recorded was lost"
        assert client.get("/readyz").json()["database"]["error"] is None


def test_a_database_host_that_never_answers_does_not_hold_the_start(
    hanging_server: HangingServer, gitops: GitOpsRepo, make_settings: SettingsFactory
) -> None:
    # A firewall that drops the packets, a port that accepts and says nothing: the start waited
    # for its migrations forever, so the service never listened (and its pods crash-looped).
    add_promotable_application(gitops)
    port = hanging_server.sock.getsockname()[1]
    url = f"postgresql+psycopg://catalog:secret@127.0.0.1:{port}/catalog"
    settings = make_settings(database={"url": url})
    ingestor = build_ingestor(settings)
    started = time.monotonic()
    with TestClient(create_app(settings, ingestor, poll=False)) as client:
        assert time.monotonic() - started < 20
        client.post("/api/v1/refresh", headers=AUTH)
        assert client.get("/readyz").json()["database"]["migrated"] is False
        assert client.get("/api/v1/entities").status_code == 200
        assert "timeout" in assert_error(client.get("/api/v1/audit"), 503, "database_unavailable")
