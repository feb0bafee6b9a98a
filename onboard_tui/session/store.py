"""Open, create and save a session folder: session.toml, its backup, its lock and state.db.

The store never overwrites a file it could not read: a damaged session.toml is reported
with its line and left as it is, and restoring the backup keeps the damaged file beside it.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import tomlkit
from tomlkit.toml_document import TOMLDocument

from onboard_tui.session.atomic import write_atomic
from onboard_tui.session.codec import new_document, parse_document, read_session, write_session
from onboard_tui.session.errors import SessionFileError, SessionWriteError
from onboard_tui.session.lock import SessionLock
from onboard_tui.session.model import SessionData
from onboard_tui.session.statedb import StateDB

SESSION_FILE = "session.toml"


def session_paths(path: Path) -> tuple[Path, Path]:
    """(session.toml, its folder) from either the file or the folder."""
    path = path.expanduser()
    if path.suffix == ".toml":
        return path, path.parent
    return path / SESSION_FILE, path


class SessionStore:
    """A session opened for reading and, when it holds the lock, for writing."""

    def __init__(self, path: Path, doc: TOMLDocument, data: SessionData, lock: SessionLock):
        self.path = path
        self.folder = path.parent
        self.backup_path = backup_path(path)
        self.doc = doc
        self.data = data
        self.lock = lock
        self.read_only = not lock.held
        self.db = StateDB(self.folder / "state.db", read_only=self.read_only)

    # --- opening -------------------------------------------------------------------------

    @classmethod
    def open(cls, path: Path, *, read_only: bool = False) -> SessionStore:
        """Open an existing session; SessionFileError names the file and line if it is bad.

        Without the lock (another process holds it, or `read_only`) nothing can be saved.
        """
        path, _ = session_paths(path)
        data, doc = load(path)
        lock = SessionLock(path.with_name("session.lock"))
        if not read_only:
            try:
                lock.acquire()
            except OSError as exc:
                raise SessionWriteError(
                    f"Cannot take the lock {lock.path}: {exc.strerror}.",
                    hint="Check the permissions of the session folder.",
                ) from None
        try:
            return cls(path, doc, data, lock)
        except BaseException:
            lock.release()
            raise

    @classmethod
    def create(cls, path: Path, data: SessionData) -> SessionStore:
        """Make a new session folder; refuses to replace an existing session."""
        path, folder = session_paths(path)
        if path.exists():
            raise SessionWriteError(
                f"{path} already exists.", hint="Open it instead, or choose another folder."
            )
        try:
            folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        except OSError as exc:
            raise SessionWriteError(
                f"Cannot create the session folder {folder}: {exc.strerror}."
            ) from None
        lock = SessionLock(path.with_name("session.lock"))
        try:
            lock.acquire()
        except OSError as exc:
            raise SessionWriteError(f"Cannot write in {folder}: {exc.strerror}.") from None
        doc = new_document()
        write_session(data, doc)
        store = cls(path, doc, data, lock)
        store._write()
        return store

    # --- saving --------------------------------------------------------------------------

    def update(self, change: Callable[[SessionData], None]) -> None:
        """Apply `change` and save; on failure the session in memory and on disk is unchanged."""
        if self.read_only:
            raise SessionWriteError(
                f"{self.path} is open read-only because another onboard-tui holds it.",
                hint="Close the other one to make changes here.",
            )
        text_before = tomlkit.dumps(self.doc)
        try:
            change(self.data)
            write_session(self.data, self.doc)
            self._write()
        except BaseException:
            self.doc = tomlkit.parse(text_before)
            self.data = read_session(self.doc, text_before, self.path, None)
            raise

    def _write(self) -> None:
        try:
            write_atomic(
                self.path, tomlkit.dumps(self.doc).encode("utf-8"), backup=self.backup_path
            )
        except OSError as exc:
            raise SessionWriteError(
                f"Cannot save {self.path}: {exc.strerror or exc}.",
                hint="The previous version is intact. Check the folder's permissions and "
                "free space, then try again.",
            ) from None

    def close(self) -> None:
        self.db.close()
        self.lock.release()


def backup_path(path: Path) -> Path:
    return path.with_name(path.name + ".bak")


def load(path: Path) -> tuple[SessionData, TOMLDocument]:
    """Read and validate session.toml without changing anything on disk."""
    backup = backup_path(path)
    usable_backup = backup if backup.exists() else None
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise SessionFileError(
            path, "no session here.", hint="Give the path of a session.toml, or create one."
        ) from None
    except OSError as exc:
        raise SessionFileError(path, f"cannot be read: {exc.strerror}.") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise SessionFileError(
            path, "contains bytes that are not UTF-8 text.", line=line, backup=usable_backup
        ) from None
    doc = parse_document(text, path, usable_backup)
    return read_session(doc, text, path, usable_backup), doc


def restore_backup(path: Path, now: datetime) -> Path:
    """Put the backup in place of a damaged session.toml; returns where the damaged one went.

    The backup is checked first, so a damaged backup never replaces anything.
    """
    path, _ = session_paths(path)
    backup = backup_path(path)
    load(backup)
    kept = path.with_name(f"{path.name}.damaged-{now:%Y%m%d-%H%M%S}")
    try:
        if path.exists():
            os.replace(path, kept)
        shutil.copyfile(backup, path)
        os.chmod(path, 0o600)
    except OSError as exc:
        raise SessionWriteError(f"Cannot restore {backup}: {exc.strerror}.") from None
    return kept
