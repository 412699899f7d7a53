"""How well does the service serve a large catalog? Prints figures measured in one run of one
service process, each beside its target.

    python -m bench.serve [--manifests 10000] [--readers 64]

Targets (issue 5): from ready to the first full GET /api/v1/entities under 1 s; gzip size ratio
at most 0.2; peak resident memory with 64 concurrent slow readers of the whole catalog under
400 MB; the worst /healthz latency while 2 alias-heavy POST /api/v1/validate run under 100 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from bench.ingest import make_repository, settings_for, write_config
from bench.servers import memory_kb, service_process
from catalog_service.domain.loading import MAX_EXPANDED_NODES
from catalog_service.domain.parsing import MAX_FILE_BYTES

FIRST_ANSWER_TARGET_SECONDS = 1.0
GZIP_RATIO_TARGET = 0.2
RSS_TARGET_MB = 400
HEALTHZ_TARGET_SECONDS = 0.100


def verdict(ok: bool) -> str:
    return "OK" if ok else "MISSED"


@contextmanager
def service(repo: Path, root: Path) -> Iterator[tuple[subprocess.Popen[bytes], str, float]]:
    """A real service process; yields it, its base URL and the seconds it took to be ready."""
    config = write_config(settings_for(repo, root / "mirror-serve"), root / "serve-config.yaml")
    with service_process(config, ready_within=300) as running:
        yield running


def raw_size(base: str, path: str, encoding: str) -> tuple[int, str]:
    with httpx.stream("GET", f"{base}{path}", headers={"Accept-Encoding": encoding}) as answer:
        size = sum(len(part) for part in answer.iter_raw())
        return size, answer.headers.get("content-encoding", "identity")


async def slow_reader(port: int, path: str, expected: int) -> int:
    """Reads the whole answer, 64 KiB at a time with pauses: a slow client."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port, limit=64 * 1024)
    writer.write(
        f"GET {path} HTTP/1.1\r\nHost: bench\r\nAccept-Encoding: identity\r\n"
        "Connection: close\r\n\r\n".encode()
    )
    await writer.drain()
    received = 0
    while chunk := await reader.read(64 * 1024):
        received += len(chunk)
        await asyncio.sleep(0.01)
    writer.close()
    if received < expected:
        raise RuntimeError(f"a reader got {received:,} bytes of {expected:,}")
    return received


def peak_rss_with_readers(process: subprocess.Popen[bytes], port: int, readers: int) -> float:
    """The largest resident memory sampled while ``readers`` slow clients read the entities."""
    expected = len(httpx.get(f"http://127.0.0.1:{port}/api/v1/entities", timeout=60).content)
    peak = memory_kb(process.pid, "VmRSS")
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, memory_kb(process.pid, "VmRSS"))
            time.sleep(0.02)

    sampler = threading.Thread(target=sample)
    sampler.start()

    async def everyone() -> None:
        reads = (slow_reader(port, "/api/v1/entities", expected) for _ in range(readers))
        await asyncio.gather(*reads)

    try:
        asyncio.run(everyone())
    finally:
        done.set()
        sampler.join()
    return peak / 1024


