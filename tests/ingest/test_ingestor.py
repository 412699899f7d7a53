"""The Ingestor over real repositories: incremental recompiles, snapshots, the held-back guard."""

from __future__ import annotations

import gc
import json
import os
import shutil
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest

from catalog_service.domain.catalog import CompiledFile, compile_file
from catalog_service.domain.entities import EntityContext
from catalog_service.domain.parsing import MAX_FILE_BYTES
from catalog_service.errors import SourceError
from catalog_service.ingest import compiling
from catalog_service.ingest.ingestor import Ingestor, Snapshot
from catalog_service.service import build_ingestor
from catalog_service.sources.git import GitSource
from tests.sources.test_git import loose_object
from tests.support.manifests import application_yaml, system_yaml
from tests.support.repos import GitOpsRepo
from tests.support.settings import SettingsFactory


def seed(gitops: GitOpsRepo, count: int, system: str = "shop") -> list[str]:
    """``count`` applications of one system, without components: count + 1 entities."""
    return [gitops.add_application(f"app-{index}", system=system) for index in range(count)]


def current(ingestor: Ingestor) -> Snapshot:
    assert ingestor.snapshot is not None
    return ingestor.snapshot


def names(ingestor: Ingestor) -> set[str]:
    return {json.loads(doc)["metadata"]["name"] for doc in current(ingestor).catalog.documents}


class CompileCounter:
    """Records every file the ingestor compiles (parses and converts)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.paths: list[str] = []

        def counting(path: str, data: bytes, context: EntityContext) -> CompiledFile:
            self.paths.append(path)
            return compile_file(path, data, context)

        monkeypatch.setattr(compiling, "compile_file", counting)  # batches this small: in process


class BlobSpy:
    """Records every blob the ingestor asks the source for."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.requested: list[str] = []
        original = GitSource.read_blobs

        def spying(
            source: GitSource, shas: Iterable[str], max_size: int
        ) -> Iterator[tuple[str, bytes | None]]:
            wanted = list(shas)
            self.requested.extend(wanted)
            return original(source, wanted, max_size)

        monkeypatch.setattr(GitSource, "read_blobs", spying)


@pytest.fixture
def ingestor(make_settings: SettingsFactory) -> Ingestor:
    return build_ingestor(make_settings())


def test_the_first_refresh_applies_a_snapshot(gitops: GitOpsRepo, ingestor: Ingestor) -> None:
    gitops.add_application("payments-api", system="payments", components=[("db", "postgresql")])
    gitops.add_application("ledger-api", system="payments", depends_on=["payments-api"])
    gitops.write("apps/payments/system.yaml", system_yaml("payments"))
    head = gitops.commit()
    assert ingestor.snapshot is None and ingestor.last_success_at is None

    outcome = ingestor.refresh()

    assert outcome.status == "applied"
    assert outcome.revision == head
    assert (outcome.entities, outcome.problems, outcome.changed_files) == (4, 0, 3)
    assert outcome.reason is None
    snapshot = current(ingestor)
    assert snapshot.revision == head
    body = json.loads(snapshot.body)
    assert body["revision"] == head
    assert {(item["kind"], item["metadata"]["name"]) for item in body["items"]} == {
        ("System", "payments"),
        ("Component", "payments-api"),
        ("Resource", "payments-api-db"),
        ("Component", "ledger-api"),
    }
    assert snapshot.etag.startswith('"') and snapshot.etag.endswith('"')
    assert ingestor.last_error is None and ingestor.last_success_at is not None


