"""Crash-safe file replacement: a power cut leaves either the old or the new file, whole."""

from __future__ import annotations

import contextlib
import os
import shutil
from pathlib import Path


def write_atomic(path: Path, data: bytes, *, mode: int = 0o600, backup: Path | None = None) -> None:
    """Replace `path` with `data` via temp file, fsync and rename; keep the old one as `backup`.

    The backup is made with a hard link (or a copy where links are not allowed) before the
    rename, so at every instant a complete session.toml exists.
    """
    directory = path.parent
    tmp = directory / f".{path.name}.tmp-{os.getpid()}"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        if backup is not None and path.exists():
            _replace_backup(path, backup, mode)
        tmp.replace(path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    _fsync_dir(directory)


def _replace_backup(path: Path, backup: Path, mode: int) -> None:
    staged = backup.with_name(f".{backup.name}.tmp-{os.getpid()}")
    with contextlib.suppress(FileNotFoundError):
        staged.unlink()
    try:
        os.link(path, staged)
    except OSError:
        shutil.copyfile(path, staged)
    os.chmod(staged, mode)
    staged.replace(backup)


def _fsync_dir(directory: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
