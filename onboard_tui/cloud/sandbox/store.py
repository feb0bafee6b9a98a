"""The sandbox's state in SQLite: organisations, logon sessions, domains, items, users.

One connection shared by the request threads behind a lock: the sandbox serves one
administrator, so simplicity wins over concurrency. WAL keeps readers of the file (tests,
a curious admin with sqlite3) from blocking it. Passwords are stored only as PBKDF2
hashes and bearer tokens only as SHA-256 digests.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from onboard_tui.errors import OnboardError

SCHEMA_VERSION = 4

_SCHEMA = """
CREATE TABLE IF NOT EXISTS organisations (
    org_id        TEXT PRIMARY KEY,
    admin_email   TEXT NOT NULL UNIQUE COLLATE NOCASE,
    password_hash TEXT NOT NULL,
    company       TEXT NOT NULL,
    country       TEXT NOT NULL,
    language      TEXT NOT NULL,
    timezone      TEXT NOT NULL,
    geography     TEXT NOT NULL,
    registered_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS sessions (
    token_digest  TEXT PRIMARY KEY,
    org_id        TEXT NOT NULL REFERENCES organisations(org_id) ON DELETE CASCADE,
    expires_at    TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS sessions_expiry ON sessions(expires_at);
CREATE TABLE IF NOT EXISTS domains (
    org_id        TEXT NOT NULL REFERENCES organisations(org_id) ON DELETE CASCADE,
    name          TEXT NOT NULL,
    parent        TEXT NOT NULL DEFAULT '',
    key           TEXT NOT NULL DEFAULT '',
    status        TEXT NOT NULL,
    begun_at      TEXT NOT NULL DEFAULT '',
    verified_at   TEXT NOT NULL DEFAULT '',
    check_at      TEXT NOT NULL DEFAULT '',
    check_result  TEXT NOT NULL DEFAULT '',
    check_seen    TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (org_id, name)
);
CREATE INDEX IF NOT EXISTS domains_name ON domains(name);
CREATE TABLE IF NOT EXISTS mailbox_items (
    org_id        TEXT NOT NULL REFERENCES organisations(org_id) ON DELETE CASCADE,
    email         TEXT NOT NULL COLLATE NOCASE,
    source_id     TEXT NOT NULL,
    kind          TEXT NOT NULL,
    folder        TEXT NOT NULL,
    flags         TEXT NOT NULL,
    received_at   TEXT NOT NULL,
    size          INTEGER NOT NULL,
    sha256        TEXT NOT NULL,
    stored_at     TEXT NOT NULL,
    body          BLOB NOT NULL,
    PRIMARY KEY (org_id, email, source_id)
);
CREATE TABLE IF NOT EXISTS users (
    org_id             TEXT NOT NULL REFERENCES organisations(org_id) ON DELETE CASCADE,
    email              TEXT NOT NULL UNIQUE COLLATE NOCASE,
    display_name       TEXT NOT NULL,
    given_name         TEXT NOT NULL DEFAULT '',
    family_name        TEXT NOT NULL DEFAULT '',
    provisioned_at     TEXT NOT NULL,
    subscription       TEXT NOT NULL DEFAULT 'unassigned',
    subscription_type  TEXT NOT NULL DEFAULT '',
    assigned_at        TEXT NOT NULL DEFAULT '',
    activation         TEXT NOT NULL DEFAULT 'pending',
    activated_at       TEXT NOT NULL DEFAULT '',
    activate_due       TEXT NOT NULL DEFAULT '',
    password_hash      TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (org_id, email)
);
CREATE INDEX IF NOT EXISTS users_due ON users(org_id, activation, activate_due);
"""


def _private_file(path: Path) -> None:
    """Create the database as 0600 (SQLite gives its -wal and -shm files the same mode)."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    os.close(fd)
    os.chmod(path, 0o600)
    for extra in ("-wal", "-shm", "-journal"):
        with contextlib.suppress(FileNotFoundError):
            os.chmod(path.with_name(path.name + extra), 0o600)


def _iso(when: datetime) -> str:
    """UTC with microseconds, so stored times also sort correctly as text."""
    return when.astimezone(UTC).isoformat(timespec="microseconds")


@dataclass(frozen=True)
class OrganisationRow:
    """One registered organisation, without its password hash."""

    org_id: str
    admin_email: str
    company: str
    country: str
    language: str
    timezone: str
    geography: str
    registered_at: datetime


@dataclass(frozen=True)
class DomainRow:
    """One domain of one organisation (docs/cloud-api.md 4.1); times are "" when unset."""

    org_id: str
    name: str
    parent: str
    key: str
    status: str
    begun_at: datetime | None = None
    verified_at: datetime | None = None
    check_at: datetime | None = None
    check_result: str = ""
    check_seen: str = ""


_DOMAIN_COLUMNS = (
    "org_id, name, parent, key, status, begun_at, verified_at, check_at, check_result, check_seen"
)


def _time(text: str) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def _domain(row: tuple[str, ...]) -> DomainRow:
    org, name, parent, key, status, begun, verified, check_at, result, seen = row
    return DomainRow(
        org, name, parent, key, status, _time(begun), _time(verified), _time(check_at), result, seen
    )


@dataclass(frozen=True)
class MailboxItemRow:
    """One stored mailbox item, without its body; times are RFC 3339 text."""

    source_id: str
    kind: str
    folder: str
    flags: str
    received_at: str
    size: int
    sha256: str
    stored_at: str


class AdminExists(Exception):
    """An organisation is already registered with that administrator email."""


class SandboxStore:
    """Thread-safe access to sandbox.db."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        try:
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            _private_file(path)
            self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute("PRAGMA foreign_keys=ON")
            self._migrate()
        except (OSError, sqlite3.Error) as exc:
            raise OnboardError(
                f"The sandbox database {path} cannot be opened ({exc}).",
                hint="Check that the session folder is writable, or move the damaged file away.",
            ) from None

    def _migrate(self) -> None:
        version = int(self._db.execute("PRAGMA user_version").fetchone()[0])
        if version > SCHEMA_VERSION:
            raise sqlite3.DatabaseError(
                f"it was written by a newer onboard-tui (schema {version} > {SCHEMA_VERSION})"
            )
        self._db.executescript(_SCHEMA)
        self._db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def execute(self, sql: str, params: tuple[object, ...] = ()) -> list[tuple[Any, ...]]:
        """One statement under the lock (the users resource keeps its SQL beside it)."""
        with self._lock:
            return self._db.execute(sql, params).fetchall()

    # --- organisations -------------------------------------------------------------------

    def add_organisation(self, org: OrganisationRow, password_hash: str) -> None:
        """Store a new organisation; AdminExists when its administrator is taken."""
        with self._lock:
            try:
                self._db.execute(
                    "INSERT INTO organisations VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        org.org_id,
                        org.admin_email,
                        password_hash,
                        org.company,
                        org.country,
                        org.language,
                        org.timezone,
                        org.geography,
                        _iso(org.registered_at),
                    ),
                )
            except sqlite3.IntegrityError:
                raise AdminExists(org.admin_email) from None

    def admin_exists(self, email: str) -> bool:
        with self._lock:
            row = self._db.execute(
                "SELECT 1 FROM organisations WHERE admin_email = ?", (email,)
            ).fetchone()
        return row is not None

    def credentials(self, email: str) -> tuple[str, str] | None:
        """(org_id, password hash) of the organisation this email administers."""
        with self._lock:
            row = self._db.execute(
                "SELECT org_id, password_hash FROM organisations WHERE admin_email = ?", (email,)
            ).fetchone()
        return (str(row[0]), str(row[1])) if row else None

    def organisation(self, org_id: str) -> OrganisationRow | None:
        with self._lock:
            row = self._db.execute(
                "SELECT org_id, admin_email, company, country, language, timezone, geography, "
                "registered_at FROM organisations WHERE org_id = ?",
                (org_id,),
            ).fetchone()
        if row is None:
            return None
        org_id, email, company, country, language, timezone, geography, registered = row
        return OrganisationRow(
            org_id=org_id,
            admin_email=email,
            company=company,
            country=country,
            language=language,
            timezone=timezone,
            geography=geography,
            registered_at=datetime.fromisoformat(registered),
        )

    # --- sessions ------------------------------------------------------------------------

    def add_session(self, token_digest: str, org_id: str, expires_at: datetime) -> None:
        with self._lock:
            self._db.execute(
                "INSERT INTO sessions VALUES (?, ?, ?)",
                (token_digest, org_id, _iso(expires_at)),
            )

    def session_org(self, token_digest: str, now: datetime) -> str | None:
        """The organisation of a live session; expired sessions are forgotten on the way."""
        with self._lock:
            self._db.execute("DELETE FROM sessions WHERE expires_at <= ?", (_iso(now),))
            row = self._db.execute(
                "SELECT org_id FROM sessions WHERE token_digest = ?", (token_digest,)
            ).fetchone()
        return str(row[0]) if row else None

    # --- domains -------------------------------------------------------------------------

    def domains(self, org_id: str) -> list[DomainRow]:
        with self._lock:
            rows = self._db.execute(
                f"SELECT {_DOMAIN_COLUMNS} FROM domains WHERE org_id = ? ORDER BY name",  # noqa: S608
                (org_id,),
            ).fetchall()
        return [_domain(r) for r in rows]

    def domain(self, org_id: str, name: str) -> DomainRow | None:
        with self._lock:
            row = self._db.execute(
                f"SELECT {_DOMAIN_COLUMNS} FROM domains WHERE org_id = ? AND name = ?",  # noqa: S608
                (org_id, name),
            ).fetchone()
        return _domain(row) if row else None

    def verified_elsewhere(self, org_id: str, names: list[str]) -> bool:
        """True when another organisation has verified one of `names`."""
        marks = ",".join("?" * len(names))
        with self._lock:
            row = self._db.execute(
                f"SELECT 1 FROM domains WHERE org_id != ? AND status = 'verified' "  # noqa: S608
                f"AND name IN ({marks})",
                (org_id, *names),
            ).fetchone()
        return row is not None

    def save_domain(self, row: DomainRow) -> None:
        """Insert or replace one domain."""
        when = [_iso(t) if t else "" for t in (row.begun_at, row.verified_at, row.check_at)]
        with self._lock:
            self._db.execute(
                f"INSERT OR REPLACE INTO domains ({_DOMAIN_COLUMNS}) "  # noqa: S608
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    row.org_id,
                    row.name,
                    row.parent,
                    row.key,
                    row.status,
                    *when,
                    row.check_result,
                    row.check_seen,
                ),
            )

    # --- mailbox items (docs/cloud-api.md 4.3, 4.4) ----------------------------------------

    def item(self, org_id: str, email: str, source_id: str) -> MailboxItemRow | None:
        with self._lock:
            row = self._db.execute(
                "SELECT source_id, kind, folder, flags, received_at, size, sha256, stored_at "
                "FROM mailbox_items WHERE org_id = ? AND email = ? AND source_id = ?",
                (org_id, email, source_id),
            ).fetchone()
        return MailboxItemRow(*row) if row else None

    def put_item(self, org_id: str, email: str, row: MailboxItemRow, body: bytes) -> None:
        """Insert or replace one item (the handler decides what changed)."""
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO mailbox_items VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    org_id,
                    email,
                    row.source_id,
                    row.kind,
                    row.folder,
                    row.flags,
                    row.received_at,
                    row.size,
                    row.sha256,
                    row.stored_at,
                    body,
                ),
            )

    def usage(self, org_id: str, email: str) -> dict[str, tuple[int, int]]:
        """Items and bytes per kind stored in a mailbox."""
        with self._lock:
            rows = self._db.execute(
                "SELECT kind, count(*), coalesce(sum(size), 0) FROM mailbox_items "
                "WHERE org_id = ? AND email = ? GROUP BY kind",
                (org_id, email),
            ).fetchall()
        return {str(k): (int(n), int(b)) for k, n, b in rows}
