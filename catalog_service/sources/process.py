"""Running git: every process in its own process group, with a deadline, killable at shutdown.

A git process can hang on a remote that accepts and never answers, and it starts helpers of its
own (``git-remote-http``, ``ssh``): killing only the process we started would leave those behind.
So each runs as the leader of a new session, and the whole group is killed on timeout and on
:meth:`GitRunner.close`.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path


def hardened_env(folder: Path) -> dict[str, str]:
    """Every git process's environment: never a prompt, git's messages as documented whatever
    the host's locale, and never a repository above ``folder``. Credentials are added only to
    the processes that talk to the remote (catalog_service.sources.credentials)."""
    return {
        "GIT_TERMINAL_PROMPT": "0",
        "GIT_ASKPASS": "",
        "SSH_ASKPASS": "",
        "LC_ALL": "C",
        "GIT_CEILING_DIRECTORIES": str(folder),
    }


class GitFailedError(Exception):
    """git exited with a non-zero status."""

    def __init__(self, status: int, stderr: str, stdout: str = "") -> None:
        super().__init__(stderr)
        self.status = status
        self.stderr = stderr
        self.stdout = stdout  # what some commands report on (``push --porcelain``)

    @property
    def first_error(self) -> str:
        """git's own first error line, whole: what a person reads first to understand it."""
        lines = [line.strip() for line in self.stderr.splitlines() if line.strip()]
        for prefix in ("fatal:", "error:"):
            found = [line for line in lines if line.startswith(prefix)]
            if found:
                return found[0]
        return lines[0] if lines else f"git exited with status {self.status}"


class GitTimeoutError(Exception):
    """git ran longer than its deadline and was killed."""


class GitStoppedError(Exception):
    """The runner was closed (the service is stopping): the process was killed or not started."""


@dataclass
class _Watch:
    process: subprocess.Popen[bytes]
    timer: threading.Timer
    timed_out: bool = False


class GitRunner:
    """Starts git processes with a common environment and a deadline of ``timeout`` seconds."""

    def __init__(self, timeout: float, env: Mapping[str, str] | None = None) -> None:
        self.timeout = timeout
        self._env = dict(env or {})
        self._lock = threading.Lock()
        self._running: list[_Watch] = []
        self._closed = False

    def run(
        self,
        args: Sequence[str],
        *,
        cwd: Path | None = None,
        env: Mapping[str, str] | None = None,
        stdin: bytes | None = None,
    ) -> bytes:
        """Run ``git ARGS``; answer its stdout. Raises GitFailedError, GitTimeoutError or
        GitStoppedError."""
        with self.start(args, cwd=cwd, env=env, stdin=stdin is not None) as watch:
            out, err = watch.process.communicate(stdin)
        if watch.process.returncode != 0:
            raise GitFailedError(
                watch.process.returncode,
                err.decode("utf-8", "replace"),
                out.decode("utf-8", "replace"),
            )
        return out

    @contextlib.contextmanager
    def start(
        self,
        args: Sequence[str],
        *,
        cwd: Path | None = None,
        env: Mapping[str, str] | None = None,
        stdin: bool = True,
    ) -> Iterator[_Watch]:
        """A running ``git ARGS`` with piped stdout and stderr, killed (with its group) when the
        deadline passes, when the runner closes, or when the block is left early."""
        with self._lock:
            if self._closed:
                raise GitStoppedError()
            process = subprocess.Popen(
                ["git", *args],
                cwd=cwd,
                env=os.environ | self._env | dict(env or {}),
                stdin=subprocess.PIPE if stdin else subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                start_new_session=True,  # its own process group: helpers die with it
            )
            watch = _Watch(process, threading.Timer(self.timeout, self._expire))
            watch.timer.args = (watch,)
            watch.timer.daemon = True
            watch.timer.start()
            self._running.append(watch)
        try:
            yield watch
        except Exception:
            # A reader that failed because git was killed: say why it was killed.
            self._finish(watch)
            if watch.timed_out:
                raise GitTimeoutError() from None
            if self._closed:
                raise GitStoppedError() from None
            raise
        except BaseException:
            self._finish(watch)
            raise
        self._finish(watch)
        if watch.timed_out:
            raise GitTimeoutError()
        if self._closed:
            raise GitStoppedError()

    def _finish(self, watch: _Watch) -> None:
        watch.timer.cancel()
        if watch.process.returncode is None:
            _kill_group(watch.process)  # left early: stop it (and whatever it started)
        for stream in (watch.process.stdin, watch.process.stdout, watch.process.stderr):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()
        watch.process.wait()
        with self._lock:
            self._running.remove(watch)

    def close(self) -> None:
        """Kill every running git process group; start no more."""
        with self._lock:
            self._closed = True
            running = list(self._running)
        for watch in running:
            if watch.process.returncode is None:
                _kill_group(watch.process)

    def _expire(self, watch: _Watch) -> None:
        if watch.process.returncode is None:
            watch.timed_out = True
            _kill_group(watch.process)


def _kill_group(process: subprocess.Popen[bytes]) -> None:
    # The group keeps the leader's id while any member lives, so the id names no other process.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
