"""How fast are the self-service actions end to end? Prints figures measured in one run.

    python -m bench.actions [--manifests 10000] [--runs 7]

On a bare remote holding ``--manifests`` manifests (bench/ingest.py's generator), ingested once,
through ``ActionService`` (plan, audit row in SQLite, branch, pull request on the GitHub double):
- a dry-run promotion (read from the mirror, diff; target < 100 ms);
- a real promotion: branch pushed, pull request opened and labelled (target < 1 s);
- 20 concurrent promotions of different applications (target < 5 s).
"""

from __future__ import annotations

import argparse
import subprocess
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from statistics import median

from bench.ingest import make_repository
from catalog_service.actions.git_writer import GitWriter
from catalog_service.actions.requester import Requester
from catalog_service.actions.schemas import ActionResult, PromoteImageInput
from catalog_service.actions.service import ActionService
from catalog_service.actions.wiring import mirror_reader
from catalog_service.db import Database, upgrade
from catalog_service.service import build_ingestor, entity_context
from catalog_service.settings import load_settings
from tests.github.support import make_client
from tests.support.github_double import GitHubDouble
from tests.support.github_fixtures import DOUBLE_TOKEN

DRY_RUN_TARGET = 0.100
REAL_TARGET = 1.0
CONCURRENT_TARGET = 5.0
CONCURRENT = 20


def request(index: int, dry_run: bool) -> PromoteImageInput:
    return PromoteImageInput.model_validate(
        {
            "application": f"app-{index:05d}",
            "from": "dev",
            "requestedBy": "user:default/bench",
            "dryRun": dry_run,
        }
    )


def report(what: str, seconds: float, target: float) -> None:
    verdict = "ok" if seconds < target else "OVER TARGET"
    print(f"{what:<40} {seconds * 1000:9.1f} ms   target < {target * 1000:.0f} ms   {verdict}")


def _promote(service: ActionService, request: PromoteImageInput) -> ActionResult:
    """A call with a plain token: nothing here is protected."""
    return service.promote_image(request, Requester.of(request, None, trusted_token=False))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--manifests", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    with (
        tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as folder,
        GitHubDouble() as double,
    ):
        root = Path(folder)
        double.add_token(DOUBLE_TOKEN)
        work = make_repository(root, args.manifests)
        remote = root / "remote.git"
        subprocess.run(["git", "clone", "-q", "--bare", str(work), str(remote)], check=True)
        # No background gc in the remote: it would race the folder's removal at the end.
        subprocess.run(["git", "-C", str(remote), "config", "gc.auto", "0"], check=True)
        settings = load_settings(
            source={"url": str(remote), "cacheDir": str(root / "cache"), "pollSeconds": 3600},
            database={"url": f"sqlite:///{root / 'catalog.db'}"},
        )
        upgrade(settings.database.url)
        ingestor = build_ingestor(settings)
        started = time.perf_counter()
        ingestor.refresh()
        print(f"{args.manifests} manifests ingested in {time.perf_counter() - started:.1f} s")
        service = ActionService(
            settings=settings,
            context=entity_context(settings),
            database=Database(settings.database.url),
            snapshot=lambda: ingestor.snapshot,
            read=mirror_reader(ingestor),
            writer=GitWriter(
                settings.source.url,
                settings.source.roots,
                reference=getattr(ingestor.source, "git_dir", None),
            ),
            github=make_client(double, max_retries=0),
            repository="acme/gitops",
        )
        # Applications whose dev version staging does not run yet: promoting them changes a line.
        movable = [
            index
            for index in range(min(args.manifests, 400))
            if _promote(service, request(index, True)).changed
        ]
        dry = []
        for run in range(args.runs):
            started = time.perf_counter()
            assert _promote(service, request(movable[run % len(movable)], True)).changed
            dry.append(time.perf_counter() - started)
        real = []
        for run in range(args.runs):
            started = time.perf_counter()
            result = _promote(service, request(movable[run], False))
            real.append(time.perf_counter() - started)
            assert result.pullRequestUrl is not None
        batch = movable[args.runs : args.runs + CONCURRENT]
        started = time.perf_counter()
        with ThreadPoolExecutor(CONCURRENT) as pool:
            results = list(pool.map(lambda index: _promote(service, request(index, False)), batch))
        concurrent = time.perf_counter() - started
        assert all(result.pullRequestUrl for result in results)
        ingestor.close()
    report("dry-run promotion (median)", median(dry), DRY_RUN_TARGET)
    report("real promotion: branch + PR (median)", median(real), REAL_TARGET)
    report(f"{CONCURRENT} concurrent promotions", concurrent, CONCURRENT_TARGET)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
