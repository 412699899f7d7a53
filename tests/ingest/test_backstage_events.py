"""The Backstage event after each applied snapshot: posted to a real local HTTP server."""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from catalog_service.errors import ConfigurationError
from catalog_service.ingest.backstage_events import BackstageNotifier
from catalog_service.ingest.ingestor import IngestOutcome
from catalog_service.service import build_services
from catalog_service.settings import BackstageSettings
from tests.support.repos import GitOpsRepo
from tests.support.servers import HangingServer, free_port
from tests.support.settings import SettingsFactory

EVENT_TOKEN = "backstage-events-token-0123456789"


class EventsServer:
    """Answers every POST with ``status`` and keeps what it received."""

    def __init__(self, status: int = 202) -> None:
        self.status = status
        self.received: list[tuple[str, dict[str, str], Any]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = json.loads(self.rfile.read(length))
                outer.received.append((self.path, dict(self.headers.items()), body))
                self.send_response(outer.status)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b'{"status":"accepted"}')

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/api/events/http/idp.catalog"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)


@pytest.fixture
def events_server() -> Iterator[EventsServer]:
    server = EventsServer()
    server.thread.start()
    yield server
    server.server.shutdown()
    server.server.server_close()


def outcome(status: str = "applied") -> IngestOutcome:
    return IngestOutcome(status, "abc123", 7, 0, 1, 0.01)  # type: ignore[arg-type]


def test_an_applied_snapshot_is_posted_with_the_token(events_server: EventsServer) -> None:
    notifier = BackstageNotifier(BackstageSettings(eventsUrl=events_server.url, token=EVENT_TOKEN))
    notifier(outcome())
    [(path, headers, body)] = events_server.received
    assert path == "/api/events/http/idp.catalog"
    assert headers["Authorization"] == f"Bearer {EVENT_TOKEN}"
    assert headers["Content-Type"] == "application/json"
    assert body == {"revision": "abc123", "entities": 7}
    assert notifier.sent == 1


def test_nothing_is_posted_when_nothing_was_applied(events_server: EventsServer) -> None:
    notifier = BackstageNotifier(BackstageSettings(eventsUrl=events_server.url))
    notifier(outcome("unchanged"))
    notifier(outcome("held-back"))
    assert events_server.received == []


def test_a_refusal_is_logged_not_raised(
    events_server: EventsServer, caplog: pytest.LogCaptureFixture
) -> None:
    events_server.status = 401
    notifier = BackstageNotifier(BackstageSettings(eventsUrl=events_server.url))
    with caplog.at_level(logging.WARNING):
        notifier(outcome())
    assert "HTTP 401" in caplog.text
    assert notifier.sent == 0
    assert EVENT_TOKEN not in caplog.text


def test_an_unreachable_backstage_is_logged_not_raised(caplog: pytest.LogCaptureFixture) -> None:
    url = f"http://127.0.0.1:{free_port()}/api/events/http/idp.catalog"
    notifier = BackstageNotifier(BackstageSettings(eventsUrl=url))
    with caplog.at_level(logging.WARNING):
        notifier(outcome())
    assert "could not send the catalog event" in caplog.text


def test_a_hanging_backstage_times_out(
    hanging_server: HangingServer, caplog: pytest.LogCaptureFixture
) -> None:
    notifier = BackstageNotifier(BackstageSettings(eventsUrl=hanging_server.url), timeout=0.2)
    with caplog.at_level(logging.WARNING):
        notifier(outcome())
    assert "could not send the catalog event" in caplog.text
    assert notifier.sent == 0


def test_the_settings_refuse_a_short_token_and_a_non_http_url(
    make_settings: SettingsFactory,
) -> None:
    with pytest.raises(ConfigurationError, match=r"backstage\.token: .*at least 16"):
        make_settings(backstage={"eventsUrl": "http://backstage:7007/x", "token": "short"})
    with pytest.raises(ConfigurationError, match=r"backstage\.eventsUrl"):
        make_settings(backstage={"eventsUrl": "backstage:7007/x"})
    assert make_settings().backstage is None


def test_the_service_posts_after_each_applied_ingest(
    gitops: GitOpsRepo, make_settings: SettingsFactory, events_server: EventsServer
) -> None:
    gitops.add_application("payments-api")
    gitops.commit()
    settings = make_settings(backstage={"eventsUrl": events_server.url, "token": EVENT_TOKEN})
    services = build_services(settings)
    try:
        first = asyncio.run(services.refresher.refresh())
        asyncio.run(services.refresher.refresh())  # nothing new: no event
        gitops.add_application("ledger-api")
        gitops.commit()
        second = asyncio.run(services.refresher.refresh())
    finally:
        services.close()
    bodies = [body for _, _, body in events_server.received]
    assert bodies == [
        {"revision": first.revision, "entities": first.entities},
        {"revision": second.revision, "entities": second.entities},
    ]
    assert second.entities > first.entities
