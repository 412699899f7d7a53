"""Requests timed right after each new snapshot, in the real service: what bench/metrics.py and
bench/dashboard.py share.

The app of ``create_app`` (its refresher and listeners, as ``catalog-service serve`` runs them)
in a uvicorn thread, measured once its first history walk (seconds, once at start) is done.
Each round commits a one-file change (every other one a new owner: a new label set), asks
``POST /api/v1/refresh`` (it answers once the snapshot is served and the listeners ran), and
then times the first request at once: the background history walk of that ingest may still
run, as it would in production. Then the later requests of the same snapshot.
"""

from __future__ import annotations

import datetime as dt
import gc
import json
import subprocess
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from statistics import median

import httpx
from sqlalchemy.orm import Session

from bench.ingest import SYSTEMS, git, settings_for
from bench.servers import uvicorn_thread
from catalog_service.adoption.history import STATE_KEY
from catalog_service.db import pull_requests, state
from catalog_service.http.app import app_services, create_app
from catalog_service.service import Services

TOKEN = "bench-token-0123456789"  # bench.ingest.settings_for's


@dataclass
class Timings:
    """Seconds of the first request after each new snapshot, and of the requests after it."""

    first: list[float] = field(default_factory=list)
    later: list[float] = field(default_factory=list)

    def line(self, target: float) -> str:
        """``first after an ingest: max, each; later: median, max``, beside the target."""
        worst = max(self.first + self.later)
        verdict = "OK" if worst < target else "MISSED"
        firsts = ", ".join(f"{t * 1000:.0f}" for t in self.first)
        return (
            f"first after an ingest: max {max(self.first) * 1000:6.1f} ms ({firsts});"
            f" later: median {median(self.later) * 1000:5.1f} ms, max {max(self.later) * 1000:6.1f}"
            f" ms; worst / target {worst / target:4.2f}  {verdict}"
        )


@dataclass
class GcPasses:
    """The garbage collector's passes in this process (the server's threads included) while
    recording: a request that allocates during one waits for all of it (the GIL is held)."""

    passes: list[tuple[int, float]] = field(default_factory=list)  # (generation, seconds)
    _started: float = 0.0

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.passes.append((info["generation"], time.perf_counter() - self._started))

    @contextmanager
    def recording(self) -> Iterator[GcPasses]:
        gc.callbacks.append(self)
        try:
            yield self
        finally:
            gc.callbacks.remove(self)

    def line(self) -> str:
        full = [seconds for generation, seconds in self.passes if generation == 2]
        longest = max((seconds for _, seconds in self.passes), default=0.0)
        return (
            f"gc passes meanwhile: {len(self.passes)}, longest {longest * 1000:.1f} ms;"
            f" full ones: {len(full)}, longest {max(full, default=0.0) * 1000:.1f} ms"
        )


def record_merged_pull_requests(
    session: Session, count: int, start: dt.datetime, step: dt.timedelta
) -> None:
    """``count`` merged manifest pull requests, ``step`` apart from ``start``; two in three
    autonomous, by forty authors."""
    for number in range(count):
        pull_requests.record_if_absent(
            session,
            repository="acme/gitops",
            number=number,
            title="Add an application",
            author=f"dev-{number % 40}",
            merged_at=start + step * number,
            paths=[f"apps/app-{number}.yaml"],
            autonomous=number % 3 != 0,
            approved_by_platform=False,
        )


@contextmanager
def running_service(repo: Path, root: Path) -> Iterator[tuple[Services, str, httpx.Client]]:
    """The service on ``repo`` (SQLite under ``root``), ingested and ready; its parts, base URL
    and a client."""
    settings = settings_for(repo, root / "cache")
    database = settings.database.model_copy(update={"url": f"sqlite:///{root / 'catalog.db'}"})
    app = create_app(settings.model_copy(update={"database": database}))
    with uvicorn_thread(app) as base, httpx.Client(timeout=120) as client:
        deadline = time.monotonic() + 300
        while client.get(f"{base}/readyz").status_code != 200:
            if time.monotonic() > deadline:
                raise RuntimeError("the service did not become ready")
            time.sleep(0.05)
        services = app_services(app)
        # The first history walk (seconds, once at start) is not what is measured here.
        walked(services, repo, within=600)
        yield services, base, client


def walked(services: Services, repo: Path, *, within: float) -> None:
    """Wait until the background history walk reached the branch's head."""
    head = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=repo, check=True, capture_output=True, text=True
    ).stdout.strip()
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        with services.database.session() as session:
            value = state.get(session, STATE_KEY)
        if value is not None and json.loads(value)["commit"] == head:
            return
        time.sleep(0.1)
    raise RuntimeError("the history walk did not reach the head")


def entity_count(client: httpx.Client, base: str) -> int:
    return len(client.get(f"{base}/api/v1/entities").json()["items"])


def timed_get(client: httpx.Client, url: str) -> float:
    started = time.perf_counter()
    response = client.get(url)
    elapsed = time.perf_counter() - started
    response.raise_for_status()
    return elapsed


def new_snapshot(client: httpx.Client, base: str, repo: Path, round_: int) -> float:
    """Commit a one-file change and refresh; the seconds the refresh took."""
    index = (round_ * 37) % SYSTEMS  # app-00000..: the first application of some system
    path = repo / "apps" / f"system-{index:03d}" / f"app-{index:05d}.yaml"
    text = path.read_text()
    if round_ % 2:
        text = text.replace("  owner: team-", f"  owner: moved{round_}-team-", 1)
    else:
        text = text.replace("replicas: 3", f"replicas: {4 + round_}", 1)
    path.write_text(text)
    git(repo, "-c", "user.name=b", "-c", "user.email=b@e", "commit", "-qam", f"round {round_}")
    started = time.perf_counter()
    response = client.post(
        f"{base}/api/v1/refresh", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=300
    )
    response.raise_for_status()
    if response.json()["status"] != "applied":
        raise RuntimeError(f"round {round_}: {response.text}")
    return time.perf_counter() - started


def after_ingests(
    client: httpx.Client,
    base: str,
    repo: Path,
    urls: Sequence[str],
    *,
    rounds: int,
    requests: int,
    passes: GcPasses,
    first_round: int = 0,
) -> dict[str, Timings]:
    """For each URL: ``rounds`` new snapshots, the first request after each, then ``requests``
    more; the collector's passes meanwhile go to ``passes``. A pause between rounds lets the
    previous one's background work end."""
    timings = {url: Timings() for url in urls}
    for url in urls:
        timed_get(client, url)  # the route's own first call (imports, templates) is not an ingest's
    with passes.recording():
        _rounds(client, base, repo, timings, range(first_round, first_round + rounds), requests)
    return timings


def _rounds(
    client: httpx.Client,
    base: str,
    repo: Path,
    timings: dict[str, Timings],
    rounds: range,
    requests: int,
) -> None:
    urls = list(timings)
    for round_ in rounds:
        for url in urls:
            new_snapshot(client, base, repo, round_ * len(urls) + urls.index(url))
            timings[url].first.append(timed_get(client, url))
            timings[url].later.extend(timed_get(client, url) for _ in range(requests))
            time.sleep(1.0)
