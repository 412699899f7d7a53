"""GitSource against real repositories: local paths, a bare remote, and git's smart HTTP."""

from __future__ import annotations

import shutil
import subprocess
import threading
from pathlib import Path

import pytest

from catalog_service.errors import SourceError
from catalog_service.sources.git import SYMLINK_MODE, Change, GitSource, TreeEntry
from catalog_service.sources.mirror import MARKER
from tests.support.manifests import application_yaml
from tests.support.repos import GitOpsRepo
from tests.support.servers import GitHttpServer, free_port


def source_for(gitops: GitOpsRepo, tmp_path: Path, **kwargs: object) -> GitSource:
    options: dict[str, object] = {
        "url": gitops.url,
        "branch": "main",
        "roots": ["apps"],
        "mirror_dir": tmp_path / "mirror",
    }
    options.update(kwargs)
    return GitSource(**options)  # type: ignore[arg-type]


def MIRROR(tmp_path: Path) -> Path:  # noqa: N802
    """The bare repository inside the mirror folder (``source.cacheDir``)."""
    return tmp_path / "mirror" / "repo.git"


def paths(entries: list[TreeEntry]) -> list[str]:
    return sorted(entry.path for entry in entries)


def read(source: GitSource, entries: list[TreeEntry]) -> dict[str, bytes | None]:
    by_sha = dict(source.read_blobs([entry.sha for entry in entries], 1 << 20))
    return {entry.path: by_sha[entry.sha] for entry in entries}


def changes_by_path(changes: list[Change]) -> dict[str, TreeEntry | None]:
    assert len({change.path for change in changes}) == len(changes)
    return {change.path: change.entry for change in changes}


def test_first_fetch_clones_a_bare_mirror_and_reads_the_committed_tree(
    gitops: GitOpsRepo, tmp_path: Path
) -> None:
    gitops.add_application("payments-api", system="payments")
    gitops.add_application("ledger-api", system="payments")
    head = gitops.commit()
    # Uncommitted work is not what the service serves.
    gitops.add_application("draft", system="payments")

    source = source_for(gitops, tmp_path)
    assert source.fetch() == head

    mirror = MIRROR(tmp_path)
    assert (mirror / "HEAD").is_file() and (mirror / "objects").is_dir()
    assert not (mirror / "apps").exists(), "the mirror is bare: no work tree"
    assert not mirror.with_name("repo.git.partial").exists()
    assert (tmp_path / "mirror" / MARKER).is_file(), "the folder is marked as the service's"
    entries = source.list_manifests(head)
    assert paths(entries) == ["apps/payments/ledger-api.yaml", "apps/payments/payments-api.yaml"]
    assert all(entry.mode == "100644" and not entry.is_symlink for entry in entries)
    contents = read(source, entries)
    assert (
        contents["apps/payments/ledger-api.yaml"]
        == application_yaml("ledger-api", system="payments").encode()
    )


def test_fetch_reuses_the_mirror_and_follows_new_commits(
    gitops: GitOpsRepo, tmp_path: Path
) -> None:
    gitops.add_application("a")
    first = gitops.commit()
    assert source_for(gitops, tmp_path).fetch() == first

    second_commit = gitops.add_application("b")
    second = gitops.commit()
    # A new GitSource (a restarted service) finds the existing mirror and fetches into it.
    again = source_for(gitops, tmp_path)
    assert again.fetch() == second
    assert paths(again.list_manifests(second)) == ["apps/shop/a.yaml", second_commit]
    assert again.fetch() == second, "fetching again without a commit answers the same commit"


def test_changes_reports_added_modified_deleted_and_renamed_files(
    gitops: GitOpsRepo, tmp_path: Path
) -> None:
    for name in ("changed", "deleted", "renamed", "untouched"):
        gitops.add_application(name)
    old = gitops.commit()
    source = source_for(gitops, tmp_path)
    source.fetch()

    gitops.add_application("changed", description="Now described")
    gitops.delete("apps/shop/deleted.yaml")
    gitops.rename("apps/shop/renamed.yaml", "apps/moved/renamed.yaml")
    gitops.add_application("added")
    new = gitops.commit()
    assert source.fetch() == new

    found = changes_by_path(source.changes(old, new))
    assert set(found) == {
        "apps/shop/changed.yaml",
        "apps/shop/deleted.yaml",
        "apps/shop/renamed.yaml",
        "apps/moved/renamed.yaml",
        "apps/shop/added.yaml",
    }
    assert found["apps/shop/deleted.yaml"] is None
    assert found["apps/shop/renamed.yaml"] is None, "a rename is a delete and an add"
    current = {entry.path: entry for entry in source.list_manifests(new)}
    for path in ("apps/shop/changed.yaml", "apps/moved/renamed.yaml", "apps/shop/added.yaml"):
        assert found[path] == current[path]
    assert read(source, [current["apps/shop/changed.yaml"]])["apps/shop/changed.yaml"] == (
        application_yaml("changed", description="Now described").encode()
    )
    assert source.changes(new, new) == []


