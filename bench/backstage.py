"""Backstage at scale: the idp entity provider beside a stock ``url`` Location, in one run.

    python -m bench.backstage [--apps 10000] [--skip-url-location] [--settle 10]

A generated GitOps repository (bench/ingest.py's generator) is served from a local bare remote
by a real ``catalog-service serve`` with a webhook secret and ``backstage.eventsUrl``; a real
Backstage catalog (``backstage-plugins/bench/catalogLoad.ts``: startTestBackend, the real catalog
plugin with its default processing settings) reads it, first through the provider (and the events
backend), then, in a fresh node process, through a ``url`` Location on ``/api/v1/entities.yaml``.
Each run: the full load; one manifest change committed, pushed to the remote and announced by a
signed ``push`` webhook, until the catalog API shows it; the processing passes the change causes;
the longest event-loop stall; node's peak RSS.

Targets (issue 9): the change visible in under 5 s; fewer than 10 processing runs for a
one-manifest change; no event-loop stall over 1 s; a full load no slower than the ``url`` Location.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx

from bench.ingest import git, make_repository
from bench.servers import free_port, service_process
from bench.webhooks import REPO, SECRET, signed_push
from catalog_service.settings import load_settings

ROOT = Path(__file__).resolve().parents[1]
PLUGINS = ROOT / "backstage-plugins"
TOKEN = "bench-token-0123456789"
CHANGED_APP = "app-00000"
CHANGED_PATH = Path("apps/system-000/app-00000.yaml")
VISIBLE_TARGET_SECONDS = 5.0
RUNS_TARGET = 10
STALL_TARGET_MS = 1000.0
MODES = ("provider", "url")


def verdict(ok: bool) -> str:
    return "ok" if ok else "MISSED"


def make_remote(root: Path, apps: int) -> tuple[Path, Path]:
    """The generated working copy and a bare remote it pushes to (what the service reads)."""
    work = make_repository(root, apps)
    remote = root / "remote.git"
    subprocess.run(["git", "clone", "--quiet", "--bare", str(work), str(remote)], check=True)
    git(work, "remote", "add", "origin", str(remote))
    return work, remote


def write_config(root: Path, remote: Path, mode: str, events_url: str | None) -> Path:
    data: dict[str, Any] = {
        "source": {
            "url": str(remote),
            "cacheDir": str(root / f"mirror-{mode}"),
            "pollSeconds": 3600,  # the webhook, not the poll, brings the change
            "webUrl": f"https://github.com/{REPO}",
        },
        "auth": {"tokens": [TOKEN]},
        "github": {"webhookSecret": SECRET},
        "database": {"url": f"sqlite:///{root / f'catalog-{mode}.db'}"},
        "links": [{"title": "Argo CD ({environment})", "url": "https://argo/{name}-{environment}"}],
    }
    if events_url is not None:
        data["backstage"] = {"eventsUrl": events_url}
    load_settings(None, **data)  # a mistake here fails now, not as a service that never starts
    path = root / f"config-{mode}.yaml"
    path.write_text(json.dumps(data))  # JSON is YAML
    return path


def push_change(work: Path, base: str, description: str) -> float:
    """Commits one manifest change, pushes it and sends the signed webhook; the push's wall-clock
    time in milliseconds (node compares it with its own clock: same machine)."""
    path = work / CHANGED_PATH
    text = re.sub(r"description: .*", f"description: {description}", path.read_text(), count=1)
    path.write_text(text)
    git(work, "-c", "user.name=b", "-c", "user.email=b@example.com", "commit", "-qam", "change")
    pushed_at = time.time() * 1000
    git(work, "push", "--quiet", "origin", "main")
    body, headers = signed_push()
    response = httpx.post(f"{base}/api/v1/webhooks/github", content=body, headers=headers)
    assert response.status_code == 202, response.text
    return pushed_at


class NodeSide:
    """``catalogLoad.ts`` in node: its ``BENCH`` lines read one by one, its stdin written."""

    def __init__(self, mode: str, service: str, description: str, args: argparse.Namespace):
        command = ["node", "--import", "tsx", "bench/catalogLoad.ts", "--mode", mode]
        command += ["--service", service, "--app", CHANGED_APP, "--description", description]
        command += ["--settle", str(args.settle), "--background", str(args.background)]
        self.process = subprocess.Popen(
            command, cwd=PLUGINS, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )

    def next_event(self, expected: str) -> dict[str, Any]:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            if line.startswith("BENCH "):
                event: dict[str, Any] = json.loads(line[len("BENCH ") :])
                assert event["event"] == expected, event
                return event
        raise RuntimeError(f"node exited with {self.process.wait()} before {expected!r}")

    def send(self, message: dict[str, Any]) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps(message) + "\n")
        self.process.stdin.flush()

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
        self.process.wait(timeout=60)


def service_cost(base: str) -> dict[str, float]:
    """What one full answer costs the service, and how big the YAML a url Location reads is."""
    started = time.perf_counter()
    httpx.get(f"{base}/api/v1/entities", timeout=120).raise_for_status()
    json_ms = (time.perf_counter() - started) * 1000
    yaml = httpx.get(f"{base}/api/v1/entities.yaml", timeout=120)
    return {"jsonMs": json_ms, "yamlMb": len(yaml.content) / 1e6}


def run_mode(mode: str, root: Path, work: Path, remote: Path, args: argparse.Namespace) -> Any:
    """One Backstage (one node process) against a fresh service; node's figures and the service's.

    The provider's Backstage starts first: the service's ``backstage.eventsUrl`` needs its port.
    The url Location's starts after the service (as a Location read at start-up needs it)."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    description = f"changed for the {mode} run"
    with ExitStack() as stack:
        node: NodeSide | None = None
        events_url = None
        if mode == "provider":
            node = NodeSide(mode, base, description, args)
            stack.callback(node.close)
            backstage = node.next_event("started")["port"]
            events_url = f"http://127.0.0.1:{backstage}/api/events/http/idp.catalog"
        config = write_config(root, remote, mode, events_url)
        stack.enter_context(service_process(config, ready_within=600, port=port))
        cost = service_cost(base)
        if node is None:
            node = NodeSide(mode, base, description, args)
            stack.callback(node.close)
            node.next_event("started")
        print(f"[{mode}] loading ...", file=sys.stderr, flush=True)
        loaded = node.next_event("loaded")
        print(f"[{mode}] loaded in {loaded['seconds']:.1f} s", file=sys.stderr, flush=True)
        node.next_event("change-now")
        node.send({"pushedAt": push_change(work, base, description)})
        result: dict[str, Any] = {**node.next_event("result"), **cost}
        # Printed at once: kept even if a later run fails.
        print(f"[{mode}] {json.dumps(result)}", file=sys.stderr, flush=True)
        return result


