"""How fast is an ingest? Prints figures measured in one run, and their ratios.

    python -m bench.ingest [--manifests 10000]

Targets (issue 2): cold ingest at most 1.3x the time merely to read and parse the same files with
PyYAML's CSafeLoader; a refresh after one file changed under 50 ms; resident memory of the service
with 10,000 manifests under 300 MB. Issue 13: the same 1.3x for a whole ``catalog-service export``
process (interpreter, imports, clone, ingest, output) beside a whole process that only reads and
parses the files with CSafeLoader (interpreter, ``import yaml``, parse).
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from statistics import median

import yaml

from catalog_service.ingest.build import build_ingestor
from catalog_service.ingest.compiling import available_processors
from catalog_service.settings import Settings, load_settings

COLD_RATIO_TARGET = 1.3
REFRESH_TARGET_SECONDS = 0.050
RSS_TARGET_MB = 300
SYSTEMS = 200
OWNERS = 30


def manifest(index: int, rng: random.Random) -> str:
    """A realistic application manifest of about 1 KB."""
    name = f"app-{index:05d}"
    system = f"system-{index % SYSTEMS:03d}"
    owner = f"team-{rng.randrange(OWNERS):02d}"
    depends = sorted({f"app-{rng.randrange(index):05d}" for _ in range(2)}) if index > 10 else []
    return f"""\
# Owned by {owner}; see the runbook before changing prod.
apiVersion: idp/v1alpha1
kind: Application
metadata:
  name: {name}
  system: {system}
  owner: {owner}
  description: Generated application number {index} for the ingest benchmark
  tags: [python, generated]
  links: [{{url: "https://wiki.example.com/{name}", title: Runbook}}]
spec:
  type: service
  source: {{repository: acme/{name}}}
  image: 123456789012.dkr.ecr.eu-west-1.amazonaws.com/{name}
  components:
    - {{name: db, type: postgresql}}
    - {{name: cache, type: redis}}
  secrets:
    - {{env: DATABASE_URL, secret: {name}/db, key: url}}
    - {{env: REDIS_URL, secret: {name}/cache, key: url}}
  dependsOn: [{", ".join(depends)}]
  environments:
    dev: {{version: "1.{index % 50}.{rng.randrange(10)}"}}
    staging: {{version: "1.{index % 50}.0"}}
    prod: {{version: "1.{max(index % 50 - 1, 0)}.0", replicas: 3}}
"""


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True)


def make_repository(root: Path, count: int) -> Path:
    repo = root / "gitops"
    rng = random.Random(42)
    for index in range(count):
        path = repo / "apps" / f"system-{index % SYSTEMS:03d}" / f"app-{index:05d}.yaml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(manifest(index, rng))
    git(repo, "init", "--quiet", "--initial-branch=main")
    git(repo, "add", "--all")
    git(repo, "-c", "user.name=bench", "-c", "user.email=b@example.com", "commit", "-qm", "init")
    return repo


def parse_floor(repo: Path) -> float:
    """Reading and parsing every manifest with CSafeLoader, nothing more."""
    started = time.perf_counter()
    for path in sorted((repo / "apps").rglob("*.yaml")):
        list(yaml.load_all(path.read_bytes(), Loader=yaml.CSafeLoader))
    return time.perf_counter() - started


FLOOR_PROCESS = """
import sys
from pathlib import Path
import yaml
for path in sorted((Path(sys.argv[1]) / "apps").rglob("*.yaml")):
    list(yaml.load_all(path.read_bytes(), Loader=yaml.CSafeLoader))
"""


def process_seconds(argv: list[str], *, one_processor: bool = False) -> float:
    """Wall time of one whole process, its output thrown away; ``one_processor`` pins it (and
    its workers) to one CPU, as a pod with a CPU limit of 1. Without PYTHONDONTWRITEBYTECODE: an
    installed package has its byte code (the caller runs each command once unmeasured)."""
    environment = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    pin = (
        (lambda: os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})) if one_processor else None
    )
    started = time.perf_counter()
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, env=environment, preexec_fn=pin)
    return time.perf_counter() - started


def export_command() -> list[str]:
    script = Path(sys.executable).parent / "catalog-service"
    return [str(script)] if script.exists() else [sys.executable, "-m", "catalog_service"]


def whole_processes(repo: Path, root: Path) -> tuple[float, float, float]:
    """A cold ``catalog-service export`` (a new mirror each time) on every processor and on one,
    and the CSafeLoader floor, each as a whole process; the best of two runs of each, after one
    unmeasured run of each."""
    floor_argv = [sys.executable, "-c", FLOOR_PROCESS, str(repo)]
    exports: list[float] = []
    single: list[float] = []
    floors: list[float] = []
    for attempt in range(3):
        config = write_config(
            settings_for(repo, root / "mirror-export"), root / f"export-{attempt}.yaml"
        )
        argv = [*export_command(), "export", "--config", str(config), "--format", "json"]
        floors.append(process_seconds(floor_argv))
        for times, one_processor in ((exports, False), (single, True)):
            shutil.rmtree(root / "mirror-export", ignore_errors=True)
            times.append(process_seconds(argv, one_processor=one_processor))
    return min(exports[1:]), min(single[1:]), min(floors[1:])


def settings_for(repo: Path, cache: Path) -> Settings:
    """The bench's settings; the database beside the mirror (never a catalog.db where it runs)."""
    return load_settings(
        source={"url": str(repo), "cacheDir": str(cache), "pollSeconds": 3600},
        database={"url": f"sqlite:///{cache.with_name(cache.name + '.db')}"},
        auth={"tokens": ["bench-token-0123456789"]},
        links=[{"title": "Argo CD ({environment})", "url": "https://argo/{name}-{environment}"}],
    )