def test_a_force_push_is_followed(gitops: GitOpsRepo, tmp_path: Path) -> None:
    gitops.add_application("base")
    base = gitops.commit()
    gitops.add_application("dropped")
    dropped = gitops.commit()
    source = source_for(gitops, tmp_path)
    assert source.fetch() == dropped

    gitops.rewrite_history(base)
    gitops.add_application("replacement")
    rewritten = gitops.commit(push=False)
    gitops.push(force=True)

    assert source.fetch() == rewritten
    assert paths(source.list_manifests(rewritten)) == [
        "apps/shop/base.yaml",
        "apps/shop/replacement.yaml",
    ]
    found = changes_by_path(source.changes(dropped, rewritten))
    assert set(found) == {"apps/shop/dropped.yaml", "apps/shop/replacement.yaml"}
    assert found["apps/shop/dropped.yaml"] is None


def test_a_missing_branch_is_a_source_error_naming_it(gitops: GitOpsRepo, tmp_path: Path) -> None:
    gitops.add_application("a")
    gitops.commit()
    with pytest.raises(SourceError) as raised:
        source_for(gitops, tmp_path, branch="release").fetch()
    assert "branch 'release' does not exist" in raised.value.message
    assert gitops.url in raised.value.message
    assert not MIRROR(tmp_path).exists(), "a failed clone leaves no mirror behind"
    assert not MIRROR(tmp_path).with_name("repo.git.partial").exists()


def test_a_branch_deleted_after_the_first_fetch_is_a_source_error(
    gitops: GitOpsRepo, tmp_path: Path
) -> None:
    gitops.add_application("a")
    gitops.commit()
    source = source_for(gitops, tmp_path)
    source.fetch()
    gitops.delete_branch_on_remote("main")
    with pytest.raises(SourceError, match="branch 'main' does not exist"):
        source.fetch()


