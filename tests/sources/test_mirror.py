"""The mirror folder is the service's alone: what it did not create is refused and left as it was;
a second instance is refused; credentials never reach the disk or a command line."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import git
import pytest

from catalog_service.errors import ConfigurationError
from catalog_service.sources.git import GitSource
from catalog_service.sources.mirror import MARKER
from tests.support.repos import GitOpsRepo
from tests.support.servers import GitHttpServer, file_hashes


def source(gitops: GitOpsRepo, cache_dir: Path, **kwargs: object) -> GitSource:
    return GitSource(gitops.url, "main", ["apps"], cache_dir, **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "target",
    ["work", "work/.git", "remote.git", "work/apps"],
    ids=["a-work-tree", "its-dot-git", "a-bare-repository", "a-folder-with-files"],
)
def test_a_cache_dir_the_service_did_not_create_is_refused_and_left_untouched(
    gitops: GitOpsRepo, target: str
) -> None:
    gitops.add_application("a")
    gitops.commit()
    before = file_hashes(gitops.root)

    with pytest.raises(ConfigurationError) as raised:
        source(gitops, gitops.root / target).fetch()

    assert f"source.cacheDir {gitops.root / target} is a" in raised.value.message
    assert "did not create" in raised.value.message and MARKER in raised.value.message
    assert file_hashes(gitops.root) == before, "not one byte written, moved or removed"


def test_an_empty_folder_is_claimed_and_marked(gitops: GitOpsRepo, tmp_path: Path) -> None:
    gitops.add_application("a")
    head = gitops.commit()
    cache = tmp_path / "volume"
    cache.mkdir()
    assert source(gitops, cache).fetch() == head
    assert (cache / MARKER).is_file() and (cache / "repo.git" / "HEAD").is_file()


def test_a_local_source_shares_no_file_with_the_mirror(gitops: GitOpsRepo, tmp_path: Path) -> None:
    # A work repository as the source: git's local clone would hard-link its loose objects.
    local = GitOpsRepo(tmp_path / "local", bare_remote=False)
    local.add_application("a")
    local.commit()
    source(local, tmp_path / "mirror").fetch()
    mirror_files = [p for p in (tmp_path / "mirror").rglob("*") if p.is_file()]
    assert mirror_files and all(p.stat().st_nlink == 1 for p in mirror_files)
    assert not (tmp_path / "mirror" / "repo.git" / "objects" / "info" / "alternates").exists()


def test_a_second_process_on_the_same_cache_dir_is_refused(
    gitops: GitOpsRepo, tmp_path: Path
) -> None:
    gitops.add_application("a")
    gitops.commit()
    cache = tmp_path / "mirror"
    holder = textwrap.dedent(
        f"""
        import sys
        from pathlib import Path
        from catalog_service.sources.git import GitSource
        source = GitSource({gitops.url!r}, "main", ["apps"], Path({str(cache)!r}))
        print("locked", flush=True)
        sys.stdin.read()
        """
    )
    other = subprocess.Popen(
        [sys.executable, "-c", holder], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert other.stdout is not None and other.stdout.readline() == "locked\n"
        with pytest.raises(ConfigurationError) as raised:
            source(gitops, cache)
        message = raised.value.message
        assert f"source.cacheDir {cache} is in use by another catalog-service" in message
        assert f"pid {other.pid}" in message
    finally:
        assert other.stdin is not None
        other.stdin.close()
        other.wait(timeout=30)
    # Once that process is gone, the folder is free again.
    source(gitops, cache).fetch()


def test_a_restart_on_an_up_to_date_mirror_writes_nothing(
    gitops: GitOpsRepo, tmp_path: Path
) -> None:
    # What makes a read-only mirror usable after a restart: no `remote set-url`, no config.
    gitops.add_application("a")
    head = gitops.commit()
    first = source(gitops, tmp_path / "mirror")
    first.fetch()
    first.close()
    mirror = tmp_path / "mirror" / "repo.git"
    before = file_hashes(mirror)

    restarted = source(gitops, tmp_path / "mirror")
    assert restarted.fetch() == head
    assert [entry.path for entry in restarted.list_manifests(head)] == ["apps/shop/a.yaml"]
    assert file_hashes(mirror) == before


def test_credentials_in_the_url_reach_neither_the_disk_nor_a_command_line(
    gitops: GitOpsRepo,
    git_http_server: GitHttpServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A `git` first on the PATH that logs its arguments, then runs the real one.
    real_git = git.Git.GIT_PYTHON_GIT_EXECUTABLE or "git"
    real = subprocess.run(["which", real_git], capture_output=True, text=True, check=True)
    wrapper_dir = tmp_path / "bin"
    wrapper_dir.mkdir()
    argv_log = tmp_path / "argv.log"
    wrapper = wrapper_dir / "git"
    wrapper.write_text(
        f'#!/bin/sh\nprintf "%s\\n" "$*" >> {argv_log}\nexec {real.stdout.strip()} "$@"\n'
    )
    wrapper.chmod(0o755)
    monkeypatch.setenv("PATH", f"{wrapper_dir}{os.pathsep}{os.environ['PATH']}")

    secret = "s3cr3t-Passw0rd"
    gitops.add_application("a")
    first = gitops.commit()
    url = git_http_server.base_url.replace("http://", f"http://deploy:{secret}@") + "/remote.git"
    mirror = GitSource(url, "main", ["apps"], tmp_path / "m")
    assert mirror.fetch() == first
    gitops.add_application("b")
    second = gitops.commit()
    assert mirror.fetch() == second

    spawned = argv_log.read_text()
    assert "clone" in spawned and "fetch" in spawned
    assert secret not in spawned and "deploy" not in spawned
    for path in (tmp_path / "m").rglob("*"):
        if path.is_file():
            assert secret.encode() not in path.read_bytes(), path
