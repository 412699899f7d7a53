"""The Git source: a bare local mirror of one branch, read straight from git objects.

Manifests are read from the branch's committed tree, never from a work tree, so what is served is
exactly what was committed. Blobs are streamed through one ``git cat-file --batch`` process, which
is what makes a cold ingest of thousands of files cheap. Every git command names the mirror with
``--git-dir``: git never goes looking for a repository of its own accord.
"""

from __future__ import annotations

import logging
import shutil
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from catalog_service.domain.parsing import is_manifest_path
from catalog_service.errors import CatalogError, SourceError
from catalog_service.sources.credentials import GitCredentials, Token
from catalog_service.sources.mirror import MirrorFolder
from catalog_service.sources.process import (
    GitFailedError,
    GitRunner,
    GitStoppedError,
    GitTimeoutError,
    hardened_env,
)
from catalog_service.sources.urls import absolute_if_local, redacted_url, split_credentials

__all__ = ["Change", "GitSource", "TreeEntry", "redacted_url", "split_credentials"]

logger = logging.getLogger(__name__)

SYMLINK_MODE = "120000"
SUBMODULE_MODE = "160000"
DEFAULT_TIMEOUT_SECONDS = 120.0
# Fetch does no housekeeping of its own (it would cost every refresh a process, and a detached
# `gc --auto` would outlive the fetch's process group, running on while the next fetch writes the
# same files): the source runs `gc --auto` itself, in the foreground, every so many fetches.
_NO_HOUSEKEEPING = ("-c", "maintenance.auto=false", "-c", "gc.auto=0")
HOUSEKEEPING_EVERY = 50


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
    """Fetches one branch of one repository into a bare mirror and reads manifests from it.

    ``mirror_dir`` (``source.cacheDir``) is claimed and locked at construction: a folder the
    service did not create, or one another instance uses, is refused with a ConfigurationError.
    """

    def __init__(
        self,
        url: str,
        branch: str,
        roots: Sequence[str],
        mirror_dir: Path,
        token: Token | None = None,
        timeout: float = DEFAULT_TIMEOUT_SECONDS,
        *,
        adopt_old_mirror: bool = False,
        housekeeping_every: int = HOUSEKEEPING_EVERY,
    ) -> None:
        self.display_url = redacted_url(url)  # for messages and logs: no credentials
        self.url, credentials = split_credentials(absolute_if_local(url))
        self.branch = branch
        self.roots = tuple(roots)
        self.timeout = timeout
        self.folder = MirrorFolder(mirror_dir, adopt_old_mirror=adopt_old_mirror)
        self.git_dir = self.folder.repo
        # Asked again for each process that talks to the remote: an App's token expires.
        self._credentials = GitCredentials(self.url, credentials=credentials, token=token)
        self._runner = GitRunner(timeout, hardened_env(self.folder.path.parent))
        self._checked = False  # the mirror was found readable since start (or the last failure)
        self._fetches = 0
        self._housekeeping_every = housekeeping_every
        # One fetch at a time: a refresh that finds a pull request fetch's ref lock would
        # take it for a killed git's leftover and discard the mirror.
        self._fetch_lock = threading.Lock()

    def close(self) -> None:
        """Kill the git processes still running, start no more, and unlock the folder."""
        self._runner.close()
        self.folder.release()

    # -- the state beside the mirror ------------------------------------------------------------

    def read_state(self) -> dict[str, Any] | None:
        return self.folder.read_state()

    def write_state(self, state: dict[str, Any]) -> None:
        self.folder.write_state(state)

    # -- fetching ---------------------------------------------------------------------------

    def fetch(self) -> str:
        """Bring the mirror up to date; answer the branch's commit. Force-pushes are followed.

        A mirror that git cannot read or update is discarded and cloned again; a remote that
        fails leaves the mirror as it is."""
        started = time.perf_counter()
        try:
            with self._fetch_lock:
                commit = self._fetch()
        except GitTimeoutError:
            self._checked = False
            raise SourceError(
                f"cannot fetch {self.display_url}: git did not finish within {self.timeout:g} s"
                " (source.timeoutSeconds) and was stopped; the remote is slow or does not answer"
            ) from None
        except GitStoppedError:
            raise SourceError("stopped: the service is shutting down") from None
        logger.debug(
            "fetched %s@%s in %.3fs", self.display_url, self.branch, time.perf_counter() - started
        )
        return commit

    def fetch_refs(self, refspecs: Sequence[str]) -> dict[str, str]:
        """Fetch ``+src:dst`` refspecs from the same remote into the mirror (private refs, never
        the branch); answer each destination's commit."""
        destinations = [spec.rpartition(":")[2] for spec in refspecs]
        fetch = ["fetch", "--no-tags", "--force", "--no-write-fetch-head", "--", self.url]
        try:
            with self._fetch_lock:
                if not self._usable():
                    self._clone()
                args = [f"--git-dir={self.git_dir}", *_NO_HOUSEKEEPING, *fetch, *refspecs]
                self._runner.run(args, cwd=self.folder.path, env=self._credentials.env())
        except GitFailedError as failure:
            wanted = ", ".join(spec.lstrip("+").partition(":")[0] for spec in refspecs)
            reason = self._redact(failure.first_error)
            raise SourceError(f"cannot fetch {wanted} from {self.display_url}: {reason}") from None
        except GitTimeoutError:
            timeout = f"git did not finish within {self.timeout:g} s (source.timeoutSeconds)"
            raise SourceError(f"cannot fetch from {self.display_url}: {timeout}") from None
        except GitStoppedError:
            raise SourceError("stopped: the service is shutting down") from None
        output = self._read("rev-parse", *destinations)  # ours: no option-like names
        return dict(zip(destinations, output.decode("ascii").split(), strict=True))

    def delete_refs(self, refs: Sequence[str]) -> None:
        """Drop private refs (a missing one is no error), so their objects can be collected."""
        with self._fetch_lock:
            self._read_input(
                "".join(f"delete {r}\n" for r in refs).encode(), "update-ref", "--stdin"
            )

    def discard_mirror(self, reason: str = "it cannot be read") -> None:
        """Drop the local mirror (it is only a cache): the next fetch clones it anew.

        For a mirror that cannot be read (a missing or corrupt object): fetching again would
        not repair it, since git believes it already has what the remote offers."""
        self._checked = False
        if self.git_dir.exists():
            logger.warning(
                "discarding the mirror at %s and cloning it again: %s", self.git_dir, reason
            )
            shutil.rmtree(self.git_dir, ignore_errors=True)

    def _fetch(self) -> str:
        self.folder.ensure()
        if not self._usable():
            self._clone()
            return self._branch_commit()
        try:
            self._runner.run(
                [
                    f"--git-dir={self.git_dir}",
                    *_NO_HOUSEKEEPING,
                    "fetch",
                    "--no-tags",
                    "--force",
                    "--update-head-ok",
                    "--no-write-fetch-head",  # nobody reads it
                    "--no-show-forced-updates",  # `+` accepts them; checking costs a history walk
                    "--",
                    self.url,  # not `origin`: the mirror's configuration is never rewritten
                    f"+refs/heads/{self.branch}:refs/heads/{self.branch}",
                ],
                cwd=self.folder.path,
                env=self._credentials.env(),
            )
        except GitFailedError as failure:
            self._checked = False
            if not self._remote_answers():
                raise SourceError(self._describe(failure)) from None
            # The remote answers, so the mirror is what fails: it is only a cache.
            self.discard_mirror(failure.first_error)
            self._clone()
            return self._branch_commit()
        # Read from the ref files: no process to start, on the path of every refresh.
        commit = self._read_ref()
        if commit is None:
            self.discard_mirror(f"refs/heads/{self.branch} is unreadable")
            self._clone()
            commit = self._branch_commit()
        self._fetches += 1
        if self._fetches % self._housekeeping_every == 0:
            self._housekeeping()
        return commit

    def _housekeeping(self) -> None:
        """Pack loose objects once there are many (git's own thresholds); a failure only waits
        for the next turn."""
        try:
            self._runner.run(
                [f"--git-dir={self.git_dir}", "-c", "gc.autoDetach=false", "gc", "--auto"],
                cwd=self.folder.path,
            )
        except (GitFailedError, GitTimeoutError) as error:
            logger.warning("git gc in the mirror at %s failed: %s", self.git_dir, error)

    def _usable(self) -> bool:
        """The mirror exists and git can read it; damage found here means a fresh clone."""
        if not (self.git_dir / "HEAD").exists():
            self._checked = False
            return False
        if self._checked:
            return True
        locks = [*self.git_dir.glob("*.lock"), *(self.git_dir / "refs").rglob("*.lock")]
        stale = sorted(str(lock.relative_to(self.git_dir)) for lock in locks)
        if stale:
            # The folder is locked by us: no other git can be at work, so these are leftovers
            # of a git that was killed, and git refuses to update a locked ref forever.
            self.discard_mirror(f"stale lock file {', '.join(stale)} left by a killed git")
            return False
        try:
            self._runner.run(
                [f"--git-dir={self.git_dir}", "rev-parse", "--verify", "--quiet", "HEAD^{tree}"],
                cwd=self.folder.path,
            )
        except GitFailedError as failure:
            self.discard_mirror(failure.first_error)
            return False
        self._checked = True
        return True

    def _clone(self) -> None:
        # Clone into a sibling folder and rename, so a failed clone never leaves half a mirror.
        partial = self.git_dir.with_name(self.git_dir.name + ".partial")
        shutil.rmtree(partial, ignore_errors=True)
        try:
            self._runner.run(
                [
                    "clone",
                    "--bare",
                    "--no-local",  # copy through git's transport: no hardlink into a local source
                    "--single-branch",
                    "--no-tags",
                    "--branch",
                    self.branch,
                    "--",
                    self.url,
                    str(partial),
                ],
                cwd=self.folder.path,
                env=self._credentials.env(),
            )
        except GitFailedError as failure:
            shutil.rmtree(partial, ignore_errors=True)
            raise SourceError(self._describe(failure)) from None
        except BaseException:
            shutil.rmtree(partial, ignore_errors=True)
            raise
        shutil.rmtree(self.git_dir, ignore_errors=True)
        partial.rename(self.git_dir)
        self._checked = True

    def _remote_answers(self) -> bool:
        """Whether the remote lists the branch: when it does, a failed fetch is the mirror's."""
        try:
            self._runner.run(
                ["ls-remote", "--heads", "--exit-code", "--", self.url, self.branch],
                cwd=self.folder.path,
                env=self._credentials.env(),
            )
        except (GitFailedError, GitTimeoutError, CatalogError):
            return False
        return True

    def _branch_commit(self) -> str:
        commit = self._read_ref()
        if commit is None:
            raise SourceError(
                f"cannot use the mirror at {self.git_dir}: refs/heads/{self.branch} is unreadable"
            )
        return commit

    def _read_ref(self) -> str | None:
        """The branch's commit from the loose ref file or packed-refs; None if unreadable."""
        name = f"refs/heads/{self.branch}"
        try:
            value: str | None = (self.git_dir / name).read_text(encoding="ascii").strip()
        except FileNotFoundError:
            value = None
        except (OSError, UnicodeDecodeError):
            return None
        if value is None:
            try:
                packed = (self.git_dir / "packed-refs").read_text("utf-8", errors="replace")
            except OSError:
                return None
            lines = packed.splitlines()
            found = [line.split(" ")[0] for line in lines if line.endswith(" " + name)]
            value = found[0] if found else None
        if value is None or len(value) not in (40, 64) or any(c not in _HEX for c in value):
            return None
        return value

    def _describe(self, failure: GitFailedError) -> str:
        reason = failure.first_error
        lowered = reason.lower()
        if ("not found" in lowered and "branch" in lowered) or "couldn't find remote ref" in reason:
            reason = f"branch {self.branch!r} does not exist ({reason})"
        return f"cannot fetch {self.display_url}: {self._redact(reason)}"

    def _redact(self, text: str) -> str:
        return self._credentials.redact(text)

    # -- reading ----------------------------------------------------------------------------

    def list_manifests(self, commit: str) -> list[TreeEntry]:
        """Every manifest file of a commit, symbolic links included (they become problems)."""
        output = self._read("ls-tree", "-r", "-z", "--full-tree", commit, "--", *self._pathspecs())
        entries = []
        for record in output.split(b"\0"):
            if not record:
                continue
            meta, _, raw_path = record.partition(b"\t")
            mode, kind, sha = meta.decode("ascii").split(" ")
            path = _path(raw_path)
            if kind == "blob" and is_manifest_path(path, self.roots):
                entries.append(TreeEntry(path, mode, sha))
        return entries

    def changes(self, old: str, new: str) -> list[Change]:
        """The manifest paths that differ between two commits (a rename is a delete and an add;
        a file replaced by a submodule is a delete)."""
        output = self._read(
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
        fields = output.split(b"\0")
        changes = []
        for raw_meta, raw_path in zip(fields[0::2], fields[1::2], strict=False):
            meta, path = raw_meta.decode("ascii"), _path(raw_path)
            if not meta.startswith(":") or not is_manifest_path(path, self.roots):
                continue
            _, new_mode, _, new_sha, status = meta[1:].split(" ")
            gone = status == "D" or new_mode == SUBMODULE_MODE
            changes.append(Change(path, None if gone else TreeEntry(path, new_mode, new_sha)))
        return changes

    def read_blobs(self, shas: Iterable[str], max_size: int) -> Iterator[tuple[str, bytes | None]]:
        """Each blob's bytes, in the order asked; None for a blob over ``max_size`` (not read)."""
        wanted = list(shas)
        try:
            with self._runner.start(
                [f"--git-dir={self.git_dir}", "cat-file", "--batch"], cwd=self.folder.path
            ) as watch:
                yield from _answers(watch.process.stdin, watch.process.stdout, wanted, max_size)
        except GitTimeoutError:
            raise SourceError(
                f"reading the mirror at {self.git_dir} took over {self.timeout:g} s"
                " (source.timeoutSeconds)"
            ) from None
        except GitStoppedError:
            raise SourceError("stopped: the service is shutting down") from None

    def read_git(self, *args: str) -> bytes:
        """The output of a read-only git command in the mirror (``log``, ``merge-base``), for
        readers of the branch's history; failures raise SourceError like every read."""
        return self._read(*args)

    def _pathspecs(self) -> list[str]:
        return [] if any(r in ("", ".") for r in self.roots) else [f"{r}/" for r in self.roots]

    def _read(self, *args: str) -> bytes:
        return self._read_input(None, *args)

    def _read_input(self, stdin: bytes | None, *args: str) -> bytes:
        try:
            return self._runner.run(
                [f"--git-dir={self.git_dir}", *args], cwd=self.folder.path, stdin=stdin
            )
        except GitFailedError as failure:
            self._checked = False
            raise SourceError(
                f"cannot read the mirror of {self.display_url}: {self._redact(failure.first_error)}"
            ) from None
        except GitTimeoutError:
            raise SourceError(
                f"reading the mirror at {self.git_dir} took over {self.timeout:g} s"
                " (source.timeoutSeconds)"
            ) from None
        except GitStoppedError:
            raise SourceError("stopped: the service is shutting down") from None


_HEX = frozenset("0123456789abcdef")


def _path(raw: bytes) -> str:
    # A name that is not UTF-8 stays representable (and reversible); the domain reports it.
    return raw.decode("utf-8", errors="surrogateescape")


def _answers(
    stdin: IO[bytes] | None, stdout: IO[bytes] | None, wanted: list[str], max_size: int
) -> Iterator[tuple[str, bytes | None]]:
    assert stdin is not None and stdout is not None
    # Write every request from a thread while reading answers: no round trip per blob.
    writer = threading.Thread(target=_write_lines, args=(stdin, wanted), daemon=True)
    writer.start()
    try:
        for sha in wanted:
            header = stdout.readline().decode(errors="replace").split()
            if len(header) != 3:
                raise SourceError(f"cannot read blob {sha} from the mirror: {' '.join(header)}")
            size = int(header[2])
            if size > max_size:
                _skip(stdout, size + 1)
                yield sha, None
                continue
            data = stdout.read(size)
            stdout.read(1)
            yield sha, data
    finally:
        # Stopped early (a missing object, or the caller gave up): the runner kills git, which
        # unblocks the writer if git stopped reading.
        if writer.is_alive():
            stdout.close()
        writer.join(timeout=0 if writer.is_alive() else None)


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
