"""Counting only the files linked to a change gives what assemble() of every file gives."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterable, Iterator

from catalog_service.adoption.tree import TreeState
from catalog_service.domain.catalog import assemble, compile_file
from catalog_service.sources.git import Change, TreeEntry
from tests.adoption.support import CONTEXT

NAMES = ("pay", "pay-api", "shop", "shop-db", "ledger")  # pay + api-db clashes with pay-api + db


class Blobs:
    """Blobs by sha, read like the git source reads them."""

    def __init__(self) -> None:
        self.data: dict[str, bytes] = {}

    def add(self, text: str) -> str:
        sha = f"{len(self.data):040x}"
        self.data[sha] = text.encode()
        return sha

    def read_blobs(self, shas: Iterable[str], max_size: int) -> Iterator[tuple[str, bytes | None]]:
        for sha in shas:
            yield sha, self.data[sha]


def random_manifest(rng: random.Random) -> str:
    name = rng.choice(NAMES)
    components = rng.choice(["", "  components: [{name: db, type: postgresql}]\n"])
    if name == "pay":
        components = "  components: [{name: api-db, type: postgresql}]\n"
    kind = rng.choice(["service", "vendor", "broken"])
    head = f"apiVersion: idp/v1alpha1\nkind: Application\nmetadata: {{name: {name}, "
    head += f"system: {rng.choice(['a', 'b'])}, owner: team}}\nspec:\n"
    if kind == "broken":
        return head + "  type: service\n"  # no source, image nor environments
    if kind == "vendor":
        return head + "  type: vendor\n  chart: {repository: https://c.example.com, name: x}\n"
    return head + "  type: service\n  source: {repository: acme/x}\n  image: r.io/x\n" + components


def full_counts(files: dict[str, bytes]) -> dict[tuple[str, str], int]:
    compiled = [compile_file(path, files[path], CONTEXT) for path in sorted(files)]
    catalog = assemble(compiled, CONTEXT)
    return dict(Counter((app.type, app.system) for app in catalog.applications))


def test_counts_after_random_changes_equal_a_full_assemble() -> None:
    rng = random.Random(8)
    blobs, tree = Blobs(), TreeState(CONTEXT)
    files: dict[str, bytes] = {}
    paths = [f"apps/{folder}/{index}.yaml" for folder in "xy" for index in range(6)]
    for _ in range(150):
        changes = []
        for path in rng.sample(paths, rng.randint(1, 3)):
            if path in files and rng.random() < 0.3:
                del files[path]
                changes.append(Change(path, None))
            else:
                sha = blobs.add(random_manifest(rng))
                files[path] = blobs.data[sha]
                changes.append(Change(path, TreeEntry(path, "100644", sha)))
        tree.prefetch(blobs, changes)
        tree.change(changes)
        if rng.random() < 0.5:  # several commits a day: counted at the day's end only
            assert tree.counts() == full_counts(files)
    assert tree.counts() == full_counts(files)
