"""Property: after any sequence of commits, the catalog an incremental refresh built equals a cold
ingest of the same commit. Commits are made with git's plumbing, so that every kind of tree entry
(files, symbolic links, submodules) can take any path."""

from __future__ import annotations

import gzip
import subprocess
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from catalog_service.ingest.ingestor import Ingestor
from catalog_service.service import entity_context
from catalog_service.settings import IngestSettings, load_settings
from catalog_service.sources.git import GitSource
from tests.support.manifests import application_yaml

CONTEXT = entity_context(load_settings(None, source={"url": "/srv/gitops"}))
PATHS = ["apps/a.yaml", "apps/b.yaml", "apps/x/c.yaml", "apps/x/d.yml", "other/e.yaml"]
CONTENTS = [
    application_yaml("alpha").encode(),
    application_yaml("alpha", version="2.0.0").encode(),
    application_yaml("beta", depends_on=["alpha"]).encode(),
    application_yaml("gamma", system="other", components=[("db", "redis")]).encode(),
    b"kind: [unclosed\n",
]

path = st.sampled_from(PATHS)
OPERATION = st.one_of(
    st.tuples(st.just("write"), path, st.integers(0, len(CONTENTS) - 1)),
    st.tuples(st.just("delete"), path),
    st.tuples(st.just("rename"), path, path),
    st.tuples(st.just("submodule"), path),
    st.tuples(st.just("symlink"), path, path),
)

Tree = dict[str, tuple[str, bytes]]  # path -> (mode, blob content, or the gitlink's commit)


def git(
    repo: Path, *args: str, stdin: bytes | None = None, env: dict[str, str] | None = None
) -> str:
    result = subprocess.run(
        ["git", f"--git-dir={repo}", *args], input=stdin, capture_output=True, check=True, env=env
    )
    return result.stdout.decode().strip()


def apply(tree: Tree, operation: tuple[object, ...], head: str) -> None:
    kind, target = operation[0], str(operation[1])
    if kind == "write":
        tree[target] = ("100644", CONTENTS[int(str(operation[2]))])
    elif kind == "delete":
        tree.pop(target, None)
    elif kind == "rename" and target in tree:
        tree[str(operation[2])] = tree.pop(target)
    elif kind == "submodule":
        tree[target] = ("160000", head.encode())
    elif kind == "symlink":
        tree[target] = ("120000", str(operation[2]).encode())


def commit(repo: Path, tree: Tree, parent: str | None, index: Path) -> str:
    env = {"GIT_INDEX_FILE": str(index), "PATH": "/usr/bin:/bin", "HOME": str(index.parent)}
    git(repo, "read-tree", "--empty", env=env)
    lines = []
    for name, (mode, content) in sorted(tree.items()):
        sha = (
            content.decode()
            if mode == "160000"
            else git(repo, "hash-object", "-w", "--stdin", stdin=content)
        )
        lines.append(f"{mode} {sha}\t{name}\n")
    git(repo, "update-index", "--index-info", stdin="".join(lines).encode(), env=env)
    written = git(repo, "write-tree", env=env)
    identity = ["-c", "user.name=t", "-c", "user.email=t@example.com"]
    parents = ["-p", parent] if parent else []
    sha = git(repo, *identity, "commit-tree", written, *parents, "-m", "step")
    git(repo, "update-ref", "refs/heads/main", sha)
    return sha


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(OPERATION, min_size=1, max_size=6))
def test_every_refresh_equals_a_cold_ingest_of_its_commit(
    operations: list[tuple[object, ...]],
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        repo = root / "remote.git"
        subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(repo)], check=True)
        tree: Tree = {"apps/a.yaml": ("100644", CONTENTS[0])}
        head = commit(repo, tree, None, root / "index")
        source = GitSource(str(repo), "main", ["apps"], root / "mirror")
        try:
            incremental = Ingestor(source, CONTEXT, IngestSettings())
            incremental.refresh(force=True)
            for operation in operations:
                apply(tree, operation, head)
                head = commit(repo, tree, head, root / "index")
                assert incremental.refresh(force=True).revision == head
                cold = Ingestor(source, CONTEXT, IngestSettings())
                cold.refresh(force=True)
                assert incremental.snapshot is not None and cold.snapshot is not None
                assert incremental.snapshot.catalog == cold.snapshot.catalog, operation
                assert incremental.snapshot.body == cold.snapshot.body
                # The incremental gzip forms, from segments kept across refreshes, decode to
                # the bodies a cold ingest renders.
                for ours, theirs in (
                    (incremental.snapshot.json_form, cold.snapshot.json_form),
                    (incremental.snapshot.yaml_form, cold.snapshot.yaml_form),
                ):
                    assert gzip.decompress(ours.gzip) == theirs.body
        finally:
            source.close()
