"""state.db: the volume of a session (users, events), kept out of session.toml.

SQLite in WAL mode with synchronous=NORMAL: readers (an observer TUI) never block the
writer, and a crash loses at most the last uncommitted batch, never the database.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from onboard_tui.errors import OnboardError

SCHEMA_VERSION = 5

_SCHEMA_V1 = """
CREATE TABLE IF NOT EXISTS users (
    id INTEGER PRIMARY KEY,
    email TEXT NOT NULL UNIQUE COLLATE NOCASE,
    display_name TEXT NOT NULL DEFAULT '',
    first_name TEXT NOT NULL DEFAULT '',
    last_name TEXT NOT NULL DEFAULT '',
    source_login TEXT NOT NULL DEFAULT '',
    department TEXT NOT NULL DEFAULT '',
    group_name TEXT,
    source_size INTEGER,
    attributes TEXT NOT NULL DEFAULT '{}',
    created TEXT NOT NULL,
    updated TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS users_group ON users(group_name);
CREATE TABLE IF NOT EXISTS events (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    step TEXT NOT NULL,
    kind TEXT NOT NULL,
    message TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS events_step ON events(step, id);
"""

# v2 (directory issue): where a user came from, sort indexes for keyset pages, the
# Domino replica and the time and outcome of each directory refresh.
_SCHEMA_V2 = """
ALTER TABLE users ADD COLUMN dn TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN source TEXT NOT NULL DEFAULT '';
CREATE INDEX IF NOT EXISTS users_display ON users(display_name COLLATE NOCASE, id);
CREATE INDEX IF NOT EXISTS users_last ON users(last_name COLLATE NOCASE, id);
CREATE INDEX IF NOT EXISTS users_department ON users(department COLLATE NOCASE, id);
CREATE INDEX IF NOT EXISTS users_login ON users(source_login COLLATE NOCASE);
CREATE INDEX IF NOT EXISTS users_group_sort ON users(group_name COLLATE NOCASE, id);
CREATE TABLE IF NOT EXISTS domino_entries (
    dn TEXT PRIMARY KEY COLLATE NOCASE,
    mail TEXT NOT NULL DEFAULT '',
    cn TEXT NOT NULL DEFAULT '',
    uid TEXT NOT NULL DEFAULT '',
    mailfile TEXT NOT NULL DEFAULT '',
    mailserver TEXT NOT NULL DEFAULT '',
    digest TEXT NOT NULL,
    updated TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS directory_refresh (
    source TEXT PRIMARY KEY,
    at TEXT NOT NULL,
    added INTEGER NOT NULL,
    changed INTEGER NOT NULL,
    removed INTEGER NOT NULL,
    total INTEGER NOT NULL
);
"""

# v3 (migration issue): per-user jobs, the per-item ledger, skipped items with their
# reason, per-folder checkpoints, the runner's live figures and its recent errors.
_SCHEMA_V3 = """
CREATE TABLE IF NOT EXISTS mail_jobs (
    user TEXT PRIMARY KEY COLLATE NOCASE,
    group_name TEXT NOT NULL DEFAULT '',
    state TEXT NOT NULL,
    reason TEXT NOT NULL DEFAULT '',
    passes INTEGER NOT NULL DEFAULT 0,
    items_total INTEGER NOT NULL DEFAULT 0,
    bytes_total INTEGER NOT NULL DEFAULT 0,
    items_done INTEGER NOT NULL DEFAULT 0,
    bytes_done INTEGER NOT NULL DEFAULT 0,
    items_skipped INTEGER NOT NULL DEFAULT 0,
    attempts INTEGER NOT NULL DEFAULT 0,
    started TEXT NOT NULL DEFAULT '',
    finished TEXT NOT NULL DEFAULT '',
    updated TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS mail_jobs_group ON mail_jobs(group_name COLLATE NOCASE, state);
CREATE TABLE IF NOT EXISTS mail_ledger (
    user TEXT NOT NULL COLLATE NOCASE,
    source_id TEXT NOT NULL,
    folder TEXT NOT NULL,
    size INTEGER NOT NULL,
    target_ref TEXT NOT NULL DEFAULT '',
    target_uid INTEGER,
    copied_at TEXT NOT NULL,
    PRIMARY KEY (user, source_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS mail_ledger_folder ON mail_ledger(user, folder);
CREATE TABLE IF NOT EXISTS mail_skipped (
    user TEXT NOT NULL COLLATE NOCASE,
    source_id TEXT NOT NULL,
    folder TEXT NOT NULL,
    item_type TEXT NOT NULL,
    reason TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT '',
    size INTEGER NOT NULL DEFAULT 0,
    at TEXT NOT NULL,
    PRIMARY KEY (user, source_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS mail_skipped_reason ON mail_skipped(user, reason);
CREATE TABLE IF NOT EXISTS mail_checkpoints (
    user TEXT NOT NULL COLLATE NOCASE,
    folder TEXT NOT NULL,
    validity TEXT NOT NULL,
    high_water INTEGER NOT NULL DEFAULT 0,
    items INTEGER NOT NULL DEFAULT 0,
    bytes INTEGER NOT NULL DEFAULT 0,
    complete INTEGER NOT NULL DEFAULT 0,
    updated TEXT NOT NULL,
    PRIMARY KEY (user, folder)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS mail_runtime (
    scope TEXT PRIMARY KEY,
    concurrency INTEGER NOT NULL DEFAULT 0,
    throttle_events INTEGER NOT NULL DEFAULT 0,
    items_per_s REAL NOT NULL DEFAULT 0,
    bytes_per_s REAL NOT NULL DEFAULT 0,
    running INTEGER NOT NULL DEFAULT 0,
    heartbeat TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS mail_errors (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    user TEXT NOT NULL,
    group_name TEXT NOT NULL DEFAULT '',
    message TEXT NOT NULL
);
"""

# v4 (communications): one row per template and user, the outcome of the last attempt.
_SCHEMA_V4 = """
CREATE TABLE IF NOT EXISTS comms_sent (
    template TEXT NOT NULL,
    user TEXT NOT NULL COLLATE NOCASE,
    status TEXT NOT NULL,
    sent_at TEXT NOT NULL DEFAULT '',
    message_id TEXT NOT NULL DEFAULT '',
    error TEXT NOT NULL DEFAULT '',
    attempts INTEGER NOT NULL DEFAULT 0,
    updated TEXT NOT NULL,
    PRIMARY KEY (template, user)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS comms_sent_status ON comms_sent(template, status);
"""

# v5 (subscriptions): per user, when they became ready to provision (the deadline counts
# from it) and the cloud's subscription and activation state as last polled.
_SCHEMA_V5 = """
CREATE TABLE IF NOT EXISTS subscriptions (
    user TEXT PRIMARY KEY COLLATE NOCASE,
    ready_at TEXT NOT NULL,
    provisioned INTEGER NOT NULL DEFAULT 0,
    state TEXT NOT NULL DEFAULT 'unassigned',
    type TEXT NOT NULL DEFAULT '',
    assigned_at TEXT NOT NULL DEFAULT '',
    assigned_by TEXT NOT NULL DEFAULT '',
    activation TEXT NOT NULL DEFAULT 'pending',
    activated_at TEXT NOT NULL DEFAULT '',
    polled_at TEXT NOT NULL DEFAULT '',
    updated TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS subscriptions_state ON subscriptions(state, activation);
"""

_MIGRATIONS: dict[int, str] = {
    1: _SCHEMA_V1,
    2: _SCHEMA_V2,
    3: _SCHEMA_V3,
    4: _SCHEMA_V4,
    5: _SCHEMA_V5,
}


class StateDBError(OnboardError):
    """state.db cannot be opened or written."""


@dataclass(frozen=True)
class Event:
    """Something that happened, kept so a resumed session can say what was going on."""

    at: datetime
    step: str
    kind: str
    message: str


@dataclass(frozen=True)
class UserRow:
    """A user as the directory import stores it."""

    email: str
    display_name: str = ""
    first_name: str = ""
    last_name: str = ""
    source_login: str = ""
    department: str = ""
    group_name: str | None = None
    source_size: int | None = None
    attributes: dict[str, str] | None = None
    dn: str = ""
    source: str = ""


class StateDB:
    """One connection shared by the threads of one process, serialised by a lock."""

    def __init__(self, path: Path, *, read_only: bool = False) -> None:
        self.path = path
        self.read_only = read_only
        self._lock = threading.RLock()
        try:
            if read_only and path.exists():
                uri = f"file:{path}?mode=ro"
                self._conn = sqlite3.connect(uri, uri=True, check_same_thread=False)
                self._check_version()
            else:
                self._conn = sqlite3.connect(path, check_same_thread=False)
                path.chmod(0o600)
                self._conn.execute("PRAGMA journal_mode=WAL")
                self._conn.execute("PRAGMA synchronous=NORMAL")
                self._migrate()
        except sqlite3.DatabaseError as exc:
            raise StateDBError(
                f"{path} cannot be opened: {exc}.",
                hint="If the file is damaged, move it aside; session.toml is not affected.",
            ) from None
        except OSError as exc:
            raise StateDBError(f"{path} cannot be opened: {exc.strerror}.") from None
        self._conn.execute("PRAGMA busy_timeout=5000")

    def _check_version(self) -> int:
        """The stored schema version; reading it also proves the file is a database."""
        version = int(self._conn.execute("PRAGMA user_version").fetchone()[0])
        if version > SCHEMA_VERSION:
            raise StateDBError(
                f"{self.path} was written by a newer onboard-tui (schema {version}).",
                hint="Upgrade onboard-tui to open this session.",
            )
        return version

    def _migrate(self) -> None:
        version = self._check_version()
        for target in range(version + 1, SCHEMA_VERSION + 1):
            # executescript commits first; BEGIN/COMMIT inside makes each step atomic.
            script = f"BEGIN;\n{_MIGRATIONS[target]}\nPRAGMA user_version={target};\nCOMMIT;"
            try:
                self._conn.executescript(script)
            except sqlite3.Error:
                if self._conn.in_transaction:
                    self._conn.rollback()
                raise

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One atomic unit of work: all of it is stored, or none."""
        with self._lock:
            try:
                with self._conn:
                    yield self._conn
            except sqlite3.Error as exc:
                raise StateDBError(f"Cannot write {self.path}: {exc}.") from None

    @contextmanager
    def connection(self) -> Iterator[sqlite3.Connection]:
        """The connection, held alone, for reads that span several statements."""
        with self._lock:
            try:
                yield self._conn
            except sqlite3.Error as exc:
                raise StateDBError(f"Cannot read {self.path}: {exc}.") from None

    def query(self, sql: str, params: Iterable[Any] = ()) -> list[tuple[Any, ...]]:
        with self._lock:
            return self._conn.execute(sql, tuple(params)).fetchall()

    # --- events --------------------------------------------------------------------------

    def add_event(self, at: datetime, step: str, kind: str, message: str) -> None:
        with self.transaction() as conn:
            conn.execute(
                "INSERT INTO events(at, step, kind, message) VALUES (?, ?, ?, ?)",
                (at.isoformat(), step, kind, message),
            )

    def recent_events(self, limit: int = 20) -> list[Event]:
        rows = self.query(
            "SELECT at, step, kind, message FROM events ORDER BY id DESC LIMIT ?", (limit,)
        )
        return [Event(datetime.fromisoformat(a), s, k, m) for a, s, k, m in rows]

    # --- users ---------------------------------------------------------------------------

    def count_users(self) -> int:
        return int(self.query("SELECT count(*) FROM users")[0][0])

    def upsert_users(self, users: Iterable[UserRow], now: datetime) -> int:
        """Insert or update users by email in one transaction."""
        stamp = now.isoformat()
        rows = [
            (
                u.email,
                u.display_name,
                u.first_name,
                u.last_name,
                u.source_login,
                u.department,
                u.group_name,
                u.source_size,
                json.dumps(u.attributes or {}, ensure_ascii=False),
                u.dn,
                u.source,
                stamp,
                stamp,
            )
            for u in users
        ]
        with self.transaction() as conn:
            conn.executemany(
                """INSERT INTO users(email, display_name, first_name, last_name, source_login,
                       department, group_name, source_size, attributes, dn, source,
                       created, updated)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                   ON CONFLICT(email) DO UPDATE SET display_name=excluded.display_name,
                       first_name=excluded.first_name, last_name=excluded.last_name,
                       source_login=excluded.source_login, department=excluded.department,
                       group_name=excluded.group_name, source_size=excluded.source_size,
                       attributes=excluded.attributes, dn=excluded.dn,
                       source=excluded.source, updated=excluded.updated""",
                rows,
            )
        return len(rows)

    def close(self) -> None:
        with self._lock:
            self._conn.close()
