"""The folder the service keeps its mirror in (``source.cacheDir``): ours alone, or left alone.

Layout::

    cacheDir/
      CATALOG-SERVICE-MIRROR   the marker: this folder was created by the service
      lock                     flock'ed while a service uses the folder; holds its pid
      state.json               the last applied revision and entity count (the held-back guard)
      repo.git/                the bare mirror (discarded and cloned again when damaged)

A folder without the marker is used only if it is empty (then it is marked); anything else,
an existing repository above all, is refused before anything is written into it.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import logging
import os
import shutil
import tempfile
import threading
from pathlib import Path
from typing import Any

from catalog_service.errors import ConfigurationError

logger = logging.getLogger(__name__)

MARKER = "CATALOG-SERVICE-MIRROR"
MARKER_TEXT = (
    "This folder is the git mirror of catalog-service (source.cacheDir). It is a cache:\n"
    "delete it while the service is stopped and the service clones the repository again.\n"
)

# One lock per folder and process: a second service in this process shares it (tests, tools);
# other processes are refused. flock belongs to an open file, so the file stays open.
_held: dict[Path, tuple[int, int]] = {}  # folder -> (descriptor, users)
_held_lock = threading.Lock()


class MirrorFolder:
    """Claims ``path`` for the service (refusing what is not ours) and locks it."""

    def __init__(self, path: Path, *, adopt_old_mirror: bool = False) -> None:
        """``adopt_old_mirror``: the folder is in the service's own cache (not configured), so
        an unmarked bare repository there is a mirror of an earlier version: replace it."""
        self.path = path.expanduser().absolute()
        self._adopt_old_mirror = adopt_old_mirror
        self.repo = self.path / "repo.git"
        self.state_file = self.path / "state.json"
        self._claim()
        self._lock_path: Path | None = None
        self._lock()

    def ensure(self) -> None:
        """The folder exists and is ours: created again (and locked) if it was removed."""
        if not self.path.exists():
            logger.warning("the mirror folder %s was removed; creating it again", self.path)
            self._claim()
            self.release()
            self._lock()

    def release(self) -> None:
        """Let another process use the folder (the service is stopping)."""
        path, self._lock_path = self._lock_path, None
        if path is None:
            return
        with _held_lock:
            descriptor, users = _held[path]
            if users > 1:
                _held[path] = (descriptor, users - 1)
                return
            del _held[path]
        os.close(descriptor)

    def _claim(self) -> None:
        marker = self.path / MARKER
        if self.path.is_dir() and not self.path.is_symlink() and marker.is_file():
            return
        if self._adopt_old_mirror and (self.path / "HEAD").is_file() and not marker.exists():
            logger.warning("replacing the unmarked mirror of an earlier version at %s", self.path)
            shutil.rmtree(self.path)
        exists = self.path.exists() or self.path.is_symlink()
        if exists and (not self.path.is_dir() or any(self.path.iterdir())):
            raise ConfigurationError(_not_ours(self.path))
        try:
            self.path.mkdir(parents=True, exist_ok=True)
            marker.write_text(MARKER_TEXT, encoding="utf-8")
        except OSError as error:
            raise ConfigurationError(
                f"source.cacheDir {self.path} cannot be created: {error.strerror or error}"
            ) from None

    def _lock(self) -> None:
        path = self.path / "lock"
        with _held_lock:
            if path in _held:
                descriptor, users = _held[path]
                _held[path] = (descriptor, users + 1)
                self._lock_path = path
                return
            descriptor = _open_lock_file(path)
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as error:
                os.close(descriptor)
                if error.errno not in (errno.EWOULDBLOCK, errno.EAGAIN):
                    raise ConfigurationError(f"cannot lock {path}: {error.strerror}") from None
                raise ConfigurationError(
                    f"source.cacheDir {self.path} is in use by another catalog-service"
                    f" ({_holder(path)}); give each instance its own source.cacheDir"
                ) from None
            with contextlib.suppress(OSError):  # a read-only folder: no pid to show, still locked
                os.ftruncate(descriptor, 0)
                os.write(descriptor, f"{os.getpid()}\n".encode())
            _held[path] = (descriptor, 1)
            self._lock_path = path

    # -- the state beside the mirror -----------------------------------------------------------

    def read_state(self) -> dict[str, Any] | None:
        try:
            data = json.loads(self.state_file.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as error:
            logger.warning("ignoring %s: %s", self.state_file, error)
            return None
        return data if isinstance(data, dict) else None

    def write_state(self, state: dict[str, Any]) -> None:
        """Atomically: readers see the old state or the new one, never half of one. Not synced
        to disk (on the path of every refresh): after a power cut it may be lost, which the
        reader takes as no state."""
        try:
            handle, name = tempfile.mkstemp(prefix=".state-", dir=self.path)
            temporary = Path(name)
            with os.fdopen(handle, "w", encoding="utf-8") as output:
                json.dump(state, output)
            temporary.replace(self.state_file)
        except OSError as error:
            # The catalog is applied either way; only the guard across a restart is weaker.
            logger.warning("cannot write %s: %s", self.state_file, error)
            with contextlib.suppress(OSError, UnboundLocalError):
                temporary.unlink()


def _open_lock_file(path: Path) -> int:
    try:
        return os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    except PermissionError:
        return os.open(path, os.O_RDONLY | os.O_CLOEXEC)  # flock works on a read-only file


def _holder(path: Path) -> str:
    with contextlib.suppress(OSError, ValueError):
        return f"pid {int(path.read_text().strip())}"
    return "pid unknown"


def _not_ours(path: Path) -> str:
    what = "a file"
    if path.is_dir():
        is_repo = (path / "HEAD").is_file() or (path / ".git").exists()
        what = "a git repository" if is_repo else "a folder with files in it"
    return (
        f"source.cacheDir {path} is {what} that catalog-service did not create (no {MARKER}"
        " file in it); the service never writes into a folder it does not own. Point"
        " source.cacheDir at a new or empty folder: the service creates the mirror there"
    )
