"""Atomic writes: one file, and a set of files that appears all at once, even under kill -9."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from nachtzorg.atomic import check_writable_dir, write_set, write_text
from nachtzorg.exceptions import InputError


def test_write_text_replaces_and_leaves_no_temporary_files(tmp_path):
    """After atomic writes only the target files exist, with the new content."""
    write_text(tmp_path / "a.txt", "x")
    write_text(tmp_path / "a.txt", "y")
    assert [p.name for p in tmp_path.iterdir()] == ["a.txt"] and (tmp_path / "a.txt").read_text() == "y"


def test_write_set_swaps_a_whole_directory(tmp_path):
    """A set replaces an earlier set of the same names; nothing else is left beside it."""
    out = tmp_path / "out"
    write_set(out, {"b.txt": "1", "c.txt": "1"})
    write_set(out, {"b.txt": "2", "c.txt": "2"})
    assert {p.name: p.read_text() for p in out.iterdir()} == {"b.txt": "2", "c.txt": "2"}
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def test_write_set_never_moves_a_directory_with_other_things(tmp_path):
    """A directory that holds the user's own files keeps them (files are then replaced one by one)."""
    (tmp_path / "notes.md").write_text("mine")
    write_set(tmp_path, {"b.txt": "new"})
    assert (tmp_path / "notes.md").read_text() == "mine" and (tmp_path / "b.txt").read_text() == "new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["b.txt", "notes.md"]


def test_failed_render_keeps_previous_outputs(tmp_path):
    """If writing fails halfway (an unencodable text), the old set stays and no temporary is left."""
    out = tmp_path / "out"
    write_set(out, {"b.txt": "old"})
    with pytest.raises(UnicodeEncodeError):
        write_set(out, {"b.txt": "new", "c.txt": "\udcff"})
    assert {p.name: p.read_text() for p in out.iterdir()} == {"b.txt": "old"}
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def test_output_place_is_checked_before_work(tmp_path):
    """A file, or a place without write permission, is refused with a clear error."""
    f = tmp_path / "file"
    f.write_text("x")
    with pytest.raises(InputError, match="not a directory"):
        check_writable_dir(f)
    with pytest.raises(InputError, match="not a directory"):
        check_writable_dir(f / "sub")
    if os.geteuid() != 0:  # root may write anywhere
        ro = tmp_path / "ro"
        ro.mkdir(mode=0o500)
        with pytest.raises(InputError, match="permission"):
            check_writable_dir(ro / "out")


_WRITER = """
import sys
from nachtzorg.atomic import write_set
out = sys.argv[1]
k = 0
while True:
    k += 1
    write_set(out, {name: str(k) * 20000 for name in ("plan.json", "routes.csv", "map.html", "routes.html")})
"""


def test_kill_at_any_moment_leaves_one_whole_set(tmp_path):
    """kill -9 of a process writing sets over and over: every time, the directory holds one set
    (all files from the same write), and the next write removes any leftover."""
    out = tmp_path / "out"
    write_set(out, {name: "0" for name in ("plan.json", "routes.csv", "map.html", "routes.html")})
    for i in range(15):
        proc = subprocess.Popen([sys.executable, "-c", _WRITER, str(out)])
        time.sleep(0.15 + 0.02 * i)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        contents = {p.name: p.read_text() for p in out.iterdir()}
        assert sorted(contents) == ["map.html", "plan.json", "routes.csv", "routes.html"]
        assert len(set(contents.values())) == 1, "a mixed set"
    write_set(out, {"plan.json": "x"})
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def test_a_place_the_file_system_refuses_is_an_input_error_before_any_work(tmp_path):
    """Permissions can say yes where the file system says no (/proc as root): the check tries."""
    from pathlib import Path

    blocker = tmp_path / "afile"
    blocker.write_text("x")
    with pytest.raises(InputError, match="afile"):
        write_text(blocker / "state.json", "{}")
    with pytest.raises(InputError, match="afile"):
        check_writable_dir(blocker / "out")
    if Path("/proc").is_dir():
        with pytest.raises(InputError, match="cannot be written there|no permission"):
            check_writable_dir("/proc/nachtzorg-test/out")
        with pytest.raises(InputError, match="cannot be written there|no permission"):
            write_text("/proc/nachtzorg-test/state.json", "{}")
