"""Writes edited files to a new branch of the GitOps repository and pushes it.

Each write happens in a private temporary clone (``mkdtemp``: mode 0700) of one branch, without
a checkout, shallow or borrowing the objects of a local ``reference`` repository (the service's
mirror, so a fetch transfers only what it lacks): files are read and written as git objects, so
no symbolic link in the repository can redirect a write, and a 10,000-manifest repository costs
no checkout. The folder is removed afterwards, also on failure. A push rejected because the
branch moved (another writer got there first) is retried on the new tip with the edit function
applied again, so no update is lost; a branch rebuilt from the base (``replace``) is pushed with a
lease, so a branch that moved since it was inspected is never overwritten.

Every git process runs through the source's :class:`GitRunner`: a deadline, its own process
group, the same hardened environment, and all of them killed by :meth:`GitWriter.close` at
shutdown, so no push lands after the service has stopped.
"""

from __future__ import annotations

import contextlib
import random
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from catalog_service.actions.git_paths import Identity, check_branch, check_path
from catalog_service.errors import (
    BranchMovedError,
    GitWriteError,
    InvalidRequestError,
    ManifestEditError,
)
from catalog_service.sources.credentials import GitCredentials, Token
from catalog_service.sources.process import (
    GitFailedError,
    GitRunner,
    GitStoppedError,
    GitTimeoutError,
    hardened_env,
)
from catalog_service.sources.urls import redacted_url

# path -> current bytes (None: absent) gives path -> new bytes (None: delete)
EditFunction = Callable[[Mapping[str, bytes | None]], Mapping[str, bytes | None]]

DEFAULT_TIMEOUT_SECONDS = 120.0
DEFAULT_ATTEMPTS = 5
_FILE_MODE = "100644"
_NO_OBJECT = "0" * 40
# What git says when the branch moved under us: try again on the new tip.
_MOVED = (
    "fetch first",
    "non-fast-forward",
    "stale info",
    "cannot lock ref",
    "failed to lock",
    "failed to update ref",
    "reference already exists",
    "incorrect old value",
)


@dataclass(frozen=True, slots=True)
class BranchChange:
    """What a branch on the remote changes, from where it left the base."""

    head: str  # the branch's tip
    merge_base: str | None  # where it left the base; None: it shares no history with the base
    merged: bool  # every commit of it is in the base already
    paths: tuple[str, ...]  # the paths it changes from its merge base with the base
    before: dict[str, bytes | None]  # the inspected paths at the merge base
    after: dict[str, bytes | None]  # and at the branch's tip


@dataclass(frozen=True, slots=True)
class WriteResult:
    branch: str
    commit: str  # the branch's tip after the write
    changed: bool  # False: the edit changed nothing, nothing was pushed
    attempts: int


class _GitFailedError(Exception):
    def __init__(self, args: Sequence[str], status: int, output: str) -> None:
        super().__init__(output)
        self.git_args = tuple(args)
        self.status = status
        self.output = output


