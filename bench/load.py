"""Two replicas on one PostgreSQL under load, beside one replica, measured in one run.

    python -m bench.load --database-url postgresql+psycopg://... [--manifests 10000] [--seconds 30]

Target (issue 14): 64 concurrent clients for 30 s on ``/api/v1/entities`` (with and without
``If-None-Match``, gzip and not) and ``/metrics`` at 10,000 manifests: 0 errors. Prints requests
per second and p99 latency per endpoint, for one replica and for two (the clients alternate).
The load generator shares the machine with the replicas: the figures are the service's and the
client's together, which is why the two columns are measured in the same run.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import shutil
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from bench.ingest import make_repository, settings_for, write_config
from bench.servers import service_process

CLIENTS = 64


@dataclass(frozen=True)
class Endpoint:
    name: str
    path: str
    headers: dict[str, str]


@dataclass
class Figures:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    reasons: dict[str, int] = field(default_factory=lambda: defaultdict(int))  # why, in all


def endpoints(etag: str) -> list[Endpoint]:
    plain = {"Accept-Encoding": "identity"}
    gzip = {"Accept-Encoding": "gzip"}
    cached = {"If-None-Match": etag}
    entities = "/api/v1/entities"
    return [
        Endpoint("entities", entities, plain),
        Endpoint("entities gzip", entities, gzip),
        Endpoint("entities If-None-Match", entities, {**plain, **cached}),
        Endpoint("entities gzip If-None-Match", entities, {**gzip, **cached}),
        Endpoint("metrics", "/metrics", plain),
    ]


async def client(
    number: int, bases: list[str], targets: list[Endpoint], until: float, figures: Figures
) -> None:
    async with httpx.AsyncClient(timeout=60) as http:
        turn = number
        while time.monotonic() < until:
            endpoint = targets[turn % len(targets)]
            base = bases[turn % len(bases)]
            turn += 1
            started = time.perf_counter()
            try:
                response = await http.get(base + endpoint.path, headers=endpoint.headers)
                await response.aread()
                reason = (
                    "" if response.status_code in (200, 304) else f"HTTP {response.status_code}"
                )
            except httpx.HTTPError as error:
                reason = type(error).__name__  # ReadTimeout: over the client's 60 s
            if not reason:
                figures.latencies[endpoint.name].append(time.perf_counter() - started)
            else:
                figures.errors[endpoint.name] += 1
                figures.reasons[reason] += 1


async def load(bases: list[str], targets: list[Endpoint], seconds: float) -> Figures:
    figures = Figures()
    until = time.monotonic() + seconds
    await asyncio.gather(*(client(n, bases, targets, until, figures) for n in range(CLIENTS)))
    return figures


def p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] if ordered else float("nan")


def report(title: str, figures: Figures, targets: list[Endpoint], seconds: float) -> int:
    print(f"\n{title}")
    print(f"  {'endpoint':30} {'req/s':>8} {'p99 ms':>9} {'errors':>7}")
    errors = 0
    for endpoint in targets:
        done = figures.latencies[endpoint.name]
        failed = figures.errors[endpoint.name]
        errors += failed
        print(
            f"  {endpoint.name:30} {len(done) / seconds:8.1f} {p99(done) * 1000:9.1f} {failed:7d}"
        )
    why = ", ".join(f"{count} {reason}" for reason, count in sorted(figures.reasons.items()))
    verdict = "OK" if errors == 0 else "MISSED"
    print(f"  errors: {errors}{f' ({why})' if why else ''}   target: 0   {verdict}")
    return errors


@contextlib.contextmanager
def replicas(configs: list[Path]) -> Iterator[list[str]]:
    with contextlib.ExitStack() as stack:
        bases = [stack.enter_context(service_process(c, ready_within=900))[1] for c in configs]
        yield bases


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True, help="a PostgreSQL database to use")
    parser.add_argument("--manifests", type=int, default=10_000)
    parser.add_argument("--seconds", type=float, default=30)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="catalog-bench-load-"))
    try:
        repo = make_repository(root, args.manifests)
        configs = []
        for replica in (1, 2):
            settings = settings_for(repo, root / f"cache-{replica}")
            database = settings.database.model_copy(update={"url": args.database_url})
            settings = settings.model_copy(update={"database": database})
            configs.append(write_config(settings, root / f"config-{replica}.yaml"))
        with replicas(configs) as bases:
            etag = httpx.get(f"{bases[0]}/api/v1/entities", timeout=120).headers["ETag"]
            assert httpx.get(f"{bases[1]}/api/v1/entities", timeout=120).headers["ETag"] == etag
            targets = endpoints(etag)
            print(f"{args.manifests:,} manifests, {CLIENTS} clients, {args.seconds:g} s each run")
            one = asyncio.run(load(bases[:1], targets, args.seconds))
            two = asyncio.run(load(bases, targets, args.seconds))
        errors = report("one replica", one, targets, args.seconds)
        errors += report("two replicas on one PostgreSQL", two, targets, args.seconds)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return 1 if errors else 0


if __name__ == "__main__":
    raise SystemExit(main())
