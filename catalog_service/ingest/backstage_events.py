"""Tells Backstage that a new snapshot was applied, so its entity provider reads at once.

A listener of the refresher: after each applied ingest it posts ``{"revision", "entities"}`` to
``backstage.eventsUrl`` (Backstage's events HTTP endpoint, topic ``idp.catalog``). Backstage still
reads on its own schedule, so a lost event only delays a change: the post has a short timeout and
never raises.
"""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request

from catalog_service.ingest.ingestor import IngestOutcome
from catalog_service.settings import BackstageSettings

logger = logging.getLogger(__name__)

DEFAULT_TIMEOUT_SECONDS = 2.0


class BackstageNotifier:
    """Posts one event per applied snapshot; ``sent`` counts the ones Backstage accepted."""

    def __init__(self, settings: BackstageSettings, timeout: float = DEFAULT_TIMEOUT_SECONDS):
        self._url = settings.eventsUrl
        self._token = settings.token.get_secret_value() if settings.token else None
        self._timeout = timeout
        self.sent = 0

    def __call__(self, outcome: IngestOutcome) -> None:
        if outcome.status != "applied":
            return  # unchanged or held back: Backstage has nothing new to read
        body = json.dumps({"revision": outcome.revision, "entities": outcome.entities}).encode()
        headers = {"Content-Type": "application/json"}
        if self._token is not None:
            headers["Authorization"] = f"Bearer {self._token}"
        request = urllib.request.Request(self._url, data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=self._timeout) as response:
                response.read()
            self.sent += 1
        except urllib.error.HTTPError as error:
            logger.warning(
                "Backstage refused the catalog event: HTTP %s from %s", error.code, self._url
            )
        except (OSError, ValueError) as error:  # URLError, timeouts, refused connections
            logger.warning("could not send the catalog event to %s: %s", self._url, error)