def test_a_refresh_without_a_commit_is_unchanged(
    gitops: GitOpsRepo, ingestor: Ingestor, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed(gitops, 3)
    gitops.commit()
    ingestor.refresh()
    snapshot = current(ingestor)
    compiled = CompileCounter(monkeypatch)

    outcome = ingestor.refresh()

    assert outcome.status == "unchanged"
    assert outcome.changed_files == 0 and outcome.entities == 4
    assert ingestor.snapshot is snapshot, "the snapshot changes only when an ingest applies"
    assert compiled.paths == []


def test_after_one_file_changes_only_that_file_is_read_again(
    gitops: GitOpsRepo, ingestor: Ingestor, monkeypatch: pytest.MonkeyPatch
) -> None:
    paths = seed(gitops, 6)
    gitops.commit()
    ingestor.refresh()
    before = current(ingestor)
    compiled = CompileCounter(monkeypatch)
    blobs = BlobSpy(monkeypatch)

    gitops.add_application("app-2", description="Now with a description")
    head = gitops.commit()
    outcome = ingestor.refresh()

    assert outcome.status == "applied" and outcome.changed_files == 1
    assert compiled.paths == [paths[2]]
    changed_sha = gitops.repo.head.commit.tree[paths[2]].hexsha
    assert blobs.requested == [changed_sha]
    after = current(ingestor)
    assert after.revision == head and after.etag != before.etag
    app = next(
        json.loads(doc)
        for doc in after.catalog.documents
        if json.loads(doc)["metadata"]["name"] == "app-2"
    )
    assert app["metadata"]["description"] == "Now with a description"


def test_a_full_ingest_leaves_its_catalog_out_of_the_collectors_full_passes(
    gitops: GitOpsRepo, ingestor: Ingestor
) -> None:
    seed(gitops, 6)
    gitops.commit()
    gc.unfreeze()
    ingestor.refresh()
    frozen = gc.get_freeze_count()
    tracked = {id(obj) for obj in gc.get_objects()}
    catalog = current(ingestor).catalog
    assert frozen > 0 and id(catalog) not in tracked and id(catalog.files) not in tracked

    gitops.add_application("app-2", description="Now with a description")
    gitops.commit()
    ingestor.refresh()  # one file: nothing more is frozen, the new catalog is collected as usual
    assert gc.get_freeze_count() <= frozen  # fewer: frozen objects are freed when unused
    assert id(current(ingestor).catalog) in {id(obj) for obj in gc.get_objects()}


def test_deletes_renames_and_other_files_need_no_recompiling_beyond_the_new_path(
    gitops: GitOpsRepo, ingestor: Ingestor, monkeypatch: pytest.MonkeyPatch
) -> None:
    paths = seed(gitops, 6)
    gitops.write("README.md", "# GitOps\n")
    gitops.commit()
    ingestor.refresh()
    compiled = CompileCounter(monkeypatch)

    gitops.delete(paths[0])
    gitops.commit()
    outcome = ingestor.refresh()
    assert (outcome.status, outcome.changed_files, compiled.paths) == ("applied", 1, [])
    assert "app-0" not in names(ingestor)

    gitops.rename(paths[1], "apps/elsewhere/app-1.yaml")
    gitops.commit()
    outcome = ingestor.refresh()
    assert outcome.changed_files == 2 and compiled.paths == ["apps/elsewhere/app-1.yaml"]
    assert "app-1" in names(ingestor)

    gitops.write("README.md", "# GitOps, described\n")
    head = gitops.commit()
    outcome = ingestor.refresh()
    assert (outcome.status, outcome.changed_files) == ("applied", 0)
    assert current(ingestor).revision == head, "a new commit is a new revision"
    assert compiled.paths == ["apps/elsewhere/app-1.yaml"]


def test_a_force_push_is_ingested(gitops: GitOpsRepo, ingestor: Ingestor) -> None:
    seed(gitops, 3)
    base = gitops.commit()
    gitops.add_application("short-lived")
    gitops.commit()
    ingestor.refresh()
    assert "short-lived" in names(ingestor)

    gitops.rewrite_history(base)
    gitops.add_application("replacement")
    rewritten = gitops.commit(push=False)
    gitops.push(force=True)

    outcome = ingestor.refresh()
    assert outcome.status == "applied" and outcome.revision == rewritten
    assert names(ingestor) == {"shop", "app-0", "app-1", "app-2", "replacement"}


def test_a_failing_source_keeps_the_last_snapshot_and_says_why(
    gitops: GitOpsRepo, ingestor: Ingestor, caplog: pytest.LogCaptureFixture
) -> None:
    seed(gitops, 2)
    gitops.commit()
    ingestor.refresh()
    snapshot = current(ingestor)
    succeeded_at = ingestor.last_success_at
    assert gitops.remote_dir is not None
    moved = gitops.remote_dir.rename(gitops.remote_dir.with_name("moved.git"))

    with pytest.raises(SourceError):
        ingestor.refresh()

    assert ingestor.snapshot is snapshot
    assert ingestor.last_error is not None
    assert ingestor.last_error.startswith(f"cannot fetch {gitops.url}")
    assert ingestor.last_success_at == succeeded_at
    assert "still serving the last good catalog" in caplog.text

    moved.rename(gitops.remote_dir)
    gitops.add_application("app-9")
    gitops.commit()
    assert ingestor.refresh().status == "applied"
    assert ingestor.last_error is None
    assert "app-9" in names(ingestor)


def test_a_failing_source_before_the_first_ingest_leaves_no_snapshot(
    make_settings: SettingsFactory,
) -> None:
    ingestor = build_ingestor(make_settings(source={"branch": "release"}))
    with pytest.raises(SourceError):
        ingestor.refresh()
    assert ingestor.snapshot is None
    assert ingestor.last_error is not None and "branch 'release'" in ingestor.last_error


def test_a_corrupt_mirror_is_cloned_again_in_the_same_refresh(
    gitops: GitOpsRepo,
    make_settings: SettingsFactory,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    paths = seed(gitops, 2)
    gitops.commit()
    settings = make_settings()
    build_ingestor(settings).refresh()
    blob = gitops.repo.head.commit.tree[paths[0]].hexsha
    loose_object(tmp_path / "mirror" / "repo.git", blob).unlink()

    restarted = build_ingestor(settings)  # a restarted service: a cold ingest from the mirror
    assert restarted.refresh().status == "applied"
    assert restarted.last_error is None
    assert current(restarted).catalog.manifest_files == 2
    assert f"and cloning it again: cannot read blob {blob}" in caplog.text


def test_finding_no_manifests_is_held_back_until_forced(
    gitops: GitOpsRepo, ingestor: Ingestor, caplog: pytest.LogCaptureFixture
) -> None:
    seed(gitops, 3)
    gitops.commit()
    ingestor.refresh()
    snapshot = current(ingestor)
    gitops.delete("apps")
    emptied = gitops.commit()

    outcome = ingestor.refresh()

    assert outcome.status == "held-back" and outcome.revision == emptied
    assert outcome.reason is not None and "no manifest files found" in outcome.reason
    assert ingestor.snapshot is snapshot
    assert ingestor.held_back is not None and ingestor.held_back.revision == emptied
    assert "held back" in caplog.text
    # Asking again does not apply it either.
    assert ingestor.refresh().status == "held-back"
    assert ingestor.snapshot is snapshot

    forced = ingestor.refresh(force=True)

    assert forced.status == "applied" and forced.entities == 0
    assert current(ingestor).revision == emptied
    assert current(ingestor).catalog.entity_count == 0
    assert ingestor.held_back is None


def test_a_held_back_ingest_is_superseded_by_a_good_commit(
    gitops: GitOpsRepo, ingestor: Ingestor
) -> None:
    paths = seed(gitops, 4)
    gitops.commit()
    ingestor.refresh()
    for path in paths[:3]:
        gitops.delete(path)
    gitops.commit()
    assert ingestor.refresh().status == "held-back"

    seed(gitops, 4)  # the deletion was reverted
    restored = gitops.commit()
    outcome = ingestor.refresh()
    assert outcome.status == "applied" and outcome.revision == restored
    assert ingestor.held_back is None
    assert names(ingestor) == {"shop", "app-0", "app-1", "app-2", "app-3"}


def test_removing_more_than_half_of_the_entities_is_held_back(
    gitops: GitOpsRepo, ingestor: Ingestor
) -> None:
    paths = seed(gitops, 4)  # 5 entities: 4 components and their system
    gitops.commit()
    ingestor.refresh()
    snapshot = current(ingestor)

    for path in paths[:3]:  # 3 of 5 entities: 60 %
        gitops.delete(path)
    gitops.commit()
    outcome = ingestor.refresh()

    assert outcome.status == "held-back"
    assert outcome.reason is not None and "would remove 3 of 5 entities" in outcome.reason
    assert ingestor.snapshot is snapshot
    assert ingestor.refresh(force=True).status == "applied"
    assert names(ingestor) == {"shop", "app-3"}


def test_removing_half_of_the_entities_or_less_is_applied(
    gitops: GitOpsRepo, ingestor: Ingestor
) -> None:
    paths = seed(gitops, 3)  # 4 entities
    gitops.commit()
    ingestor.refresh()
    for path in paths[:2]:  # 2 of 4: exactly half
        gitops.delete(path)
    gitops.commit()
    assert ingestor.refresh().status == "applied"
    assert names(ingestor) == {"shop", "app-2"}


@pytest.mark.parametrize(
    ("guard", "deleted", "expected"),
    [
        ({"holdBackEmpty": False, "maxRemovedFraction": 1}, 4, "applied"),
        ({"holdBackEmpty": True, "maxRemovedFraction": 1}, 4, "held-back"),
        ({"holdBackEmpty": False}, 4, "held-back"),  # the other guard still holds it back
        ({"holdBackEmpty": False, "maxRemovedFraction": 0.5}, 3, "held-back"),
        ({"maxRemovedFraction": 0.8}, 3, "applied"),
        ({"maxRemovedFraction": 0.2}, 1, "applied"),
        ({"maxRemovedFraction": 0.2}, 2, "held-back"),
        ({"maxRemovedFraction": 0}, 1, "held-back"),
        ({"maxRemovedFraction": 1}, 3, "applied"),
    ],
)
def test_both_hold_back_thresholds_are_configurable(
    gitops: GitOpsRepo,
    make_settings: SettingsFactory,
    guard: dict[str, Any],
    deleted: int,
    expected: str,
) -> None:
    paths = seed(gitops, 4)  # 5 entities
    gitops.commit()
    ingestor = build_ingestor(make_settings(ingest=guard))
    ingestor.refresh()
    for path in paths[:deleted]:
        gitops.delete(path)
    gitops.commit()
    assert ingestor.refresh().status == expected


def test_an_empty_repository_at_the_first_ingest_is_applied(
    gitops: GitOpsRepo, ingestor: Ingestor
) -> None:
    gitops.write("README.md", "nothing here yet\n")
    gitops.commit()
    outcome = ingestor.refresh()
    assert outcome.status == "applied" and outcome.entities == 0


def test_a_bad_file_never_keeps_the_good_ones_out(gitops: GitOpsRepo, ingestor: Ingestor) -> None:
    seed(gitops, 2)
    gitops.write("apps/broken.yaml", "apiVersion: idp/v1alpha1\nkind: Application: x\n")
    gitops.write("apps/latin1.yaml", "metadata:\n  name: caf\xe9\n".encode("latin-1"))
    gitops.write("apps/huge.yaml", b"# padding\n" * (MAX_FILE_BYTES // 10 + 1))
    gitops.symlink("apps/link.yaml", "shop/app-0.yaml")
    gitops.symlink("apps/escape.yaml", "../../../../etc/passwd")
    typo = application_yaml("typo").replace("owner:", "ownr:")
    gitops.write("apps/typo.yaml", typo)
    gitops.commit()

    outcome = ingestor.refresh()

    assert outcome.status == "applied"
    assert names(ingestor) == {"shop", "app-0", "app-1"}
    problems = {problem.path: problem for problem in current(ingestor).catalog.problems}
    assert set(problems) == {
        "apps/broken.yaml",
        "apps/latin1.yaml",
        "apps/huge.yaml",
        "apps/link.yaml",
        "apps/escape.yaml",
        "apps/typo.yaml",
    }
    assert (problems["apps/broken.yaml"].line, problems["apps/broken.yaml"].column) == (2, 18)
    assert problems["apps/latin1.yaml"].line == 2
    assert "symbolic link" in problems["apps/escape.yaml"].message
    assert "symbolic link" in problems["apps/link.yaml"].message
    assert "larger than" in problems["apps/huge.yaml"].message
    assert problems["apps/typo.yaml"].line == 6
    assert outcome.problems == len(current(ingestor).catalog.problems)

    gitops.write("apps/typo.yaml", typo.replace("ownr:", "owner:"))
    gitops.commit()
    assert ingestor.refresh().status == "applied"
    assert "typo" in names(ingestor)
    assert "apps/typo.yaml" not in {p.path for p in current(ingestor).catalog.problems}


def test_concurrent_refreshes_take_turns(gitops: GitOpsRepo, ingestor: Ingestor) -> None:
    seed(gitops, 3)
    gitops.commit()
    statuses: list[str] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            statuses.append(ingestor.refresh().status)
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    assert sorted(statuses) == ["applied", "unchanged", "unchanged", "unchanged"]


def test_a_mirror_removed_while_running_is_recovered(
    gitops: GitOpsRepo, ingestor: Ingestor, tmp_path: Path
) -> None:
    seed(gitops, 2)
    gitops.commit()
    ingestor.refresh()
    shutil.rmtree(tmp_path / "mirror")
    gitops.add_application("app-2")
    head = gitops.commit()
    outcome = ingestor.refresh()
    assert outcome.status == "applied" and outcome.revision == head
    assert names(ingestor) == {"shop", "app-0", "app-1", "app-2"}


@pytest.mark.parametrize(
    "change",
    [
        pytest.param({"version": "2.0.0"}, id="a-version-bump"),
        pytest.param({"owner": "team-other"}, id="a-new-owner"),
        pytest.param({"depends_on": ["nowhere"]}, id="a-broken-dependency"),
    ],
)
def test_a_refreshed_catalog_equals_a_cold_ingest_of_the_same_commit(
    gitops: GitOpsRepo, make_settings: SettingsFactory, tmp_path: Path, change: dict[str, Any]
) -> None:
    seed(gitops, 5)
    gitops.add_application("payments-api", system="payments", components=[("db", "postgresql")])
    gitops.commit()
    ingestor = build_ingestor(make_settings())
    ingestor.refresh()

    gitops.add_application(
        "payments-api", system="payments", components=[("db", "postgresql")], **change
    )
    gitops.commit()
    assert ingestor.refresh().changed_files == 1
    cold = build_ingestor(make_settings(source={"cacheDir": str(tmp_path / "cold-mirror")}))
    cold.refresh()

    assert current(ingestor).catalog == current(cold).catalog
    assert current(ingestor).body == current(cold).body
    assert current(ingestor).etag == current(cold).etag


@pytest.mark.parametrize(
    ("path", "content", "expected"),
    [
        (
            b"apps/caf\xe9.yaml",
            application_yaml("cafe").encode(),
            "apps/caf\\xe9.yaml:1:1: the file name is not valid UTF-8",
        ),
        (b"apps/shop/bool.yaml", b"kind: !!bool maybe\n", "apps/shop/bool.yaml:1:7:"),
        (b"apps/shop/int.yaml", b'apiVersion: !!int ""\n', "apps/shop/int.yaml:1:13:"),
        (b"apps/shop/set.yaml", b"<<: !!set {a}\n", "apps/shop/set.yaml:1:"),
    ],
)
def test_hostile_files_in_a_commit_are_problems_and_later_commits_still_apply(
    gitops: GitOpsRepo, ingestor: Ingestor, path: bytes, content: bytes, expected: str
) -> None:
    gitops.add_application("kept")
    target = gitops.work_dir / os.fsdecode(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(content)
    gitops.commit()

    outcome = ingestor.refresh()

    assert outcome.status == "applied"
    problems = [str(problem) for problem in current(ingestor).catalog.problems]
    assert len(problems) == 1 and problems[0].startswith(expected), problems
    json.loads(current(ingestor).body)  # the served forms stay encodable
    assert names(ingestor) >= {"kept"} and ingestor.last_error is None
    # The catalog is not frozen: the next good commit is applied.
    gitops.add_application("later")
    gitops.commit()
    assert ingestor.refresh().status == "applied"
    assert "later" in names(ingestor)
