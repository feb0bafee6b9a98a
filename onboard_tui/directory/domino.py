"""The Domino Directory kept as a local replica in state.db, refreshed by difference.

Each refresh reads the person documents a page at a time and writes only what changed
(added, changed, removed), keyed by DN with a digest of the attributes, so the Users tab
can say when the replica was last refreshed and what moved since.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime

from onboard_tui.directory.ad import stage_entries
from onboard_tui.directory.imports import ImportPlan, finish_plan
from onboard_tui.directory.ldapconn import _quietly_unbind, open_bound, paged_entries
from onboard_tui.directory.staging import Candidate, Stage
from onboard_tui.session.model import LdapSource
from onboard_tui.session.secrets import Secret
from onboard_tui.session.statedb import StateDB
from onboard_tui.session.store import SessionStore

DEFAULT_FILTER = "(&(objectClass=dominoPerson)(mail=*))"
ATTRIBUTES = ["mail", "cn", "uid", "mailfile", "mailserver"]
_FIELDS = ("mail", "cn", "uid", "mailfile", "mailserver")


@dataclass(frozen=True)
class RefreshResult:
    """What the last refresh changed in the replica, and when it ran."""

    at: datetime
    added: int
    changed: int
    removed: int
    total: int


@dataclass(frozen=True)
class ReplicaChange:
    """One person the last refresh added, changed or removed."""

    change: str  # "added", "changed" or "removed"
    dn: str
    mail: str
    name: str


# The list of the last refresh's changes is kept beside the replica (replaced on every
# refresh), so the Users tab can show who moved, not only how many.
_CHANGES_TABLE = """CREATE TABLE IF NOT EXISTS domino_changes (
    change TEXT NOT NULL, dn TEXT NOT NULL, mail TEXT NOT NULL, name TEXT NOT NULL)"""
#: How often (entries) a long refresh reports its progress.
PROGRESS_EVERY = 500


def _digest(values: tuple[str, ...]) -> str:
    return hashlib.sha1("\x1f".join(values).encode(), usedforsecurity=False).hexdigest()


def refresh_replica(
    db: StateDB,
    source: LdapSource,
    password: Secret,
    now: datetime,
    progress: Callable[[int], None] | None = None,
) -> RefreshResult:
    """Read the directory and bring the replica in line, in one transaction.

    `progress` is called with the number of entries read so far, every few hundred."""
    conn = open_bound(source, password)
    stamp = now.isoformat()
    try:
        known = {
            dn.casefold(): (dn, d, mail, cn)
            for dn, d, mail, cn in db.query("SELECT dn, digest, mail, cn FROM domino_entries")
        }
        seen: set[str] = set()
        upserts: list[tuple[str, ...]] = []
        changes: list[tuple[str, str, str, str]] = []
        entries = paged_entries(conn, source, source.filter or DEFAULT_FILTER, ATTRIBUTES)
        for count, (dn, entry) in enumerate(entries, start=1):
            if progress is not None and count % PROGRESS_EVERY == 0:
                progress(count)
            values = tuple((entry.get(f) or [""])[0].strip() for f in _FIELDS)
            digest = _digest(values)
            key = dn.casefold()
            seen.add(key)
            old = known.get(key)
            if old is not None and old[1] == digest:
                continue
            changes.append(("added" if old is None else "changed", dn, values[0], values[1]))
            upserts.append((dn, *values, digest, stamp))
    finally:
        _quietly_unbind(conn)
    gone = [(dn, mail, cn) for key, (dn, _d, mail, cn) in known.items() if key not in seen]
    changes += [("removed", dn, mail, cn) for dn, mail, cn in gone]
    removed = [(dn,) for dn, _mail, _cn in gone]
    added = sum(1 for c in changes if c[0] == "added")
    changed = sum(1 for c in changes if c[0] == "changed")
    with db.transaction() as c:
        c.execute(_CHANGES_TABLE)
        c.execute("DELETE FROM domino_changes")
        c.executemany("INSERT INTO domino_changes VALUES (?, ?, ?, ?)", changes)
        c.executemany(
            """INSERT INTO domino_entries (dn, mail, cn, uid, mailfile, mailserver, digest,
            updated) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(dn) DO UPDATE SET
            mail=excluded.mail, cn=excluded.cn, uid=excluded.uid, mailfile=excluded.mailfile,
            mailserver=excluded.mailserver, digest=excluded.digest, updated=excluded.updated""",
            upserts,
        )
        c.executemany("DELETE FROM domino_entries WHERE dn = ?", removed)
        c.execute(
            """INSERT OR REPLACE INTO directory_refresh (source, at, added, changed, removed,
            total) VALUES ('domino', ?, ?, ?, ?, ?)""",
            (stamp, added, changed, len(removed), len(seen)),
        )
    return RefreshResult(now, added, changed, len(removed), len(seen))


def last_refresh(db: StateDB) -> RefreshResult | None:
    rows = db.query(
        "SELECT at, added, changed, removed, total FROM directory_refresh WHERE source='domino'"
    )
    if not rows:
        return None
    at, added, changed, removed, total = rows[0]
    return RefreshResult(datetime.fromisoformat(at), added, changed, removed, total)


def last_changes(db: StateDB, limit: int = 1000) -> list[ReplicaChange]:
    """Who the last refresh added, changed or removed (at most `limit`), removed first."""
    exists = db.query("SELECT 1 FROM sqlite_master WHERE name = 'domino_changes'")
    if not exists:
        return []
    rows = db.query(
        """SELECT change, dn, mail, name FROM domino_changes
        ORDER BY CASE change WHEN 'removed' THEN 0 WHEN 'changed' THEN 1 ELSE 2 END, dn
        LIMIT ?""",
        [limit],
    )
    return [ReplicaChange(*row) for row in rows]


def plan_from_replica(store: SessionStore, domains: tuple[str, ...] = ()) -> ImportPlan:
    """The replica's people as an import: new, changed, unchanged, missing users."""
    stage = Stage(store.db, "domino")
    rows = store.db.query(
        "SELECT dn, mail, cn, uid, mailfile, mailserver FROM domino_entries ORDER BY dn"
    )

    def pairs() -> Iterator[tuple[str, Candidate]]:
        for n, (dn, mail, cn, uid, mailfile, server) in enumerate(rows, start=1):
            attrs = {k: v for k, v in (("mailfile", mailfile), ("mailserver", server)) if v}
            yield dn, Candidate(
                n, mail, display_name=cn, source_login=uid or mailfile,
                attributes=attrs or None, dn=dn,
            )  # fmt: skip

    try:
        count, problems = stage_entries(stage, pairs(), domains)
        return finish_plan(stage, store, source="Domino replica", rows=count, problems=problems)
    except BaseException:
        stage.drop()
        raise
