"""The Git source: a bare local mirror of one branch, read straight from git objects.

Manifests are read from the branch's committed tree, never from a work tree, so what is served is
exactly what was committed. Blobs are streamed through one ``git cat-file --batch`` process, which
is what makes a cold ingest of thousands of files cheap.
"""

from __future__ import annotations

import base64
import logging
import shutil
import subprocess
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO
from urllib.parse import urlsplit, urlunsplit

import git

from catalog_service.domain.parsing import is_manifest_path
from catalog_service.errors import SourceError

logger = logging.getLogger(__name__)

SYMLINK_MODE = "120000"
SUBMODULE_MODE = "160000"
GIT_TIMEOUT_SECONDS = 120


@dataclass(frozen=True, slots=True)
class TreeEntry:
    """One manifest file in a commit."""

    path: str
    mode: str
    sha: str

    @property
    def is_symlink(self) -> bool:
        return self.mode == SYMLINK_MODE


@dataclass(frozen=True, slots=True)
class Change:
    """A manifest path that differs between two commits; ``entry`` is None when it was deleted."""

    path: str
    entry: TreeEntry | None


class GitSource:
    """Fetches one branch of one repository into a bare mirror and reads manifests from it."""

    def __init__(
        self,
        url: str,
        branch: str,
        roots: Sequence[str],
        mirror_dir: Path,
        token: str | None = None,
    ) -> None:
        self.url = url
        self.display_url = redacted_url(url)  # for messages and logs: no credentials
        self.branch = branch
        self.roots = tuple(roots)
        self.mirror_dir = mirror_dir
        self._token = token
        self._repo: git.Repo | None = None

    # -- fetching ---------------------------------------------------------------------------

    def fetch(self) -> str:
        """Bring the mirror up to date; answer the branch's commit. Force-pushes are followed."""
        started = time.perf_counter()
        try:
            repo = self._open_or_clone()
            repo.git.fetch(
                "--prune",
                "--no-tags",
                "--force",
                "--update-head-ok",
                "--no-write-fetch-head",  # nobody reads it
                "--no-show-forced-updates",  # `+` accepts them; checking costs a history walk
                "origin",
                f"+refs/heads/{self.branch}:refs/heads/{self.branch}",
                env=self._git_env(),
                kill_after_timeout=GIT_TIMEOUT_SECONDS,
            )
            # Read from the ref files: no process to start, on the path of every refresh.
            commit = git.SymbolicReference.dereference_recursive(repo, f"refs/heads/{self.branch}")
        except git.GitCommandError as error:
            raise SourceError(self._describe(error)) from None
        except (git.InvalidGitRepositoryError, git.NoSuchPathError, OSError, ValueError) as error:
            raise SourceError(f"cannot use the mirror at {self.mirror_dir}: {error}") from None
        logger.debug(
            "fetched %s@%s in %.3fs", self.display_url, self.branch, time.perf_counter() - started
        )
        return str(commit)

    def discard_mirror(self) -> None:
        """Drop the local mirror (it is only a cache): the next fetch clones it anew.

        For a mirror that cannot be read (a missing or corrupt object): fetching again would
        not repair it, since git believes it already has what the remote offers."""
        self._repo = None
        if (self.mirror_dir / "HEAD").exists():
            logger.warning("discarding the mirror at %s; the next fetch clones it", self.mirror_dir)
            shutil.rmtree(self.mirror_dir, ignore_errors=True)

    def _open_or_clone(self) -> git.Repo:
        if self._repo is not None and (self.mirror_dir / "HEAD").exists():
            return self._repo
        self._repo = None  # first use, or the mirror was removed under us: clone it again
        if (self.mirror_dir / "HEAD").exists():
            repo = git.Repo(self.mirror_dir)
            repo.git.remote("set-url", "origin", self.url)
        else:
            repo = self._clone()
        self._repo = repo
        return repo

    def _clone(self) -> git.Repo:
        # Clone into a sibling folder and rename, so a failed clone never leaves half a mirror.
        if self.mirror_dir.is_dir() and any(self.mirror_dir.iterdir()):
            # Never delete what is not ours: a cacheDir pointing at a folder with other files.
            raise SourceError(
                f"{self.mirror_dir} is not empty and not a git mirror; remove it or choose"
                " another source.cacheDir"
            )
        self.mirror_dir.parent.mkdir(parents=True, exist_ok=True)
        partial = self.mirror_dir.with_name(self.mirror_dir.name + ".partial")
        shutil.rmtree(partial, ignore_errors=True)
        try:
            git.Repo.clone_from(
                self.url,
                partial,
                bare=True,
                branch=self.branch,
                single_branch=True,
                no_tags=True,
                env=self._git_env(),
                kill_after_timeout=GIT_TIMEOUT_SECONDS,
            )
        except BaseException:
            shutil.rmtree(partial, ignore_errors=True)
            raise
        shutil.rmtree(self.mirror_dir, ignore_errors=True)
        partial.rename(self.mirror_dir)
        return git.Repo(self.mirror_dir)

    def _git_env(self) -> dict[str, str]:
        env = {"GIT_TERMINAL_PROMPT": "0", "GIT_ASKPASS": "", "SSH_ASKPASS": ""}
        if self._token and self.url.startswith("https://"):
            # Like actions/checkout: the token travels in a header set through the environment,
            # never on the command line or in the remote URL.
            credentials = base64.b64encode(f"x-access-token:{self._token}".encode()).decode()
            env |= {
                "GIT_CONFIG_COUNT": "1",
                "GIT_CONFIG_KEY_0": "http.extraHeader",
                "GIT_CONFIG_VALUE_0": f"AUTHORIZATION: basic {credentials}",
            }
        return env

    def _describe(self, error: git.GitCommandError) -> str:
        stderr = str(error.stderr or "").strip().removeprefix("stderr: ").strip("'\" \n")
        lines = [line.strip() for line in stderr.splitlines() if line.strip()]
        reason = "; ".join(lines[-3:]) or f"git exited with status {error.status}"
        if (
            "not found" in reason and "branch" in reason.lower()
        ) or "couldn't find remote ref" in reason:
            reason = f"branch {self.branch!r} does not exist ({reason})"
        reason = reason.replace(self.url, self.display_url)
        if self._token:
            reason = reason.replace(self._token, "***")
        return f"cannot fetch {self.display_url}: {reason}"

    # -- reading ----------------------------------------------------------------------------

    def list_manifests(self, commit: str) -> list[TreeEntry]:
        """Every manifest file of a commit, symbolic links included (they become problems)."""
        output = self._git("ls-tree", "-r", "-z", "--full-tree", commit, "--", *self._pathspecs())
        entries = []
        for record in output.split("\0"):
            if not record:
                continue
            meta, _, path = record.partition("\t")
            mode, kind, sha = meta.split(" ")
            if kind == "blob" and is_manifest_path(path, self.roots):
                entries.append(TreeEntry(path, mode, sha))
        return entries

    def changes(self, old: str, new: str) -> list[Change]:
        """The manifest paths that differ between two commits (a rename is a delete and an add)."""
        output = self._git(
            "diff-tree",
            "-r",
            "-z",
            "--no-renames",
            "--no-commit-id",
            old,
            new,
            "--",
            *self._pathspecs(),
        )
        fields = output.split("\0")
        changes = []
        for meta, path in zip(fields[0::2], fields[1::2], strict=False):
            if not meta.startswith(":") or not is_manifest_path(path, self.roots):
                continue
            _, new_mode, _, new_sha, status = meta[1:].split(" ")
            if new_mode == SUBMODULE_MODE:
                continue
            entry = None if status == "D" else TreeEntry(path, new_mode, new_sha)
            changes.append(Change(path, entry))
        return changes

    def read_blobs(self, shas: Iterable[str], max_size: int) -> Iterator[tuple[str, bytes | None]]:
        """Each blob's bytes, in the order asked; None for a blob over ``max_size`` (not read)."""
        repo = self._require_repo()
        process = subprocess.Popen(
            [git.Git.GIT_PYTHON_GIT_EXECUTABLE or "git", "cat-file", "--batch"],
            cwd=repo.git_dir,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        assert process.stdin is not None and process.stdout is not None
        wanted = list(shas)
        # Write every request from a thread while reading answers: no round trip per blob.
        writer = threading.Thread(target=_write_lines, args=(process.stdin, wanted), daemon=True)
        writer.start()
        finished = False
        try:
            for sha in wanted:
                header = process.stdout.readline().decode().split()
                if len(header) != 3:
                    raise SourceError(f"cannot read blob {sha} from the mirror: {' '.join(header)}")
                size = int(header[2])
                if size > max_size:
                    _skip(process.stdout, size + 1)
                    yield sha, None
                    continue
                data = process.stdout.read(size)
                process.stdout.read(1)
                yield sha, data
            finished = True
        finally:
            if not finished:
                # Stopped early (a missing object, or the caller gave up): git may be blocked
                # writing answers nobody reads, and the writer blocked behind it. Stop git first.
                process.kill()
            process.stdout.close()
            writer.join()
            process.wait()

    def _pathspecs(self) -> list[str]:
        return [] if any(r in ("", ".") for r in self.roots) else [f"{r}/" for r in self.roots]

    def _git(self, *args: str) -> str:
        try:
            return str(
                self._require_repo().git.execute(["git", *args], strip_newline_in_stdout=False)
            )
        except git.GitCommandError as error:
            raise SourceError(
                f"cannot read the mirror of {self.display_url}: {self._describe(error)}"
            ) from None

    def _require_repo(self) -> git.Repo:
        if self._repo is None:
            self._open_or_clone()
        assert self._repo is not None
        return self._repo


def redacted_url(url: str) -> str:
    """``url`` without the credentials it may carry (``https://user:token@host/...``)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    userinfo, at, host = parts.netloc.rpartition("@")
    if not at:
        return url
    if parts.scheme in ("http", "https"):
        userinfo = "***"  # a token is often given as the user name alone
    elif ":" in userinfo:
        userinfo = userinfo.partition(":")[0] + ":***"
    return urlunsplit(parts._replace(netloc=f"{userinfo}@{host}"))


def _write_lines(stream: IO[bytes], shas: list[str]) -> None:
    # A closed pipe (git died on a corrupt object) is reported by the reader, not here.
    try:
        stream.write("".join(f"{sha}\n" for sha in shas).encode())
        stream.close()
    except OSError:
        pass


def _skip(stream: IO[bytes], size: int) -> None:
    while size > 0:
        chunk = stream.read(min(size, 1 << 20))
        if not chunk:
            break
        size -= len(chunk)
