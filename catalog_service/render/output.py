"""Writing a render into its folder: only what changed, each file atomically, and removing only
files that an earlier render wrote there.

The folder's marker (``.catalog-service-render``) lists the files the last render wrote; it is
what makes the folder ours. A folder without it is used only when empty (a fresh checkout's
``.git`` aside); nothing else in the folder is ever touched.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import stat
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from catalog_service.errors import CatalogError

MARKER = ".catalog-service-render"
MARKER_FORMAT = "catalog-service render output v1"
# What a render ever writes: <environment>/<application>/<file>. A marker naming anything else
# was not written by us, and nothing it names is removed.
_OUR_FILE = re.compile(
    r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?/[a-z0-9]([-a-z0-9]*[a-z0-9])?/[a-z]+\.yaml$"
)
_IGNORED_IN_A_NEW_FOLDER = {".git"}


class RenderOutputError(CatalogError):
    """The output folder cannot be used; the message says why and what to do."""


@dataclass(frozen=True, slots=True)
class WriteReport:
    written: int  # files created or changed
    unchanged: int
    removed: int


def write_output(out: Path, files: Mapping[str, bytes]) -> WriteReport:
    """Make ``out`` hold exactly ``files`` among the files renders wrote there."""
    for relative in files:
        if not _OUR_FILE.match(relative):
            raise ValueError(f"not a render output path: {relative!r}")
    try:
        _make_folder(out)
        with _locked(out):
            # Checked under the lock: a render starting beside another one into a new folder
            # sees either the empty folder or the other's marker, never its first files.
            _check_ours(out)
            return _write_locked(out, files)
    except OSError as error:  # a full disk, a read-only mount, a folder where a file goes
        where = error.filename or out
        raise RenderOutputError(
            f"cannot write the render into {out}: {where}: {error.strerror or error}"
        ) from None


def _write_locked(out: Path, files: Mapping[str, bytes]) -> WriteReport:
    previous = _read_marker(out)
    # Listed before writing: files of a render killed midway are still removed later.
    _write_marker(out, previous | set(files))
    written = unchanged = 0
    known: set[str] = set()
    for relative, data in sorted(files.items()):
        if _write_if_changed(out, relative, data, known):
            written += 1
        else:
            unchanged += 1
    removed = sum(_remove(out, relative) for relative in sorted(previous - set(files)))
    _write_marker(out, set(files))
    return WriteReport(written=written, unchanged=unchanged, removed=removed)


def _make_folder(out: Path) -> None:
    if out.is_symlink() or (out.exists() and not out.is_dir()):
        raise RenderOutputError(f"{out} is not a folder; give --out a folder for the render")
    try:
        out.mkdir(parents=True, exist_ok=True)  # another render may make it at the same time
    except OSError as error:
        raise RenderOutputError(f"cannot create {out}: {error.strerror}") from None


def _check_ours(out: Path) -> None:
    if (out / MARKER).is_file():
        return
    others = sorted({path.name for path in out.iterdir()} - _IGNORED_IN_A_NEW_FOLDER)
    if others:
        shown = ", ".join(others[:5]) + (", ..." if len(others) > 5 else "")
        raise RenderOutputError(
            f"{out} is not empty and no render wrote it (it has no {MARKER} file; it holds"
            f" {shown}); render into an empty or new folder, which then belongs to render"
        )


@contextmanager
def _locked(out: Path) -> Iterator[None]:
    """One render at a time in a folder: a second one waits for the first (the lock is on the
    folder itself, so no lock file lands in the rendered branch)."""
    descriptor = os.open(out, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)


def _read_marker(out: Path) -> set[str]:
    path = out / MARKER
    if not path.is_file():
        return set()
    try:
        content = json.loads(path.read_bytes())
        listed = content["files"] if content.get("format") == MARKER_FORMAT else None
    except (ValueError, TypeError, AttributeError, KeyError):
        listed = None
    if not isinstance(listed, list):
        raise RenderOutputError(
            f"{path} is not a marker that render wrote; remove the folder's content by hand"
            " or render into a new folder"
        )
    return {item for item in listed if isinstance(item, str) and _OUR_FILE.match(item)}


def _write_marker(out: Path, files: set[str]) -> None:
    content = {"format": MARKER_FORMAT, "files": sorted(files)}
    data = (json.dumps(content, indent=1) + "\n").encode()
    path = out / MARKER
    if not (path.is_file() and path.read_bytes() == data):
        _atomic_write(path, data)


def _folder(out: Path, relative: str, create: bool, known: set[str] | None = None) -> Path | None:
    """The folder of ``relative`` inside ``out``; never through a symbolic link. ``known``:
    folders already checked in this render (a large render has thousands of files)."""
    folder = out
    for part in relative.split("/")[:-1]:
        folder = folder / part
        if known is not None and str(folder) in known:
            continue
        try:
            mode = folder.lstat().st_mode
        except FileNotFoundError:
            if not create:
                return None
            folder.mkdir()
            mode = stat.S_IFDIR
        if not stat.S_ISDIR(mode):  # a symbolic link, a file
            raise RenderOutputError(
                f"{folder} is not a folder that render made; remove it and render again"
            )
        if known is not None:
            known.add(str(folder))
    return folder


def _write_if_changed(out: Path, relative: str, data: bytes, known: set[str]) -> bool:
    folder = _folder(out, relative, create=True, known=known)
    assert folder is not None
    target = folder / relative.rsplit("/", 1)[1]
    try:
        mode = target.lstat().st_mode
    except FileNotFoundError:
        mode = None
    if mode is not None and stat.S_ISDIR(mode):
        raise RenderOutputError(f"{target} is a folder, not a file render wrote; remove it")
    if mode is not None and stat.S_ISREG(mode):
        # Never blocks (O_NONBLOCK: a FIFO put there since), never follows a link.
        flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK
        with os.fdopen(os.open(target, flags), "rb") as existing:
            if existing.read(len(data) + 1) == data:
                return False
    # A symbolic link, a FIFO or a socket is replaced, never followed or read.
    _atomic_write(target, data)
    return True


def _atomic_write(target: Path, data: bytes) -> None:
    """A reader (git add, Argo CD) sees the old file or the new one, never half of one. Not
    fsynced: the files are derived (a render after a crash writes them again), and a sync per
    file would cost most of a large render. One writer at a time (the lock): a fixed temporary
    name, which a killed render's leftover only gets reused under: removed first, then made
    anew (``O_EXCL``), so a link left under that name is never written through."""
    temporary = target.with_name(f".{target.name}.render-tmp")
    temporary.unlink(missing_ok=True)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW
    try:
        with os.fdopen(os.open(temporary, flags, 0o644), "wb") as file:
            file.write(data)
        temporary.replace(target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def _remove(out: Path, relative: str) -> bool:
    folder = _folder(out, relative, create=False)
    if folder is None:
        return False
    target = folder / relative.rsplit("/", 1)[1]
    if not (target.is_file() or target.is_symlink()):
        return False
    target.unlink()
    # Folders left empty go too (never one that holds anything else).
    for empty in (folder, folder.parent):
        if empty != out and not any(empty.iterdir()):
            empty.rmdir()
    return True