def write_config(settings: Settings, path: Path) -> Path:
    """The settings as a configuration file, secrets written out (a dump masks them)."""
    data = settings.model_dump(mode="json")
    data["auth"]["tokens"] = [token.get_secret_value() for token in settings.auth.tokens]
    path.write_text(yaml.safe_dump(data))
    return path


def service_rss_mb(repo: Path, cache: Path) -> float:
    """Resident memory of a real service process that ingested the repository and served it."""
    # Imported here: only the bench needs the web client (compile workers no longer import
    # the main module: catalog_service/ingest/worker_start.py).
    import httpx

    from bench.servers import memory_kb, service_process

    config = write_config(settings_for(repo, cache), cache.parent / "bench-config.yaml")
    with service_process(config, ready_within=120) as (process, base, _):
        httpx.get(f"{base}/api/v1/entities", timeout=60)
        httpx.get(f"{base}/api/v1/entities.yaml", timeout=120)
        return memory_kb(process.pid, "VmRSS") / 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--manifests", type=int, default=10_000)
    parser.add_argument("--refreshes", type=int, default=5, help="one-file refreshes to time")
    parser.add_argument("--no-memory", action="store_true", help="skip the service RSS figure")
    args = parser.parse_args()

    root = Path(tempfile.mkdtemp(prefix="catalog-bench-"))
    try:
        started = time.perf_counter()
        repo = make_repository(root, args.manifests)
        print(f"generated {args.manifests:,} manifests in {time.perf_counter() - started:.1f} s")

        parse_floor(repo)  # unmeasured: the files into the page cache, as they are for the ingest
        floor = parse_floor(repo)
        ingestor = build_ingestor(settings_for(repo, root / "mirror"))
        started = time.perf_counter()
        outcome = ingestor.refresh()
        cold = time.perf_counter() - started
        assert outcome.status == "applied" and outcome.problems == 0, outcome
        ratio = cold / floor
        print(f"CSafeLoader floor (read + parse):  {floor:8.3f} s")
        print(f"cold ingest (clone + ingest):      {cold:8.3f} s   {outcome.entities:,} entities")
        print(
            f"cold ingest / floor:               {ratio:8.2f} x   target <= {COLD_RATIO_TARGET} x"
            f"  {'OK' if ratio <= COLD_RATIO_TARGET else 'MISSED'}"
        )

        export, single, floor_process = whole_processes(repo, root)
        ratio = export / floor_process
        print(f"CSafeLoader floor, whole process:  {floor_process:8.3f} s")
        print(
            f"catalog-service export, cold:      {export:8.3f} s"
            f"   on {available_processors()} processors"
        )
        print(
            f"  on one processor:                {single:8.3f} s   {single / floor_process:.2f} x"
            "   (a pod with a CPU limit of 1; no target)"
        )
        print(
            f"export process / floor process:    {ratio:8.2f} x   target <= {COLD_RATIO_TARGET} x"
            f"  {'OK' if ratio <= COLD_RATIO_TARGET else 'MISSED'}"
        )

        assert ingestor.snapshot is not None
        started = time.perf_counter()
        ingestor.snapshot.warm()  # every form: what is served first, then the YAML form
        ingestor.snapshot.warm_rest()
        print(f"first render (JSON, YAML, gzip):   {time.perf_counter() - started:8.3f} s")
        refresh_times, fetch_times, render_times = [], [], []
        source = ingestor.source
        fetch = source.fetch

        def timed_fetch() -> str:
            started = time.perf_counter()
            try:
                return fetch()
            finally:
                fetch_times.append(time.perf_counter() - started)

        source.fetch = timed_fetch  # type: ignore[method-assign]
        rng = random.Random(7)
        for round_ in range(args.refreshes):
            index = rng.randrange(args.manifests)
            path = repo / "apps" / f"system-{index % SYSTEMS:03d}" / f"app-{index:05d}.yaml"
            path.write_text(path.read_text().replace("replicas: 3", f"replicas: {4 + round_}"))
            git(repo, "-c", "user.name=b", "-c", "user.email=b@e", "commit", "-qam", "bump")
            started = time.perf_counter()
            outcome = ingestor.refresh()  # fetches the new commit, then ingests it
            refresh_times.append(time.perf_counter() - started)
            assert outcome.status == "applied" and outcome.changed_files == 1, outcome
            started = time.perf_counter()
            ingestor.snapshot.warm()  # only what changed is compressed again
            ingestor.snapshot.warm_rest()
            render_times.append(time.perf_counter() - started)
        refresh = median(refresh_times)
        fetched = median(fetch_times)
        print(
            f"one-file refresh (median of {args.refreshes}):  {refresh * 1000:6.1f} ms"
            f"   target < {REFRESH_TARGET_SECONDS * 1000:.0f} ms"
            f"  {'OK' if refresh < REFRESH_TARGET_SECONDS else 'MISSED'}"
            f"   (git fetch {fetched * 1000:.1f} ms + ingest {(refresh - fetched) * 1000:.1f} ms)"
        )
        print(f"refresh / cold ingest:             {refresh / cold:8.4f} x")
        print(
            f"render after a one-file refresh:   {median(render_times) * 1000:6.1f} ms"
            "   (every served form; time reported, no target)"
        )

        if not args.no_memory:
            rss = service_rss_mb(repo, root / "mirror-service")
            print(
                f"service RSS after serving JSON+YAML: {rss:6.0f} MB   target < {RSS_TARGET_MB} MB"
                f"  {'OK' if rss < RSS_TARGET_MB else 'MISSED'}"
            )
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
