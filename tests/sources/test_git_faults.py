"""GitSource under faults: a damaged mirror heals by a fresh clone, a failing remote leaves it
alone, git never runs past its deadline or the shutdown, and odd trees are listed faithfully."""

from __future__ import annotations

import os
import subprocess
import threading
from pathlib import Path

import pytest

from catalog_service.errors import SourceError
from catalog_service.sources.git import GitSource
from tests.sources.test_git import MIRROR, changes_by_path, paths, source_for
from tests.support.repos import GitOpsRepo
from tests.support.servers import HangingServer


def commit_two(gitops: GitOpsRepo) -> tuple[str, str]:
    gitops.add_application("a")
    first = gitops.commit()
    gitops.add_application("b")
    return first, gitops.commit()


def test_a_stale_ref_lock_is_healed_by_a_fresh_clone_keeping_gits_message(
    gitops: GitOpsRepo, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    gitops.add_application("a")
    gitops.commit()
    source = source_for(gitops, tmp_path)
    source.fetch()
    # What a git killed at the wrong moment leaves: every later fetch fails to lock the ref.
    lock = MIRROR(tmp_path) / "refs" / "heads" / "main.lock"
    lock.parent.mkdir(parents=True, exist_ok=True)
    lock.write_text("")
    gitops.add_application("b")
    head = gitops.commit()

    assert source.fetch() == head
    assert not lock.exists()
    assert paths(source.list_manifests(head)) == ["apps/shop/a.yaml", "apps/shop/b.yaml"]
    # git's own first error line, whole: the cause, not the advice that follows it.
    assert "error: cannot lock ref 'refs/heads/main': Unable to create" in caplog.text
    assert "main.lock': File exists." in caplog.text


def test_a_stale_lock_found_at_start_is_healed(gitops: GitOpsRepo, tmp_path: Path) -> None:
    _, head = commit_two(gitops)
    source_for(gitops, tmp_path).fetch()
    (MIRROR(tmp_path) / "refs" / "heads").mkdir(parents=True, exist_ok=True)
    (MIRROR(tmp_path) / "refs" / "heads" / "main.lock").write_text("")
    assert source_for(gitops, tmp_path).fetch() == head


def test_a_garbage_head_is_healed_by_a_fresh_clone(gitops: GitOpsRepo, tmp_path: Path) -> None:
    first, _ = commit_two(gitops)
    source_for(gitops, tmp_path).fetch()
    (MIRROR(tmp_path) / "HEAD").write_text("garbage\n")
    restarted = source_for(gitops, tmp_path)  # before: 503 forever, blaming the remote
    assert restarted.fetch() == gitops.head
    assert (MIRROR(tmp_path) / "HEAD").read_text().startswith("ref: refs/heads/main")
    assert paths(restarted.list_manifests(first)) == ["apps/shop/a.yaml"]


def test_a_garbage_ref_is_healed_by_a_fresh_clone(gitops: GitOpsRepo, tmp_path: Path) -> None:
    _, head = commit_two(gitops)
    source = source_for(gitops, tmp_path)
    source.fetch()
    (MIRROR(tmp_path) / "refs" / "heads").mkdir(parents=True, exist_ok=True)
    (MIRROR(tmp_path) / "refs" / "heads" / "main").write_text("not a commit\n")
    assert source_for(gitops, tmp_path).fetch() == head


def test_a_truncated_pack_is_healed_when_fetching_fails_on_it(
    gitops: GitOpsRepo, tmp_path: Path
) -> None:
    gitops.add_application("a")
    gitops.commit()
    source_for(gitops, tmp_path).fetch()
    for pack in (MIRROR(tmp_path) / "objects" / "pack").glob("*.pack"):
        pack.write_bytes(pack.read_bytes()[:40])
    gitops.add_application("b")
    head = gitops.commit()
    restarted = source_for(gitops, tmp_path)
    assert restarted.fetch() == head
    assert paths(restarted.list_manifests(head)) == ["apps/shop/a.yaml", "apps/shop/b.yaml"]


def test_an_unreachable_remote_keeps_the_mirror(gitops: GitOpsRepo, tmp_path: Path) -> None:
    first, _ = commit_two(gitops)
    source = source_for(gitops, tmp_path)
    source.fetch()
    head_file = MIRROR(tmp_path) / "HEAD"
    inode = head_file.stat().st_ino
    assert gitops.remote_dir is not None
    gitops.remote_dir.rename(gitops.remote_dir.with_name("moved.git"))
    with pytest.raises(SourceError) as raised:
        source.fetch()
    assert "does not appear to be a git repository" in raised.value.message
    assert head_file.stat().st_ino == inode, "the mirror was not cloned again"
    assert paths(source.list_manifests(first)) == ["apps/shop/a.yaml"]


def test_a_remote_that_never_answers_times_out_the_first_clone(
    hanging_server: HangingServer, tmp_path: Path
) -> None:
    source = GitSource(hanging_server.url, "main", ["apps"], tmp_path / "mirror", timeout=2)
    with pytest.raises(SourceError) as raised:
        source.fetch()
    message = raised.value.message
    assert message.startswith(f"cannot fetch {hanging_server.url}: git did not finish within 2 s")
    assert "source.timeoutSeconds" in message
    assert hanging_server.accepted >= 1
    assert not MIRROR(tmp_path).with_name("repo.git.partial").exists()


def test_close_stops_a_hanging_fetch_at_once(hanging_server: HangingServer, tmp_path: Path) -> None:
    source = GitSource(hanging_server.url, "main", ["apps"], tmp_path / "mirror", timeout=600)
    errors: list[SourceError] = []

    def fetch() -> None:
        try:
            source.fetch()
        except SourceError as error:
            errors.append(error)

    worker = threading.Thread(target=fetch, daemon=True)
    worker.start()
    while hanging_server.accepted == 0 and worker.is_alive():
        worker.join(timeout=0.05)
    source.close()
    worker.join(timeout=30)
    assert not worker.is_alive(), "close() left git running"
    assert [error.message for error in errors] == ["stopped: the service is shutting down"]
    # The whole process group is gone: the helper that held the connection closed it.
    deadline = threading.Event()
    while hanging_server.closed < hanging_server.accepted and not deadline.wait(0.05):
        pass
    assert hanging_server.closed == hanging_server.accepted


def test_file_names_that_are_not_utf8_are_listed(gitops: GitOpsRepo, tmp_path: Path) -> None:
    gitops.add_application("a")
    raw = b"apps/caf\xe9.yaml"  # Latin-1, as an old editor on another system wrote it
    (gitops.work_dir / os.fsdecode(raw)).write_bytes(b"kind: x\n")
    first = gitops.commit()
    source = source_for(gitops, tmp_path)
    source.fetch()
    names = paths(source.list_manifests(first))
    assert names == ["apps/caf\udce9.yaml", "apps/shop/a.yaml"]
    assert names[0].encode("utf-8", "surrogateescape") == raw

    gitops.delete("apps/caf\udce9.yaml")
    second = gitops.commit()
    source.fetch()
    assert changes_by_path(source.changes(first, second)) == {"apps/caf\udce9.yaml": None}


def test_a_manifest_replaced_by_a_submodule_is_a_deletion(
    gitops: GitOpsRepo, tmp_path: Path
) -> None:
    gitops.add_application("a")
    first = gitops.commit()
    # A gitlink (mode 160000) at the manifest's path, as `git submodule add` would leave.
    gitops.repo.git.rm("--cached", "--quiet", "apps/shop/a.yaml")
    gitops.delete("apps/shop/a.yaml")
    gitops.repo.git.update_index("--add", "--cacheinfo", f"160000,{first},apps/shop/a.yaml")
    gitops.repo.git.commit("--quiet", "--message", "submodule")
    gitops.push()
    second = gitops.head
    source = source_for(gitops, tmp_path)
    source.fetch()
    assert changes_by_path(source.changes(first, second)) == {"apps/shop/a.yaml": None}
    assert source.list_manifests(second) == []


def test_the_source_does_the_mirrors_housekeeping_itself(
    gitops: GitOpsRepo, tmp_path: Path
) -> None:
    gitops.add_application("a")
    gitops.commit()
    source = source_for(gitops, tmp_path, housekeeping_every=2)
    source.fetch()
    mirror = MIRROR(tmp_path)
    for key, value in (("fetch.unpackLimit", "1"), ("gc.autoPackLimit", "1")):
        subprocess.run(["git", f"--git-dir={mirror}", "config", key, value], check=True)

    def packs() -> int:
        return len(list((mirror / "objects" / "pack").glob("*.pack")))

    gitops.add_application("b")
    gitops.commit()
    source.fetch()  # the first fetch after the clone: housekeeping waits for the second
    assert packs() == 2, "the fetch brought a pack of its own, and fetch itself never gc's"
    source.fetch()
    assert packs() == 1, "gc --auto packed them into one"