class GitWriter:
    """Pushes branches to one remote: a local path, ``file://`` or ``http(s)://`` URL."""

    def __init__(
        self,
        url: str,
        roots: Sequence[str],
        *,
        token: Token | None = None,
        timeout: float = DEFAULT_TIMEOUT_SECONDS,
        attempts: int = DEFAULT_ATTEMPTS,
        temp_root: Path | None = None,
        reference: Path | None = None,
    ) -> None:
        if url.startswith("-"):
            raise InvalidRequestError(f"invalid remote {url!r}")
        self.url = url
        self.display_url = redacted_url(url)
        self.roots = tuple(roots)
        self.timeout = timeout
        self.attempts = max(1, attempts)
        self.temp_root = temp_root
        # A local repository (the service's mirror) whose objects the work tree borrows: then a
        # fetch transfers only what the mirror lacks, not a whole tree of a large repository.
        self.reference = reference
        # Asked again for each fetch, push or listing: an App's installation token expires.
        self._credentials = GitCredentials(url, token=token)
        ceiling = Path(temp_root or tempfile.gettempdir())
        self._runner = GitRunner(timeout, hardened_env(ceiling))

    def close(self) -> None:
        """Kill the git processes still running (their whole process groups), start no more."""
        self._runner.close()

    # -- remote branches ------------------------------------------------------------------------

    def branch_head(self, branch: str) -> str | None:
        """The commit ``branch`` points at on the remote, or None when it does not exist."""
        check_branch(branch)
        return self._remote_heads(branch).get(branch)

    def delete_branch(self, branch: str, *, expected: str | None = None) -> bool:
        """Delete ``branch`` on the remote (only if it still points at ``expected``, when given).
        Answers False when there was no such branch."""
        check_branch(branch)
        if self.branch_head(branch) is None:
            return False
        with self._workspace() as folder:
            self._git(["init", "--quiet", "--bare", str(folder)])
            lease = f"--force-with-lease=refs/heads/{branch}:{expected or ''}"
            args = ["push", "--quiet", "--no-verify", *([lease] if expected else [])]
            try:
                self._git([*args, self.url, f":refs/heads/{branch}"], cwd=folder)
            except _GitFailedError as error:
                raise GitWriteError(self._describe("delete branch", branch, error)) from None
        return True

    def inspect(self, base: str, branch: str, paths: Sequence[str]) -> BranchChange | None:
        """What ``branch`` changes from its merge base with ``base`` (None: no such branch)."""
        check_branch(base)
        check_branch(branch)
        wanted = tuple(check_path(path, self.roots) for path in paths)
        heads = self._remote_heads(branch, base)
        if branch not in heads:
            return None
        if base not in heads:
            raise GitWriteError(f"cannot write to {self.display_url}: no branch {base!r}")
        with self._workspace() as folder:
            self._init(folder)
            refs = [f"+refs/heads/{name}:refs/heads/{name}" for name in (base, branch)]
            try:
                self._git(["fetch", "--quiet", "--no-tags", self.url, *refs], cwd=folder)
            except _GitFailedError as error:
                raise GitWriteError(self._describe("fetch", branch, error)) from None
            head = self._rev(folder, branch)
            try:
                merge_base = self._git(["merge-base", base, branch], cwd=folder).strip()
            except _GitFailedError:  # no common history: nothing of it can be the base's
                return BranchChange(head, None, False, (), {}, {})
            changed = self._git(
                ["diff", "--name-only", "-z", "--no-renames", merge_base, head], cwd=folder
            )
            return BranchChange(
                head=head,
                merge_base=merge_base,
                merged=merge_base == head,
                paths=tuple(filter(None, changed.split("\0"))),
                before=self._read(folder, merge_base, wanted),
                after=self._read(folder, head, wanted),
            )

    def _rev(self, folder: Path, branch: str) -> str:
        ref = f"refs/heads/{branch}^{{commit}}"
        return self._git(["rev-parse", "--verify", ref], cwd=folder).strip()

    # -- writing --------------------------------------------------------------------------------

    def write(
        self,
        *,
        base: str,
        branch: str,
        paths: Sequence[str],
        edit: EditFunction,
        message: str,
        author: Identity,
        committer: Identity | None = None,
        expect: str | None = None,
    ) -> WriteResult:
        """Apply ``edit`` to ``paths`` on ``branch`` (created from ``base`` when it does not exist,
        built on its tip when it does) and push it.

        With ``expect``, the branch is built from the base instead and pushed only if it is still
        absent (``""``) or still at the commit ``expect`` names: BranchMovedError otherwise."""
        check_branch(base)
        if branch == base:
            raise InvalidRequestError(f"refusing to write to the base branch {base!r} directly")
        return self._write(base, branch, paths, edit, message, author, committer, expect)

    def commit(
        self,
        *,
        branch: str,
        paths: Sequence[str],
        edit: EditFunction,
        message: str,
        author: Identity,
        committer: Identity | None = None,
    ) -> WriteResult:
        """Apply ``edit`` to ``paths`` on ``branch``'s tip and push it there: a fast-forward only.
        A branch that moved meanwhile is fetched again and the edit applied to its new tip; never
        a force-push."""
        return self._write(branch, branch, paths, edit, message, author, committer, None)

    def _write(
        self,
        base: str,
        branch: str,
        paths: Sequence[str],
        edit: EditFunction,
        message: str,
        author: Identity,
        committer: Identity | None,
        expect: str | None,
    ) -> WriteResult:
        check_branch(branch)
        wanted = tuple(check_path(path, self.roots) for path in paths)
        if not wanted:
            raise InvalidRequestError("nothing to write: no path given")
        identity = _identity_env(author, committer or author)
        with self._workspace() as folder:
            self._init(folder)
            for attempt in range(1, self.attempts + 1):
                parent = self._fetch_start(folder, base, None if expect is not None else branch)
                current = self._read(folder, parent, wanted)
                new = edit(dict(current))
                unknown = sorted(set(new) - set(wanted))
                if unknown:
                    raise InvalidRequestError(f"the edit wrote undeclared paths: {unknown}")
                if all(new.get(path, current[path]) == current[path] for path in wanted):
                    return WriteResult(branch, parent, False, attempt)
                commit = self._commit(folder, parent, new, message, identity)
                if self._push(folder, commit, branch, expect):
                    return WriteResult(branch, commit, True, attempt)
                if expect is not None:
                    raise BranchMovedError(
                        f"cannot push {branch!r} to {self.display_url}: another writer pushed it"
                        " meanwhile; try again"
                    )
                time.sleep(random.uniform(0.01, 0.05 * attempt))  # let the other writer finish
        raise GitWriteError(
            f"cannot push {branch!r} to {self.display_url}: the branch kept moving during"
            f" {self.attempts} attempts; try again"
        )

    def _init(self, folder: Path) -> None:
        self._git(["init", "--quiet", "--bare", str(folder)])
        objects = self.reference / "objects" if self.reference else None
        if objects is not None and objects.is_dir():
            (folder / "objects" / "info" / "alternates").write_text(f"{objects.resolve()}\n")

    def _fetch_start(self, folder: Path, base: str, branch: str | None) -> str:
        """Fetch the tip to build on (the branch if given and it exists, else the base)."""
        heads = self._remote_heads(*([branch] if branch else []), base)
        start = branch if branch in heads else base
        if start not in heads:
            raise GitWriteError(f"cannot write to {self.display_url}: no branch {base!r}")
        ref = f"refs/heads/{start}"
        # Shallow without a reference; with one, a full fetch finds the objects already there.
        depth = [] if self.reference else ["--depth", "1"]
        try:
            self._git(
                ["fetch", "--quiet", *depth, "--no-tags", self.url, f"+{ref}:{ref}"],
                cwd=folder,
            )
        except _GitFailedError as error:
            raise GitWriteError(self._describe("fetch", start, error)) from None
        return self._rev(folder, start)

    def _read(self, folder: Path, commit: str, paths: Sequence[str]) -> dict[str, bytes | None]:
        listing = self._git(["ls-tree", "-z", commit, "--", *paths], cwd=folder)
        found: dict[str, tuple[str, str, str]] = {}
        for record in filter(None, listing.split("\0")):
            meta, _, path = record.partition("\t")
            mode, kind, sha = meta.split(" ")
            found[path] = (mode, kind, sha)
        contents: dict[str, bytes | None] = {}
        for path in paths:
            if path not in found:
                contents[path] = None
                continue
            mode, kind, sha = found[path]
            if kind != "blob" or mode not in ("100644", "100755"):
                raise ManifestEditError(f"{path}: is not a regular file in the repository")
            contents[path] = self._git_bytes(["cat-file", "blob", sha], cwd=folder)
        return contents

    def _commit(
        self,
        folder: Path,
        parent: str,
        files: Mapping[str, bytes | None],
        message: str,
        identity: Mapping[str, str],
    ) -> str:
        index = {"GIT_INDEX_FILE": str(folder / "catalog-edit.index")}
        self._git(["read-tree", parent], cwd=folder, env=index)
        entries = []
        for path, data in files.items():
            if data is None:
                entries.append(f"0 {_NO_OBJECT}\t{path}")
            else:
                sha = self._git(["hash-object", "-w", "--stdin"], cwd=folder, stdin=data).strip()
                entries.append(f"{_FILE_MODE} {sha}\t{path}")
        info = "".join(entry + "\0" for entry in entries).encode()
        self._git(["update-index", "-z", "--index-info"], cwd=folder, env=index, stdin=info)
        tree = self._git(["write-tree"], cwd=folder, env=index).strip()
        return self._git(
            ["commit-tree", tree, "-p", parent, "-F", "-"],
            cwd=folder,
            env=identity,
            stdin=message.encode(),
        ).strip()

    def _push(self, folder: Path, commit: str, branch: str, expect: str | None) -> bool:
        """Push; False when the branch moved under us (retry), GitWriteError on any refusal.
        With ``expect``, only if the branch is still absent (``""``) or at that commit."""
        ref = f"refs/heads/{branch}"
        lease = [f"--force-with-lease={ref}:{expect}"] if expect is not None else []
        try:
            self._git(
                ["push", "--porcelain", "--no-verify", *lease, self.url, f"{commit}:{ref}"],
                cwd=folder,
            )
        except _GitFailedError as error:
            rejected = [line for line in error.output.splitlines() if line.startswith("!")]
            if any(reason in line for line in rejected for reason in _MOVED):
                return False
            raise GitWriteError(self._describe("push", branch, error)) from None
        return True

    # -- processes ------------------------------------------------------------------------------

    @contextlib.contextmanager
    def _workspace(self) -> Iterator[Path]:
        folder = Path(tempfile.mkdtemp(prefix="catalog-edit-", dir=self.temp_root))  # 0700
        try:
            yield folder
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    def _remote_heads(self, *branches: str) -> dict[str, str]:
        refs = [f"refs/heads/{branch}" for branch in branches]
        try:
            output = self._git(["ls-remote", "--heads", self.url, *refs])
        except _GitFailedError as error:
            raise GitWriteError(self._describe("read", ", ".join(branches), error)) from None
        heads = {}
        for line in output.splitlines():
            sha, _, ref = line.partition("\t")
            if ref in refs:
                heads[ref.removeprefix("refs/heads/")] = sha
        return heads

    def _git(
        self,
        args: Sequence[str],
        *,
        cwd: Path | None = None,
        env: Mapping[str, str] | None = None,
        stdin: bytes | None = None,
    ) -> str:
        return self._git_bytes(args, cwd=cwd, env=env, stdin=stdin).decode("utf-8", "replace")

    def _git_bytes(
        self,
        args: Sequence[str],
        *,
        cwd: Path | None = None,
        env: Mapping[str, str] | None = None,
        stdin: bytes | None = None,
    ) -> bytes:
        """Run git through the runner: its own process group, a deadline, killed at close."""
        try:
            return self._runner.run(
                args, cwd=cwd, env=self._env(remote=self.url in args) | dict(env or {}), stdin=stdin
            )
        except GitFailedError as failure:
            raise _GitFailedError(args, failure.status, failure.stdout + failure.stderr) from None
        except GitTimeoutError:
            raise GitWriteError(
                f"git {args[0]} on {self.display_url} did not finish within {self.timeout:g} s"
                " and was stopped"
            ) from None
        except GitStoppedError:
            raise GitWriteError(
                f"git {args[0]} on {self.display_url} was stopped: the service is shutting down"
            ) from None

    def _env(self, *, remote: bool) -> dict[str, str]:
        """Credentials only for the processes that talk to the remote (its URL is in their
        arguments): local work never asks for a token."""
        return self._credentials.env() if remote else {}

    def _describe(self, what: str, branch: str, error: _GitFailedError) -> str:
        lines = [line.strip() for line in error.output.splitlines() if line.strip()]
        said = [line for line in lines if line.startswith(("remote:", "fatal:", "error:", "!"))]
        reason = "; ".join((said or lines)[-4:]) or f"git exited with status {error.status}"
        reason = reason.replace(self.url, self.display_url)
        reason = self._credentials.redact(reason)
        return f"cannot {what} {branch!r} on {self.display_url}: {reason}"


def _identity_env(author: Identity, committer: Identity) -> dict[str, str]:
    return {
        "GIT_AUTHOR_NAME": author.name,
        "GIT_AUTHOR_EMAIL": author.email,
        "GIT_COMMITTER_NAME": committer.name,
        "GIT_COMMITTER_EMAIL": committer.email,
    }
