"""Webhooks on a large GitOps repository; each figure printed beside its target.

    python -m bench.webhooks [--manifests 10000] [--pulls 1000]

The pushes go to a real ``catalog-service serve`` process over loopback HTTP, so the client's
own work (decoding 33 MB) does not share the service's interpreter.

Targets (issue 6): a signed push delivery to the change visible in /api/v1/entities under
300 ms (local remote); 100 pushes in one second cause at most 3 fetches; backfill-prs over
1,000 pull requests through the GitHub double, time reported.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import json
import re
import statistics
import tempfile
import time
import uuid
from pathlib import Path

import httpx
import yaml

from bench.ingest import git, make_repository, settings_for
from bench.servers import service_process
from catalog_service.db import Database
from catalog_service.pull_requests.backfill import backfill
from catalog_service.settings import Settings, load_settings
from tests.github.support import make_client
from tests.support.github_double import GitHubDouble, sign
from tests.support.github_fixtures import DOUBLE_TOKEN

SECRET = "bench-webhook-secret"
REPO = "acme/gitops"
VISIBLE_TARGET_SECONDS = 0.300
FETCHES_TARGET = 3


def verdict(ok: bool) -> str:
    return "ok" if ok else "MISSED"


def bench_settings(repo: Path, root: Path) -> Settings:
    data = settings_for(repo, root / "cache").model_dump(mode="json")
    data["auth"]["tokens"] = ["bench-token-0123456789"]
    data["source"]["webUrl"] = f"https://github.com/{REPO}"
    data["github"] = {"webhookSecret": SECRET}
    data["database"] = {"url": f"sqlite:///{root / 'catalog.db'}"}
    return load_settings(None, **data)


def write_service_config(repo: Path, root: Path) -> Path:
    """The settings of :func:`bench_settings` as the service's configuration file (secrets spelled
    out: a settings dump masks them)."""
    data = bench_settings(repo, root).model_dump(mode="json")
    data["auth"]["tokens"] = ["bench-token-0123456789"]
    data["github"]["webhookSecret"] = SECRET
    path = root / "service.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def signed_push() -> tuple[bytes, dict[str, str]]:
    """A GitHub ``push`` delivery to main of :data:`REPO`, signed with :data:`SECRET`."""
    body = json.dumps({"ref": "refs/heads/main", "repository": {"full_name": REPO}}).encode()
    headers = {
        "X-GitHub-Event": "push",
        "X-GitHub-Delivery": str(uuid.uuid4()),
        "X-Hub-Signature-256": sign(SECRET, body),
        "Content-Type": "application/json",
    }
    return body, headers


def push(client: httpx.Client) -> int:
    body, headers = signed_push()
    status: int = client.post("/api/v1/webhooks/github", content=body, headers=headers).status_code
    return status


def change(repo: Path, round_: int) -> None:
    path = repo / "apps" / "system-000" / "app-00000.yaml"
    text = re.sub(r"description: .*", f"description: round {round_}", path.read_text(), count=1)
    path.write_text(text)
    git(repo, "-c", "user.name=b", "-c", "user.email=b@example.com", "commit", "-qam", "change")


def wait_for_new_etag(client: httpx.Client, etag: str, timeout: float = 30.0) -> tuple[str, bytes]:
    """Poll until the service answers with another ETag; that answer's body as sent (gzip):
    decoding it is the client's own work, timed apart."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with client.stream("GET", "/api/v1/entities", headers={"If-None-Match": etag}) as answer:
            if answer.status_code == 200:
                return str(answer.headers["etag"]), b"".join(answer.iter_raw())
        time.sleep(0.002)
    raise TimeoutError("the change never became visible")