def ratio(results: dict[str, Any], key: str) -> str:
    if "url" not in results or not results["url"][key]:
        return "-"
    return f"{results['provider'][key] / results['url'][key]:.2f}x"


def row(label: str, results: dict[str, Any], key: str, unit: str, target: str) -> str:
    cells = [
        f"{results[mode][key]:,.{0 if unit in ('runs', 'MB', 'ms') else 1}f} {unit}"
        if mode in results
        else "skipped"
        for mode in MODES
    ]
    return f"{label:<48}{cells[0]:>14}{cells[1]:>16}{ratio(results, key):>10}   {target}"


def print_table(apps: int, results: dict[str, Any]) -> None:
    provider = results["provider"]
    url = results.get("url")
    print(
        f"{apps:,} applications = {provider['entities']:,} entities,"
        f" {provider['yamlMb']:.1f} MB of YAML; one full answer of /api/v1/entities costs the"
        f" service {provider['jsonMs']:.0f} ms"
    )
    print(f"{'':<48}{'provider':>14}{'url Location':>16}{'ratio':>10}   target (provider)")
    load_ok = url is None or provider["loadSeconds"] <= url["loadSeconds"]
    lines = [
        ("full load (all entities in the catalog API)", "loadSeconds", "s",
         f"no slower than the url Location {verdict(load_ok) if url else '(url skipped)'}"),
        ("push -> changed entity in the catalog API", "visibleSeconds", "s",
         f"< {VISIBLE_TARGET_SECONDS:.0f} s {verdict(provider['visibleSeconds'] < 5)}"),
        ("processing runs of the changed entities", "watchedRuns", "runs",
         f"< {RUNS_TARGET} {verdict(provider['watchedRuns'] < RUNS_TARGET)}"),
        ("processing runs of all entities, push->visible", "runsUntilVisible", "runs", "(context)"),
        ("  ... push -> visible + settle", "windowRuns", "runs", "(context)"),
        ("  background runs/s before the push", "backgroundPerSecond", "/s", "(context)"),
        ("longest event-loop stall, full load", "loadStallMs", "ms",
         f"<= {STALL_TARGET_MS:.0f} ms {verdict(provider['loadStallMs'] <= STALL_TARGET_MS)}"),
        ("longest event-loop stall, the change", "changeStallMs", "ms",
         f"<= {STALL_TARGET_MS:.0f} ms {verdict(provider['changeStallMs'] <= STALL_TARGET_MS)}"),
        ("  ... idle, before the push (background work)", "idleStallMs", "ms", "(context)"),
        ("node peak RSS", "peakRssMb", "MB", "(reported)"),
    ]  # fmt: skip
    for label, key, unit, target in lines:
        print(row(label, results, key, unit, target))
    errors = {mode: results[mode]["processingErrors"] for mode in results}
    print(f"processing errors the catalog reported: {errors}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--apps", type=int, default=10_000)
    parser.add_argument("--skip-url-location", action="store_true", help="the provider only")
    parser.add_argument("--settle", type=float, default=10, help="seconds counted after visible")
    parser.add_argument("--background", type=float, default=10, help="idle seconds sampled")
    args = parser.parse_args()
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        work, remote = make_remote(root, args.apps)
        for mode in MODES[:1] if args.skip_url_location else MODES:
            results[mode] = run_mode(mode, root, work, remote, args)
    print_table(args.apps, results)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
