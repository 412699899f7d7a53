"""GitWriter against real bare repositories, over a local path and git's smart HTTP: branches
written and pushed, concurrent writers, a remote that refuses, and nothing left behind."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator, Mapping
from pathlib import Path

import git
import pytest

from catalog_service.actions.git_paths import Identity
from catalog_service.actions.git_writer import EditFunction, GitWriter
from catalog_service.errors import GitWriteError, InvalidRequestError, ManifestEditError
from tests.support.repos import GitOpsRepo
from tests.support.servers import GitHttpServer

PATH = "apps/shop/web.yaml"
AUTHOR = Identity("Alice Developer", "alice@example.com")
BOT = Identity("IDP catalog", "catalog@example.com")


@pytest.fixture
def temp_root(tmp_path: Path) -> Path:
    folder = tmp_path / "writer-tmp"
    folder.mkdir()
    return folder


@pytest.fixture
def remote(gitops: GitOpsRepo) -> git.Repo:
    gitops.write(PATH, "lines:\n")
    gitops.commit("Add web")
    assert gitops.remote_dir is not None
    return git.Repo(gitops.remote_dir)


def writer_for(url: str, temp_root: Path, *, attempts: int = 5, timeout: float = 60) -> GitWriter:
    return GitWriter(url, ["apps"], temp_root=temp_root, attempts=attempts, timeout=timeout)


def appending(line: str) -> EditFunction:
    def edit(files: Mapping[str, bytes | None]) -> dict[str, bytes | None]:
        return {PATH: (files[PATH] or b"") + f"  - {line}\n".encode()}

    return edit


def file_at(repo: git.Repo, branch: str, path: str = PATH) -> str:
    return str(repo.git.show(f"refs/heads/{branch}:{path}"))


def test_a_write_pushes_a_new_branch_from_the_base_and_leaves_nothing_behind(
    gitops: GitOpsRepo, remote: git.Repo, temp_root: Path
) -> None:
    writer = writer_for(gitops.url, temp_root)
    result = writer.write(
        base="main",
        branch="idp/promote-web",
        paths=[PATH],
        edit=appending("one"),
        message="Promote web to staging\n\nRequested by alice",
        author=AUTHOR,
        committer=BOT,
    )
    assert (result.branch, result.changed, result.attempts) == ("idp/promote-web", True, 1)
    assert writer.branch_head("idp/promote-web") == result.commit
    commit = remote.commit(result.commit)
    assert commit.parents[0].hexsha == remote.commit("main").hexsha
    assert (commit.author.name, commit.author.email) == (AUTHOR.name, AUTHOR.email)
    assert (commit.committer.name, commit.committer.email) == (BOT.name, BOT.email)
    assert commit.message == "Promote web to staging\n\nRequested by alice"
    assert file_at(remote, "idp/promote-web") == "lines:\n  - one"
    assert file_at(remote, "main") == "lines:"
    assert list(temp_root.iterdir()) == []


def test_files_are_added_and_deleted_and_an_edit_that_changes_nothing_pushes_nothing(
    gitops: GitOpsRepo, remote: git.Repo, temp_root: Path
) -> None:
    writer = writer_for(gitops.url, temp_root)
    new = "apps/shop/api.yaml"
    result = writer.write(
        base="main",
        branch="swap",
        paths=[PATH, new],
        edit=lambda files: {PATH: None, new: b"api\n"},
        message="Swap",
        author=AUTHOR,
    )
    tree = remote.commit(result.commit).tree
    assert [blob.path for blob in tree.traverse()] == ["apps", "apps/shop", new]  # type: ignore[union-attr]
    same = writer.write(
        base="main",
        branch="nothing",
        paths=[PATH],
        edit=lambda files: dict(files),
        message="No-op",
        author=AUTHOR,
    )
    assert (same.changed, same.commit) == (False, remote.commit("main").hexsha)
    assert writer.branch_head("nothing") is None


@pytest.mark.parametrize(
    "path",
    [
        "../apps/x.yaml",
        "/etc/passwd",
        "apps\\x.yaml",
        "apps/x\0.yaml",
        "apps/x\n.yaml",
        "apps/.hidden/x.yaml",
        "apps/.git/config",
        "apps/../x.yaml",
        "apps//x.yaml",
        "apps/./x.yaml",
        "other/x.yaml",
        "apps",
        "C:/apps/x.yaml",
        "",
    ],
)
def test_paths_outside_the_roots_are_refused_before_any_git_work(
    tmp_path: Path, temp_root: Path, path: str
) -> None:
    # The remote does not exist: any git work would fail differently.
    writer = writer_for(str(tmp_path / "no-such-remote.git"), temp_root)
    with pytest.raises(InvalidRequestError, match="refused path"):
        writer.write(base="main", branch="b", paths=[path], edit=dict, message="m", author=AUTHOR)
    assert list(temp_root.iterdir()) == []


@pytest.mark.parametrize("branch", ["main", "-x", "a..b", "a b", "x.lock", "a/", "@{1}", ""])
def test_odd_branch_names_and_the_base_itself_are_refused(
    tmp_path: Path, temp_root: Path, branch: str
) -> None:
    writer = writer_for(str(tmp_path / "no-such-remote.git"), temp_root)
    with pytest.raises(InvalidRequestError):
        writer.write(
            base="main", branch=branch, paths=[PATH], edit=dict, message="m", author=AUTHOR
        )


def test_an_edit_writing_a_path_it_did_not_declare_is_refused(
    gitops: GitOpsRepo, remote: git.Repo, temp_root: Path
) -> None:
    writer = writer_for(gitops.url, temp_root)
    with pytest.raises(InvalidRequestError, match="undeclared paths"):
        writer.write(
            base="main",
            branch="sneaky",
            paths=[PATH],
            edit=lambda files: {"apps/other.yaml": b"x"},
            message="m",
            author=AUTHOR,
        )
    assert writer.branch_head("sneaky") is None
    assert list(temp_root.iterdir()) == []


def test_a_symbolic_link_in_the_repository_is_not_written_through(
    gitops: GitOpsRepo, remote: git.Repo, temp_root: Path
) -> None:
    gitops.symlink("apps/shop/link.yaml", "/etc/passwd")
    gitops.commit("Add a link")
    writer = writer_for(gitops.url, temp_root)
    with pytest.raises(ManifestEditError, match="not a regular file"):
        writer.write(
            base="main",
            branch="link",
            paths=["apps/shop/link.yaml"],
            edit=lambda files: {"apps/shop/link.yaml": b"x"},
            message="m",
            author=AUTHOR,
        )


def test_ten_concurrent_writers_of_different_branches_all_land(
    gitops: GitOpsRepo, remote: git.Repo, temp_root: Path
) -> None:
    writer = writer_for(gitops.url, temp_root)
    results: dict[int, str] = {}
    errors: list[BaseException] = []

    def run(number: int) -> None:
        try:
            result = writer.write(
                base="main",
                branch=f"writer-{number}",
                paths=[PATH],
                edit=appending(f"writer {number}"),
                message=f"Writer {number}",
                author=AUTHOR,
            )
            results[number] = result.commit
        except BaseException as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=run, args=(number,)) for number in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    for number in range(10):
        assert remote.commit(f"writer-{number}").hexsha == results[number]
        assert file_at(remote, f"writer-{number}") == f"lines:\n  - writer {number}"
    assert list(temp_root.iterdir()) == []


def test_a_writer_that_loses_the_race_for_a_branch_retries_on_its_new_tip(
    gitops: GitOpsRepo, remote: git.Repo, temp_root: Path
) -> None:
    writer = writer_for(gitops.url, temp_root)
    first_call = True

    def edit_while_another_writer_pushes(files: Mapping[str, bytes | None]) -> dict[str, bytes]:
        nonlocal first_call
        if first_call:  # between our read and our push, the other writer lands on the branch
            first_call = False
            other = writer.write(
                base="main",
                branch="shared",
                paths=[PATH],
                edit=appending("other"),
                message="Other",
                author=BOT,
            )
            assert other.attempts == 1
        return {PATH: (files[PATH] or b"") + b"  - mine\n"}

    result = writer.write(
        base="main",
        branch="shared",
        paths=[PATH],
        edit=edit_while_another_writer_pushes,
        message="Mine",
        author=AUTHOR,
    )
    assert result.attempts == 2
    assert file_at(remote, "shared") == "lines:\n  - other\n  - mine", "no lost update"
    history = list(remote.iter_commits("shared", max_count=3))
    assert [c.message.strip() for c in history] == ["Mine", "Other", "Add web"]


def test_threads_racing_on_one_branch_lose_no_update(
    gitops: GitOpsRepo, remote: git.Repo, temp_root: Path
) -> None:
    writer = writer_for(gitops.url, temp_root, attempts=20)
    barrier = threading.Barrier(5)
    errors: list[BaseException] = []

    def run(number: int) -> None:
        try:
            barrier.wait()
            writer.write(
                base="main",
                branch="together",
                paths=[PATH],
                edit=appending(f"w{number}"),
                message=f"w{number}",
                author=AUTHOR,
            )
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=run, args=(number,)) for number in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    lines = file_at(remote, "together").splitlines()
    assert sorted(lines[1:]) == [f"  - w{number}" for number in range(5)]
    assert len(list(remote.iter_commits("together"))) == 6


def test_a_remote_that_refuses_the_push_gives_a_clear_error_and_leaves_nothing(
    gitops: GitOpsRepo, remote: git.Repo, temp_root: Path
) -> None:
    hook = Path(remote.git_dir) / "hooks" / "pre-receive"
    hook.write_text("#!/bin/sh\necho 'branch protection: pushes need approval' >&2\nexit 1\n")
    hook.chmod(0o755)
    writer = writer_for(gitops.url, temp_root)
    with pytest.raises(GitWriteError) as raised:
        writer.write(
            base="main",
            branch="refused",
            paths=[PATH],
            edit=appending("x"),
            message="m",
            author=AUTHOR,
        )
    message = raised.value.message
    assert message.startswith(f"cannot push 'refused' on {gitops.url}: ")
    assert "branch protection: pushes need approval" in message
    assert "pre-receive hook declined" in message
    assert writer.branch_head("refused") is None
    assert list(temp_root.iterdir()) == []


def test_a_missing_base_branch_is_a_clear_error(
    gitops: GitOpsRepo, remote: git.Repo, temp_root: Path
) -> None:
    writer = writer_for(gitops.url, temp_root)
    with pytest.raises(GitWriteError, match="no branch 'release'"):
        writer.write(
            base="release", branch="b", paths=[PATH], edit=dict, message="m", author=AUTHOR
        )
    assert list(temp_root.iterdir()) == []


def test_delete_branch_honours_the_expected_commit(
    gitops: GitOpsRepo, remote: git.Repo, temp_root: Path
) -> None:
    writer = writer_for(gitops.url, temp_root)
    pushed = writer.write(
        base="main",
        branch="to-delete",
        paths=[PATH],
        edit=appending("x"),
        message="m",
        author=AUTHOR,
    )
    with pytest.raises(GitWriteError, match="cannot delete branch 'to-delete'"):
        writer.delete_branch("to-delete", expected=remote.commit("main").hexsha)
    assert writer.branch_head("to-delete") == pushed.commit
    assert writer.delete_branch("to-delete", expected=pushed.commit) is True
    assert writer.branch_head("to-delete") is None
    assert writer.delete_branch("to-delete") is False
    assert list(temp_root.iterdir()) == []


def test_over_git_smart_http(
    gitops: GitOpsRepo, remote: git.Repo, git_http_server: GitHttpServer, temp_root: Path
) -> None:
    remote.git.config("http.receivepack", "true")  # anonymous pushes, for the test server
    writer = writer_for(f"{git_http_server.base_url}/remote.git", temp_root)
    result = writer.write(
        base="main",
        branch="over-http",
        paths=[PATH],
        edit=appending("http"),
        message="Over HTTP",
        author=AUTHOR,
    )
    assert writer.branch_head("over-http") == result.commit
    assert file_at(remote, "over-http") == "lines:\n  - http"
    assert writer.delete_branch("over-http", expected=result.commit)
    assert remote.git.branch("--list", "over-http") == ""
    assert list(temp_root.iterdir()) == []


@pytest.fixture
def silent_server() -> Iterator[int]:
    """A TCP port that accepts connections and never answers."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(8)
        yield server.getsockname()[1]


def test_a_remote_that_never_answers_is_stopped_at_the_deadline(
    silent_server: int, temp_root: Path
) -> None:
    writer = writer_for(f"http://127.0.0.1:{silent_server}/remote.git", temp_root, timeout=1)
    with pytest.raises(GitWriteError, match="did not finish within 1 s and was stopped"):
        writer.write(base="main", branch="b", paths=[PATH], edit=dict, message="m", author=AUTHOR)
    assert list(temp_root.iterdir()) == []


def test_the_token_travels_in_the_environment_only() -> None:
    writer = GitWriter("https://git.example.com/acme/gitops.git", ["apps"], token="s3cret")
    env = writer._env(remote=True)
    assert "GIT_CONFIG_KEY_0" not in writer._env(remote=False), "local work gets no token"
    assert "s3cret" not in writer.url and "s3cret" not in " ".join(env)
    assert env["GIT_CONFIG_KEY_0"] == "http.extraHeader"
    assert env["GIT_CONFIG_VALUE_0"].startswith("AUTHORIZATION: basic ")