def alias_heavy_body(size: int) -> bytes:
    """About ``size`` bytes of documents, each expanding to just under the alias limit."""
    items = 100
    aliases = MAX_EXPANDED_NODES // (items + 1) - 2
    document = (
        "---\nbase: &a [" + ", ".join(["x"] * items) + "]\n"
        "copies: [" + ", ".join(["*a"] * aliases) + "]\n"
    ).encode()
    return document * (min(size, MAX_FILE_BYTES - 1024) // len(document))


def worst_healthz_alone(base: str, probes: int = 200) -> float:
    """The same probe with nothing else running: what the machine itself adds."""
    worst = 0.0
    with httpx.Client(base_url=base) as client:
        client.get("/healthz")
        for _ in range(probes):
            started = time.perf_counter()
            client.get("/healthz")
            worst = max(worst, time.perf_counter() - started)
            time.sleep(0.01)
    return worst


def worst_healthz_during_validation(base: str, requests: int, size: int) -> tuple[float, list[str]]:
    body = alias_heavy_body(size)
    outcomes: list[str] = []

    def validate() -> None:
        started = time.perf_counter()
        answer = httpx.post(f"{base}/api/v1/validate", content=body, timeout=300)
        outcomes.append(f"{answer.status_code} in {time.perf_counter() - started:.1f} s")

    workers = [threading.Thread(target=validate) for _ in range(requests)]
    for worker in workers:
        worker.start()
    worst = 0.0
    with httpx.Client(base_url=base) as client:
        client.get("/healthz")  # a warm connection: the figure is the service's, not a connect
        while any(worker.is_alive() for worker in workers):
            started = time.perf_counter()
            assert client.get("/healthz").status_code == 200
            worst = max(worst, time.perf_counter() - started)
            time.sleep(0.01)
    for worker in workers:
        worker.join()
    return worst, outcomes


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--manifests", type=int, default=10_000)
    parser.add_argument("--readers", type=int, default=64)
    parser.add_argument("--validations", type=int, default=2)
    parser.add_argument("--validate-kb", type=int, default=1024, help="size of each validate body")
    args = parser.parse_args()

    root = Path(tempfile.mkdtemp(prefix="catalog-bench-serve-"))
    try:
        repo = make_repository(root, args.manifests)
        print(f"generated {args.manifests:,} manifests")
        with service(repo, root) as (process, base, ready):
            print(f"start to /readyz 200:              {ready:8.2f} s")
            started = time.perf_counter()
            first = httpx.get(f"{base}/api/v1/entities", headers={"Accept-Encoding": "identity"})
            first_seconds = time.perf_counter() - started
            assert first.status_code == 200, first.text
            print(
                f"ready to first full entities:      {first_seconds:8.3f} s"
                f"   target < {FIRST_ANSWER_TARGET_SECONDS:g} s"
                f"  {verdict(first_seconds < FIRST_ANSWER_TARGET_SECONDS)}"
                f"   ({len(first.content) / 1e6:.1f} MB, {len(first.json()['items']):,} entities)"
            )
            for path in ("/api/v1/entities", "/api/v1/entities.yaml"):
                plain, _ = raw_size(base, path, "identity")
                packed, encoding = raw_size(base, path, "gzip")
                assert encoding == "gzip", encoding
                ratio = packed / plain
                print(
                    f"gzip ratio {path:24s} {ratio:8.3f}     target <= {GZIP_RATIO_TARGET}"
                    f"  {verdict(ratio <= GZIP_RATIO_TARGET)}"
                    f"   ({plain / 1e6:.1f} MB -> {packed / 1e6:.2f} MB)"
                )
            port = int(base.rsplit(":", 1)[1])
            rss = peak_rss_with_readers(process, port, args.readers)
            print(
                f"peak RSS, {args.readers} slow full readers:    {rss:6.0f} MB"
                f"   target < {RSS_TARGET_MB} MB  {verdict(rss < RSS_TARGET_MB)}"
                f"   (VmHWM over the whole run {memory_kb(process.pid, 'VmHWM') / 1024:.0f} MB)"
            )
            alone = worst_healthz_alone(base)
            worst, outcomes = worst_healthz_during_validation(
                base, args.validations, args.validate_kb * 1024
            )
            print(
                f"worst /healthz, {args.validations} alias-heavy validates: {worst * 1000:6.1f} ms"
                f"   target < {HEALTHZ_TARGET_SECONDS * 1000:.0f} ms"
                f"  {verdict(worst < HEALTHZ_TARGET_SECONDS)}"
                f"   (alone {alone * 1000:.1f} ms; validate answers: {', '.join(outcomes)};"
                f" load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)"
            )
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
