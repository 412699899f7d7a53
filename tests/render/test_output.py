"""The render folder: only files renders wrote are ever changed or removed; a folder that is not
ours is refused with a message saying so; a render killed midway leaves nothing behind for good."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

import pytest

from catalog_service.render.output import MARKER, MARKER_FORMAT, RenderOutputError, write_output

FILES = {"dev/pay/values.yaml": b"a: 1\n", "dev/pay/application.yaml": b"b: 2\n"}


def test_a_new_folder_then_only_changes(tmp_path: Path) -> None:
    out = tmp_path / "new" / "out"
    assert write_output(out, FILES).written == 2
    report = write_output(out, {**FILES, "dev/pay/values.yaml": b"a: 2\n"})
    assert (report.written, report.unchanged, report.removed) == (1, 1, 0)
    assert (out / "dev/pay/values.yaml").read_bytes() == b"a: 2\n"


def test_a_folder_that_is_not_ours_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    with pytest.raises(RenderOutputError, match="is not empty and no render wrote it"):
        write_output(out, FILES)
    assert sorted(p.name for p in out.iterdir()) == ["notes.txt"]
    (out / "notes.txt").unlink()
    (out / ".git").mkdir()  # a fresh checkout of an empty branch is fine
    assert write_output(out, FILES).written == 2
    file = tmp_path / "file"
    file.write_text("x")
    with pytest.raises(RenderOutputError, match="is not a folder"):
        write_output(file, FILES)


def test_files_beside_ours_are_kept(tmp_path: Path) -> None:
    out = tmp_path / "out"
    write_output(out, FILES)
    (out / "README.md").write_text("ours, not render's")
    (out / "dev/pay/notes.txt").write_text("kept")
    assert write_output(out, {}).removed == 2
    assert (out / "dev/pay/notes.txt").read_text() == "kept"
    assert (out / "README.md").exists()
    (out / "dev/pay/notes.txt").unlink()
    write_output(out, FILES)
    write_output(out, {})
    assert not (out / "dev").exists()  # empty folders of ours go


def test_a_tampered_marker_never_removes_anything_else(tmp_path: Path) -> None:
    out = tmp_path / "out"
    write_output(out, FILES)
    outside = tmp_path / f"{out.name}-outside.yaml"
    outside.write_text("precious")
    (out / "keep.yaml").write_text("precious")
    listed = [f"../{outside.name}", "keep.yaml", "dev/../keep.yaml", "/etc/passwd", 7]
    marker = {"format": MARKER_FORMAT, "files": [*FILES, *listed]}
    (out / MARKER).write_text(json.dumps(marker))
    assert write_output(out, {}).removed == 2
    assert outside.read_text() == "precious" and (out / "keep.yaml").exists()
    (out / MARKER).write_text("not json")
    with pytest.raises(RenderOutputError, match="is not a marker that render wrote"):
        write_output(out, FILES)


def test_a_symbolic_link_in_the_folder_is_never_followed(tmp_path: Path) -> None:
    out, elsewhere = tmp_path / "out", tmp_path / "elsewhere"
    elsewhere.mkdir()
    write_output(out, {"prod/x/values.yaml": b"x\n"})
    (out / "dev").symlink_to(elsewhere)
    with pytest.raises(RenderOutputError, match="is not a folder that render made"):
        write_output(out, FILES)
    assert list(elsewhere.iterdir()) == []


def test_files_of_a_render_killed_midway_are_removed_later(tmp_path: Path) -> None:
    out = tmp_path / "out"
    write_output(out, FILES)
    # What a render killed after listing and writing a new application leaves: listed, written.
    marker = {"format": MARKER_FORMAT, "files": sorted([*FILES, "dev/new/values.yaml"])}
    (out / MARKER).write_text(json.dumps(marker))
    (out / "dev/new").mkdir()
    (out / "dev/new/values.yaml").write_text("half")
    assert write_output(out, FILES).removed == 1
    assert not (out / "dev/new").exists()


def test_only_render_paths_are_written(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="not a render output path"):
        write_output(tmp_path, {"../x/y/values.yaml": b""})


def test_a_link_left_under_the_temporary_name_is_never_written_through(tmp_path: Path) -> None:
    out = tmp_path / "out"
    write_output(out, FILES)
    hard, soft = tmp_path / "hard.txt", tmp_path / "soft.txt"
    hard.write_text("precious")
    soft.write_text("precious")
    os.link(hard, out / "dev/pay/.values.yaml.render-tmp")
    (out / "dev/pay/.application.yaml.render-tmp").symlink_to(soft)
    changed = {"dev/pay/values.yaml": b"a: 2\n", "dev/pay/application.yaml": b"b: 3\n"}
    assert write_output(out, changed).written == 2
    assert hard.read_text() == soft.read_text() == "precious"
    assert (out / "dev/pay/values.yaml").read_bytes() == b"a: 2\n"


def test_a_fifo_or_a_folder_where_a_file_goes(tmp_path: Path) -> None:
    out = tmp_path / "out"
    write_output(out, FILES)
    (out / "dev/pay/values.yaml").unlink()
    os.mkfifo(out / "dev/pay/values.yaml")  # opened for reading, it would block forever
    done = threading.Thread(target=write_output, args=(out, FILES), daemon=True)
    done.start()
    done.join(10)
    assert not done.is_alive()
    assert (out / "dev/pay/values.yaml").read_bytes() == FILES["dev/pay/values.yaml"]
    (out / "dev/pay/values.yaml").unlink()
    (out / "dev/pay/values.yaml").mkdir()
    with pytest.raises(RenderOutputError, match="is a folder, not a file render wrote"):
        write_output(out, FILES)


def test_an_os_error_is_a_render_output_error(tmp_path: Path) -> None:
    out = tmp_path / "out"
    write_output(out, FILES)
    (out / "dev/pay/.values.yaml.render-tmp").mkdir()  # unlink fails: EISDIR
    with pytest.raises(RenderOutputError, match=r"cannot write the render into .*render-tmp"):
        write_output(out, {**FILES, "dev/pay/values.yaml": b"a: 2\n"})


def test_two_renders_into_one_new_folder_at_once(tmp_path: Path) -> None:
    errors: list[Exception] = []

    def render(out: Path, barrier: threading.Barrier) -> None:
        barrier.wait()
        try:
            write_output(out, FILES)
        except Exception as error:  # collected, then asserted
            errors.append(error)

    for attempt in range(40):  # the race was lost about one time in ten
        barrier = threading.Barrier(2)
        out = tmp_path / f"out{attempt}"
        threads = [threading.Thread(target=render, args=(out, barrier)) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert errors == []
