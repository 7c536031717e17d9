"""Atomic file writes: a reader sees the old file or the new one, never a half-written one.

:func:`write_bytes`/:func:`write_text` write one file through a temporary file in the same
directory and a rename. :func:`write_set` writes a *set* of files (a night's outputs) into a
fresh directory beside the target and swaps it in with renames, so the whole set appears at
once (on Linux one ``renameat2`` exchange; elsewhere two renames): a kill at any moment leaves
either the old set or the new one, plus at most a hidden ``.name.*`` directory that the next
write removes.
"""

from __future__ import annotations

import ctypes
import errno
import os
import shutil
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path

from .exceptions import InputError

__all__ = ["check_writable_dir", "write_bytes", "write_set", "write_text"]


def _umask_mode(base: int = 0o666) -> int:
    mask = os.umask(0)
    os.umask(mask)
    return base & ~mask


def write_bytes(path: str | Path, data: bytes) -> None:
    """Write ``data`` to ``path`` via a temporary file in the same directory and a rename. A
    place that cannot hold the file (a parent that is a file, a system directory, no space) is
    an :class:`InputError` naming the path, with nothing written."""
    path = Path(path)
    if path.is_dir():
        raise InputError(f"{path}: is a directory, expected a file name")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as e:
        raise InputError(f"{path}: cannot be written there ({e.strerror or type(e).__name__})") from None
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, _umask_mode())
        os.replace(tmp, path)
    except OSError as e:
        Path(tmp).unlink(missing_ok=True)
        raise InputError(f"{path}: cannot be written there ({e.strerror or type(e).__name__})") from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_text(path: str | Path, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` atomically (see :func:`write_bytes`)."""
    write_bytes(path, text.encode("utf-8"))


def check_writable_dir(directory: str | Path) -> Path:
    """Raise :class:`InputError` unless ``directory`` is, or can become, a writable directory
    (checked before long work, so a bad ``--out`` fails in a second, not after the solve)."""
    if not str(directory).strip():
        raise InputError("an output directory is needed, got an empty name")
    d = Path(directory)
    if d.exists() and not d.is_dir():
        raise InputError(f"{d}: exists and is not a directory")
    parent = d if d.exists() else next((p for p in d.parents if p.exists()), Path("."))
    if not parent.is_dir():
        raise InputError(f"{d}: {parent} is not a directory")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise InputError(f"{d}: no permission to write in {parent}")
    if not d.exists():  # permissions can say yes where the file system says no (/proc, a read-only mount)
        try:
            Path(tempfile.mkdtemp(prefix=".nachtzorg-probe-", dir=parent)).rmdir()
        except OSError as e:
            raise InputError(f"{d}: cannot be written there ({e.strerror or type(e).__name__})") from None
    return d


_RENAME_EXCHANGE = 2  # linux/fs.h


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one system call (Linux ``renameat2(RENAME_EXCHANGE)``); False where
    that is not available (the caller then renames twice)."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        fn = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd = -100
    rc = fn(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), _RENAME_EXCHANGE)
    if rc != 0:
        err = ctypes.get_errno()
        if err in (errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP):
            return False
        raise OSError(err, os.strerror(err), str(b))
    return True


def _stale(parent: Path, name: str) -> None:
    """Remove hidden leftovers ``.name.*`` of interrupted writes in ``parent``."""
    for p in parent.glob(f".{name}.*"):
        if p.is_dir():
            shutil.rmtree(p, ignore_errors=True)
        else:
            p.unlink(missing_ok=True)


def write_set(directory: str | Path, files: Mapping[str, str | bytes]) -> list[Path]:
    """Write ``files`` (name -> text or bytes) into ``directory`` so that the whole set appears
    at once.

    When ``directory`` is absent, empty, or holds nothing but files of the same names (an
    earlier set), the set is written into a fresh hidden directory beside it, synced, and
    swapped in (module docstring). A directory that also holds other things is never moved:
    the files are then written as temporaries first and renamed one by one (a kill during
    those renames can mix two sets). Leftovers of an interrupted earlier write are removed.
    """
    target = Path(directory)
    check_writable_dir(target)
    parent = target.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise InputError(f"{target}: cannot be written there ({e.strerror or type(e).__name__})") from None
    _stale(parent, target.name)
    if target.is_dir():
        _stale(target, "")
        if any(p.name not in files or not p.is_file() for p in target.iterdir()):
            return _write_each(target, files)
    fresh = Path(tempfile.mkdtemp(prefix=f".{target.name}.new-", dir=parent))
    try:
        _fill(fresh, files)
        os.chmod(fresh, _umask_mode(0o777))
        if not target.is_dir():
            os.replace(fresh, target)
        elif _exchange(fresh, target):  # now ``fresh`` holds the old set
            shutil.rmtree(fresh, ignore_errors=True)
        else:
            aside = Path(tempfile.mkdtemp(prefix=f".{target.name}.old-", dir=parent))
            os.rmdir(aside)
            os.replace(target, aside)
            os.replace(fresh, target)
            shutil.rmtree(aside, ignore_errors=True)
    except BaseException:
        shutil.rmtree(fresh, ignore_errors=True)
        raise
    return [target / name for name in files]


def _fill(directory: Path, files: Mapping[str, str | bytes], prefix: str = "") -> list[tuple[str, Path]]:
    out = []
    for name, content in files.items():
        data = content.encode("utf-8") if isinstance(content, str) else content
        path = directory / f"{prefix}{name}"
        with open(path, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(path, _umask_mode())
        out.append((name, path))
    return out


def _write_each(directory: Path, files: Mapping[str, str | bytes]) -> list[Path]:
    temps: list[tuple[str, Path]] = []
    try:
        tag = next(tempfile._get_candidate_names())  # noqa: SLF001 - a unique suffix, no file made
        temps = _fill(directory, files, prefix=f"..{tag}.")
        for name, tmp in temps:
            os.replace(tmp, directory / name)
    finally:
        for _, tmp in temps:
            tmp.unlink(missing_ok=True)
    return [directory / name for name in files]
