"""The Domino Directory kept as a local replica in state.db, refreshed by difference.

Each refresh reads the person documents a page at a time and writes only what changed
(added, changed, removed), keyed by DN with a digest of the attributes, so the Users tab
can say when the replica was last refreshed and what moved since.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
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


def _digest(values: tuple[str, ...]) -> str:
    return hashlib.sha1("\x1f".join(values).encode(), usedforsecurity=False).hexdigest()


def refresh_replica(
    db: StateDB, source: LdapSource, password: Secret, now: datetime
) -> RefreshResult:
    """Read the directory and bring the replica in line, in one transaction."""
    conn = open_bound(source, password)
    stamp = now.isoformat()
    try:
        known = {dn.casefold(): d for dn, d in db.query("SELECT dn, digest FROM domino_entries")}
        seen: set[str] = set()
        upserts: list[tuple[str, ...]] = []
        added = changed = 0
        for dn, entry in paged_entries(conn, source, source.filter or DEFAULT_FILTER, ATTRIBUTES):
            values = tuple((entry.get(f) or [""])[0].strip() for f in _FIELDS)
            digest = _digest(values)
            key = dn.casefold()
            seen.add(key)
            old = known.get(key)
            if old == digest:
                continue
            added += old is None
            changed += old is not None
            upserts.append((dn, *values, digest, stamp))
    finally:
        _quietly_unbind(conn)
    removed = [(dn,) for dn in known if dn not in seen]
    with db.transaction() as c:
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