def test_a_remote_path_that_does_not_exist_is_a_source_error(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-repository"
    source = GitSource(str(missing), "main", ["apps"], tmp_path / "mirror")
    with pytest.raises(SourceError) as raised:
        source.fetch()
    assert raised.value.message.startswith(f"cannot fetch {missing}:")
    assert "does not exist" in raised.value.message


def test_an_http_remote_on_a_closed_port_is_a_source_error(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}/gitops.git"
    source = GitSource(url, "main", ["apps"], tmp_path / "mirror")
    with pytest.raises(SourceError) as raised:
        source.fetch()
    assert raised.value.message.startswith(f"cannot fetch {url}:")
    assert "connect" in raised.value.message.lower()


def test_a_remote_that_disappears_after_the_first_fetch_is_a_source_error(
    gitops: GitOpsRepo, tmp_path: Path
) -> None:
    gitops.add_application("a")
    head = gitops.commit()
    source = source_for(gitops, tmp_path)
    source.fetch()
    assert gitops.remote_dir is not None
    gitops.remote_dir.rename(gitops.remote_dir.with_name("moved.git"))
    with pytest.raises(SourceError, match="cannot fetch"):
        source.fetch()
    # What was fetched before is still readable.
    assert paths(source.list_manifests(head)) == ["apps/shop/a.yaml"]


def test_a_missing_blob_in_the_mirror_is_a_source_error(gitops: GitOpsRepo, tmp_path: Path) -> None:
    gitops.add_application("a")
    gitops.add_application("b")
    head = gitops.commit()
    source = source_for(gitops, tmp_path)
    source.fetch()
    entries = source.list_manifests(head)
    loose_object(MIRROR(tmp_path), entries[0].sha).unlink()

    with pytest.raises(SourceError, match=f"cannot read blob {entries[0].sha}"):
        read(source, entries)


def test_a_missing_tree_in_the_mirror_is_a_source_error(gitops: GitOpsRepo, tmp_path: Path) -> None:
    gitops.add_application("a")
    head = gitops.commit()
    source = source_for(gitops, tmp_path)
    source.fetch()
    tree = gitops.repo.head.commit.tree.hexsha
    loose_object(MIRROR(tmp_path), tree).unlink()
    with pytest.raises(SourceError, match="cannot read the mirror"):
        source.list_manifests(head)


def test_a_missing_blob_among_thousands_fails_instead_of_hanging(tmp_path: Path) -> None:
    # Enough requests and answers to fill both pipes of `git cat-file --batch`: stopping at the
    # missing blob must not leave the request writer and git blocked on each other.
    gitops = GitOpsRepo(tmp_path / "gitops", bare_remote=False)  # loose objects, hard-linked
    padding = "#" * 1000
    for index in range(2000):
        gitops.write(f"apps/f{index:04}.yaml", f"{padding}\nindex: {index}\n")
    head = gitops.commit()
    source = source_for(gitops, tmp_path)
    source.fetch()
    entries = source.list_manifests(head)
    loose_object(MIRROR(tmp_path), entries[0].sha).unlink()

    errors: list[SourceError] = []

    def consume() -> None:
        try:
            read(source, entries)
        except SourceError as error:
            errors.append(error)

    reader = threading.Thread(target=consume, daemon=True)
    reader.start()
    reader.join(timeout=20)
    assert not reader.is_alive(), "read_blobs deadlocked on a missing object"
    assert len(errors) == 1


def test_symbolic_links_are_reported_as_symlinks_and_never_followed(
    gitops: GitOpsRepo, tmp_path: Path
) -> None:
    gitops.add_application("real")
    gitops.symlink("apps/shop/inside.yaml", "real.yaml")
    gitops.symlink("apps/shop/outside.yaml", "../../../../../../etc/passwd")
    head = gitops.commit()
    source = source_for(gitops, tmp_path)
    source.fetch()

    entries = {entry.path: entry for entry in source.list_manifests(head)}
    assert set(entries) == {
        "apps/shop/real.yaml",
        "apps/shop/inside.yaml",
        "apps/shop/outside.yaml",
    }
    assert not entries["apps/shop/real.yaml"].is_symlink
    for link in ("apps/shop/inside.yaml", "apps/shop/outside.yaml"):
        assert entries[link].is_symlink and entries[link].mode == SYMLINK_MODE
    # The blob of a link is its target, not the file it points to.
    blobs = read(source, [entries["apps/shop/outside.yaml"]])
    assert blobs["apps/shop/outside.yaml"] == b"../../../../../../etc/passwd"

    # A regular file replaced by a link is a change to a symlink entry.
    gitops.delete("apps/shop/real.yaml")
    gitops.symlink("apps/shop/real.yaml", "inside.yaml")
    new = gitops.commit()
    source.fetch()
    changed = changes_by_path(source.changes(head, new))
    entry = changed["apps/shop/real.yaml"]
    assert entry is not None and entry.is_symlink


def test_files_outside_the_roots_and_other_suffixes_are_ignored(
    gitops: GitOpsRepo, tmp_path: Path
) -> None:
    manifest = application_yaml("a")
    for path in (
        "apps/a.yaml",
        "apps/deep/er/b.yml",
        "platform/c.yaml",
        "c.yaml",
        "apps-old/d.yaml",
        "docs/apps/e.yaml",
        "apps/README.md",
        "apps/f.yaml.bak",
        "apps/g.json",
        "more/h.yaml",
    ):
        gitops.write(path, manifest)
    head = gitops.commit()
    source = source_for(gitops, tmp_path, roots=["apps", "more"])
    source.fetch()
    assert paths(source.list_manifests(head)) == [
        "apps/a.yaml",
        "apps/deep/er/b.yml",
        "more/h.yaml",
    ]

    for path in ("platform/c.yaml", "apps/README.md", "apps-old/d.yaml"):
        gitops.write(path, manifest + "# changed\n")
    gitops.write("apps/a.yaml", manifest + "# changed\n")
    new = gitops.commit()
    source.fetch()
    assert [change.path for change in source.changes(head, new)] == ["apps/a.yaml"]

    whole = source_for(gitops, tmp_path, roots=["."])
    assert len(whole.list_manifests(new)) == 7, "'.' as a root means the whole repository"


def test_blobs_over_the_limit_are_not_read(gitops: GitOpsRepo, tmp_path: Path) -> None:
    gitops.write("apps/small.yaml", "a: 1\n")
    gitops.write("apps/big.yaml", b"x" * 5000)
    gitops.write("apps/exact.yaml", b"y" * 4096)
    gitops.write("apps/tail.yaml", "z: 3\n")
    head = gitops.commit()
    source = source_for(gitops, tmp_path)
    source.fetch()
    entries = {entry.path: entry for entry in source.list_manifests(head)}
    order = ["apps/small.yaml", "apps/big.yaml", "apps/exact.yaml", "apps/tail.yaml"]
    answers = list(source.read_blobs([entries[path].sha for path in order], max_size=4096))
    assert answers == [
        (entries["apps/small.yaml"].sha, b"a: 1\n"),
        (entries["apps/big.yaml"].sha, None),
        (entries["apps/exact.yaml"].sha, b"y" * 4096),
        (entries["apps/tail.yaml"].sha, b"z: 3\n"),
    ]
    assert list(source.read_blobs([], max_size=10)) == []


def test_clones_and_fetches_over_git_smart_http(
    gitops: GitOpsRepo, git_http_server: GitHttpServer, tmp_path: Path
) -> None:
    gitops.add_application("a")
    first = gitops.commit()
    url = f"{git_http_server.base_url}/remote.git"
    source = GitSource(url, "main", ["apps"], tmp_path / "mirror")
    assert source.fetch() == first
    assert read(source, source.list_manifests(first)) == {
        "apps/shop/a.yaml": application_yaml("a").encode()
    }

    gitops.add_application("a", description="Changed")
    gitops.add_application("b")
    second = gitops.commit()
    assert source.fetch() == second
    assert sorted(change.path for change in source.changes(first, second)) == [
        "apps/shop/a.yaml",
        "apps/shop/b.yaml",
    ]

    with pytest.raises(SourceError, match="branch 'nope' does not exist"):
        GitSource(url, "nope", ["apps"], tmp_path / "other").fetch()
    with pytest.raises(SourceError, match="cannot fetch"):
        GitSource(
            f"{git_http_server.base_url}/missing.git", "main", ["apps"], tmp_path / "third"
        ).fetch()


def loose_object(git_dir: Path, sha: str) -> Path:
    """The file of object ``sha`` in ``git_dir``, its packs unpacked into loose objects first."""
    for pack in sorted((git_dir / "objects" / "pack").glob("*.pack")):
        moved = pack.rename(git_dir / pack.name)
        pack.with_suffix(".idx").unlink()
        with moved.open("rb") as data:
            subprocess.run(
                ["git", f"--git-dir={git_dir}", "unpack-objects", "-q"], stdin=data, check=True
            )
        moved.unlink()
    path = git_dir / "objects" / sha[:2] / sha[2:]
    assert path.is_file(), f"expected {sha} as a loose object in {git_dir}"
    return path


def test_credentials_in_the_url_never_appear_in_messages(
    gitops: GitOpsRepo, git_http_server: GitHttpServer, tmp_path: Path
) -> None:
    secret = "ghp_s3cr3tT0k3nValue"
    gitops.add_application("a")
    head = gitops.commit()
    with_token = git_http_server.base_url.replace("http://", f"http://x-access-token:{secret}@")
    source = GitSource(f"{with_token}/remote.git", "main", ["apps"], tmp_path / "mirror")
    assert source.fetch() == head, "credentials in the URL are used"
    assert secret not in source.display_url

    failures = [
        GitSource(f"{with_token}/remote.git", "nope", ["apps"], tmp_path / "other"),
        GitSource(f"{with_token}/missing.git", "main", ["apps"], tmp_path / "third"),
        GitSource(
            f"http://{secret}@127.0.0.1:{free_port()}/x.git", "main", ["apps"], tmp_path / "4th"
        ),
    ]
    for failing in failures:
        with pytest.raises(SourceError) as raised:
            failing.fetch()
        assert secret not in raised.value.message
        assert "***@127.0.0.1" in raised.value.message


def test_a_mirror_removed_while_running_is_cloned_again(gitops: GitOpsRepo, tmp_path: Path) -> None:
    gitops.add_application("a")
    gitops.commit()
    source = source_for(gitops, tmp_path)
    source.fetch()
    shutil.rmtree(tmp_path / "mirror")  # e.g. a cleaner emptied ~/.cache
    gitops.add_application("b")
    head = gitops.commit()
    assert source.fetch() == head
    assert paths(source.list_manifests(head)) == ["apps/shop/a.yaml", "apps/shop/b.yaml"]
