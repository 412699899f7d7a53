"""How much does reviewing a change against a large catalog cost? Prints figures, one run.

    python -m bench.review [--manifests 10000] [--repeats 5]

A pull request or a ``POST /api/v1/validate`` usually touches one file of a large catalog: the
review must cost a small fraction of an ingest (issue 6: a one-manifest pull request checked and
its check run posted under 2 s on 10,000 manifests).
"""

from __future__ import annotations

import argparse
import functools
import random
import time
from collections.abc import Callable
from statistics import median

from bench.ingest import SYSTEMS, manifest
from catalog_service.domain.catalog import Catalog, assemble, compile_file
from catalog_service.domain.entities import EntityContext
from catalog_service.domain.pull_request_check import CheckReport, check_report
from catalog_service.domain.review import check_text, compile_changes, review

CONTEXT = EntityContext(
    environments=("dev", "staging", "prod"),
    links=(),
    location_prefix="url:https://github.com/acme/gitops/blob/main/",
    edit_url_prefix="https://github.com/acme/gitops/edit/main/",
)


def path_of(index: int) -> str:
    return f"apps/system-{index % SYSTEMS:03d}/app-{index:05d}.yaml"


def base_texts(count: int) -> dict[str, bytes]:
    rng = random.Random(42)
    return {path_of(index): manifest(index, rng).encode() for index in range(count)}


def base_catalog(texts: dict[str, bytes]) -> Catalog:
    files = [compile_file(path, texts[path], CONTEXT) for path in sorted(texts)]
    return assemble(files, CONTEXT)


def check_pull_request(base: Catalog, changes: dict[str, bytes | None]) -> CheckReport:
    """What the pull-request check computes once it has the changed files' bytes."""
    return check_report(review(base, compile_changes(changes, CONTEXT), CONTEXT))


def timed(repeats: int, run: Callable[[], object]) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return median(times) * 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--manifests", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    count, repeats = args.manifests, args.repeats
    started = time.perf_counter()
    texts = base_texts(count)
    base = base_catalog(texts)
    print(f"base: {count:,} manifests, {base.entity_count:,} entities,", end=" ")
    print(f"compiled and assembled in {time.perf_counter() - started:.2f} s")
    index = count // 2
    text = texts[path_of(index)].decode()
    cases: dict[str, dict[str, bytes | None]] = {
        "version bump (same shape)": {path_of(index): text.replace('"1.', '"2.').encode()},
        "component added (new shape)": {
            path_of(index): text.replace(
                "    - {name: cache", "    - {name: queue, type: sqs}\n    - {name: cache"
            ).encode()
        },
        "new manifest": {"apps/new/app-new.yaml": manifest(count, random.Random(7)).encode()},
        "deleted manifest": {path_of(index): None},
    }
    figure = timed(repeats, lambda: assemble(base.files, CONTEXT))
    print(f"assemble alone (the rules across files):   {figure:7.1f} ms")
    for name, changes in cases.items():
        figure = timed(repeats, functools.partial(check_pull_request, base, changes))
        print(f"review + check report, {name + ':':29} {figure:7.1f} ms")
    unnamed = text.encode()
    figure = timed(repeats, lambda: check_text(None, unnamed, CONTEXT, base))
    print(f"check_text without path (existing app):    {figure:7.1f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