def push_to_visible(
    client: httpx.Client, repo: Path, rounds: int
) -> tuple[list[float], list[float], list[float]]:
    """Seconds from sending a push to its answer, to the change being served, and then to
    decoding what was served (in this same process: the client's cost, not the service's)."""
    etag = client.get("/api/v1/entities").headers["etag"]
    answered, seconds, decoded = [], [], []
    for round_ in range(rounds):
        change(repo, round_)
        started = time.perf_counter()
        assert push(client) == 202
        answered.append(time.perf_counter() - started)
        etag, body = wait_for_new_etag(client, etag)
        seconds.append(time.perf_counter() - started)
        assert f"round {round_}".encode() in gzip.decompress(body)
        decoded.append(time.perf_counter() - started)
        time.sleep(1.1)  # pushes a second apart: one burst is what the next figure measures
    return answered, seconds, decoded


def refreshes(client: httpx.Client) -> int:
    """Completed refreshes (each one fetch) so far, from the service's own ingest histogram."""
    metrics = client.get("/metrics").text
    found = re.search(r"^idp_ingest_duration_seconds_count (\S+)$", metrics, re.M)
    assert found, "no idp_ingest_duration_seconds_count in /metrics"
    return int(float(found.group(1)))


def fetches_for_100_pushes(client: httpx.Client, repo: Path) -> int:
    etag = client.get("/api/v1/entities").headers["etag"]
    change(repo, 1000)
    before = refreshes(client)
    started = time.perf_counter()
    for index in range(100):
        assert push(client) == 202
        time.sleep(max(0.0, started + (index + 1) / 100 - time.perf_counter()))
    wait_for_new_etag(client, etag)
    time.sleep(2.0)  # any ingest still owed runs now
    return refreshes(client) - before


def backfill_seconds(root: Path, repo: Path, pulls: int) -> tuple[float, int]:
    with GitHubDouble() as double:
        double.add_token(DOUBLE_TOKEN)
        merged = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
        for number in range(1, pulls + 1):
            double.add_pull(REPO, number, merged_at=merged + dt.timedelta(minutes=number))
            double.add_file(REPO, number, f"apps/system-000/app-{number:05d}.yaml")
        settings = bench_settings(repo, root)
        database = Database(f"sqlite:///{root / 'backfill.db'}")
        started = time.perf_counter()
        recorded = backfill(settings, github=make_client(double), database=database)
        elapsed = time.perf_counter() - started
        database.dispose()
        return elapsed, recorded


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--manifests", type=int, default=10_000)
    parser.add_argument("--pulls", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        repo = make_repository(root, args.manifests)
        config = write_service_config(repo, root)
        with (
            service_process(config, ready_within=600) as (_, base, _),
            httpx.Client(base_url=base, timeout=60) as client,
        ):
            answered, seconds, decoded = push_to_visible(client, repo, args.rounds)
            fetches = fetches_for_100_pushes(client, repo)
        elapsed, recorded = backfill_seconds(root, repo, args.pulls)
    median = statistics.median(seconds)
    print(f"{args.manifests} manifests")
    print(
        f"signed push answered: worst {max(answered) * 1000:.0f} ms (target < 1000 ms)"
        f" {verdict(max(answered) < 1.0)}"
    )
    print(
        f"signed push -> visible in /api/v1/entities: median {median * 1000:.0f} ms,"
        f" worst {max(seconds) * 1000:.0f} ms (target < {VISIBLE_TARGET_SECONDS * 1000:.0f} ms)"
        f" {verdict(median < VISIBLE_TARGET_SECONDS)}"
    )
    print(
        f"  ... and decoded by the client (gzip, in the bench's process): median"
        f" {statistics.median(decoded) * 1000:.0f} ms (the client's work; no target)"
    )
    print(
        f"100 pushes in one second -> {fetches} fetches (target <= {FETCHES_TARGET})"
        f" {verdict(fetches <= FETCHES_TARGET)}"
    )
    print(
        f"backfill-prs over {args.pulls} pull requests through the double: {elapsed:.1f} s"
        f" ({recorded} recorded; time reported, no target)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
