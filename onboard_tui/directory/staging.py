"""Stage imported users in a temporary table, compare them with state.db, then apply.

Every source (CSV, Active Directory, Domino) fills a stage; the difference (new, changed,
unchanged, missing) is computed in SQL, so 100,000 users never sit in Python lists, and
the apply step is one transaction: all users change, or none.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from onboard_tui.session.statedb import StateDB

_COLUMNS = (
    "line",
    "email",
    "display_name",
    "first_name",
    "last_name",
    "source_login",
    "department",
    "group_name",
    "source_size",
    "attributes",
    "dn",
)
_TEXT = ("display_name", "first_name", "last_name", "source_login", "department", "dn")
SAMPLE = 20
_MARKS = ", ".join("?" * len(_COLUMNS))


@dataclass
class Candidate:
    """One user as a source gives it; None means "the source says nothing, keep it"."""

    line: int
    email: str
    display_name: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    source_login: str | None = None
    department: str | None = None
    group_name: str | None = None
    source_size: int | None = None
    attributes: dict[str, str] | None = None
    dn: str | None = None

    def row(self) -> tuple[object, ...]:
        attrs = None
        if self.attributes:
            attrs = json.dumps(self.attributes, ensure_ascii=False, separators=(",", ":"))
        return (
            self.line,
            self.email,
            self.display_name,
            self.first_name,
            self.last_name,
            self.source_login,
            self.department,
            self.group_name,
            self.source_size,
            attrs,
            self.dn,
        )


@dataclass
class Difference:
    """What applying a stage would do, with a few examples of each kind."""

    added: int = 0
    changed: int = 0
    unchanged: int = 0
    missing: int = 0
    added_sample: list[str] = field(default_factory=list)
    changed_sample: list[str] = field(default_factory=list)
    missing_sample: list[str] = field(default_factory=list)
    new_groups: list[str] = field(default_factory=list)


_CHANGED = (
    "("
    + " OR ".join(
        [
            f"(s.{c} IS NOT NULL AND s.{c} IS NOT u.{c})"
            for c in (*_TEXT, "group_name", "source_size")
        ]
        + [
            "(s.attributes IS NOT NULL AND json_patch(u.attributes, s.attributes) "
            "IS NOT json(u.attributes))"
        ]
    )
    + ")"
)


class Stage:
    """A temporary table on state.db's connection; dropped after apply or discard."""

    def __init__(self, db: StateDB, source: str) -> None:
        self.db = db
        self.source = source
        self.table = f"temp.stage_{secrets.token_hex(6)}"
        self.count = 0
        with db.transaction() as conn:
            conn.execute(
                f"""CREATE TABLE {self.table} (line INTEGER, email TEXT NOT NULL UNIQUE
                COLLATE NOCASE, display_name TEXT, first_name TEXT, last_name TEXT,
                source_login TEXT COLLATE NOCASE, department TEXT, group_name TEXT,
                source_size INTEGER, attributes TEXT, dn TEXT)"""
            )

    def add(self, batch: Iterable[Candidate]) -> None:
        """Insert checked candidates (emails already unique within the source)."""
        rows = [c.row() for c in batch]
        sql = f"INSERT INTO {self.table} ({', '.join(_COLUMNS)}) VALUES ({_MARKS})"  # noqa: S608
        with self.db.transaction() as conn:
            conn.executemany(sql, rows)
        self.count += len(rows)

    def remove_lines(self, lines: Iterable[int]) -> None:
        with self.db.transaction() as conn:
            conn.executemany(f"DELETE FROM {self.table} WHERE line = ?", [(n,) for n in lines])  # noqa: S608
            self.count = int(conn.execute(f"SELECT count(*) FROM {self.table}").fetchone()[0])  # noqa: S608

    def login_clashes(self) -> list[tuple[int, str, str]]:
        """(line, source login, other user's email): a mailbox claimed by another user."""
        return [
            (int(line), str(login), str(email))
            for line, login, email in self.db.query(
                f"""SELECT s.line, s.source_login, u.email FROM {self.table} s
                JOIN users u ON s.source_login = u.source_login
                WHERE s.source_login <> '' AND u.email <> s.email ORDER BY s.line"""  # noqa: S608
            )
        ]

    def existing(self) -> list[tuple[int, str]]:
        """(line, email) of staged users already in state.db."""
        return [
            (int(a), str(b))
            for a, b in self.db.query(
                f"SELECT s.line, s.email FROM {self.table} s JOIN users u ON u.email = s.email"  # noqa: S608
            )
        ]

    def difference(self, known_groups: Iterable[str]) -> Difference:
        """Counts and samples of new, changed, unchanged and missing users."""
        t = self.table
        d = Difference()
        with self.db.connection() as conn:

            def sample(sql: str) -> list[str]:
                return [r[0] for r in conn.execute(f"{sql} LIMIT {SAMPLE}")]

            new = f"FROM {t} s WHERE NOT EXISTS (SELECT 1 FROM users u WHERE u.email = s.email)"  # noqa: S608
            d.added = conn.execute(f"SELECT count(*) {new}").fetchone()[0]
            d.added_sample = sample(f"SELECT s.email {new} ORDER BY s.line")
            changed = f"FROM {t} s JOIN users u ON u.email = s.email WHERE {_CHANGED}"
            d.changed = conn.execute(f"SELECT count(*) {changed}").fetchone()[0]
            d.changed_sample = sample(f"SELECT s.email {changed} ORDER BY s.line")
            d.unchanged = self.count - d.added - d.changed
            gone = (
                f"FROM users u WHERE u.source IN ('', ?) AND NOT EXISTS "  # noqa: S608
                f"(SELECT 1 FROM {t} s WHERE s.email = u.email)"
            )
            d.missing = conn.execute(f"SELECT count(*) {gone}", (self.source,)).fetchone()[0]
            d.missing_sample = [
                r[0]
                for r in conn.execute(
                    f"SELECT u.email {gone} ORDER BY u.email LIMIT {SAMPLE}", (self.source,)
                )
            ]
            known = {g.casefold() for g in known_groups}
            names = conn.execute(
                f"SELECT DISTINCT group_name FROM {t} WHERE group_name IS NOT NULL"  # noqa: S608
            )
            d.new_groups = sorted({n for (n,) in names if n.casefold() not in known})
        return d

    def apply(self, now: datetime) -> None:
        """Insert new users and update changed ones, in one transaction."""
        t = self.table
        stamp = now.isoformat()
        sets = ", ".join(f"{c} = COALESCE(s.{c}, users.{c})" for c in (*_TEXT, "source_size"))
        with self.db.transaction() as conn:
            conn.execute(
                f"""UPDATE users SET {sets},
                group_name = COALESCE(s.group_name, users.group_name),
                attributes = CASE WHEN s.attributes IS NULL THEN users.attributes
                    ELSE json_patch(users.attributes, s.attributes) END,
                source = ?, updated = ?
                FROM {t} s WHERE s.email = users.email
                AND {_CHANGED.replace("u.", "users.")}""",  # noqa: S608
                (self.source, stamp),
            )
            conn.execute(
                f"""INSERT INTO users (email, display_name, first_name, last_name,
                source_login, department, group_name, source_size, attributes, dn, source,
                created, updated)
                SELECT s.email, COALESCE(s.display_name, ''), COALESCE(s.first_name, ''),
                COALESCE(s.last_name, ''), COALESCE(s.source_login, ''),
                COALESCE(s.department, ''), s.group_name, s.source_size,
                COALESCE(s.attributes, '{{}}'), COALESCE(s.dn, ''), ?, ?, ?
                FROM {t} s WHERE NOT EXISTS (SELECT 1 FROM users u WHERE u.email = s.email)
                ORDER BY s.line""",  # noqa: S608
                (self.source, stamp, stamp),
            )

    def drop(self) -> None:
        with self.db.transaction() as conn:
            conn.execute(f"DROP TABLE IF EXISTS {self.table}")
