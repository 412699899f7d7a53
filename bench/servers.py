"""Services for the benchmarks to measure: a real ``catalog-service serve`` process, or an app in a
uvicorn thread; and what the kernel says of a process's memory."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import uvicorn


def free_port() -> int:
    with socket.socket() as probe:  # a free port, for a server started just after
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def memory_kb(pid: int, field: str) -> int:
    """A ``/proc/<pid>/status`` figure (``VmRSS``, ``VmHWM``), in KiB."""
    status = Path(f"/proc/{pid}/status").read_text()
    return next(int(line.split()[1]) for line in status.splitlines() if line.startswith(field))


@contextmanager
def service_process(
    config: Path, *, ready_within: float, port: int | None = None
) -> Iterator[tuple[subprocess.Popen[bytes], str, float]]:
    """``catalog-service serve --config CONFIG`` (on ``port``, else a free one); yields the
    process, its base URL and the seconds it took to answer ``/readyz`` 200."""
    port = port or free_port()
    started = time.perf_counter()
    command = ["serve", "--config", str(config), "--port", str(port)]
    process = subprocess.Popen(
        [sys.executable, "-m", "catalog_service", *command],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "CATALOG_LOG_LEVEL": "WARNING"},
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + ready_within
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/readyz").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.02)
        else:
            raise RuntimeError("the service did not become ready")
        yield process, base, time.perf_counter() - started
    finally:
        process.terminate()
        process.wait(timeout=30)


@contextmanager
def uvicorn_thread(app: Any) -> Iterator[str]:
    """``app`` served by uvicorn in a thread on a free loopback port; yields its base URL."""
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join()
