"""The migration part of `onboard-tui status --json`: per group and per user, from state.db."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from onboard_tui.clock import SystemClock
from onboard_tui.mail.ledger import DONE, Ledger
from onboard_tui.mail.progress import GroupProgress, read_snapshot
from onboard_tui.mail.scheduler import Scheduler
from onboard_tui.session.statedb import StateDB
from onboard_tui.session.store import SessionStore


def _group(g: GroupProgress) -> dict[str, Any]:
    return {
        "name": g.name,
        "users": dict(g.users),
        "items_done": g.items_done,
        "items_total": g.items_total,
        "bytes_done": g.bytes_done,
        "bytes_total": g.bytes_total,
        "items_skipped": g.items_skipped,
        "items_per_s": round(g.items_per_s, 2),
        "mb_per_s": round(g.mb_per_s, 3),
        "eta_seconds": None if g.eta_seconds is None else round(g.eta_seconds),
        "concurrency": g.concurrency,
        "throttle_events": g.throttle_events,
    }


def migration_status(store: SessionStore) -> dict[str, Any]:
    """Plain data (JSON-ready); never a secret."""
    clock = SystemClock()
    names = [g.name for g in store.data.transfer_groups]
    snap = read_snapshot(store.db, clock.now(), names or None)
    schedules = Scheduler(store, clock).schedules()
    groups = []
    for g in snap.groups:
        entry = _group(g)
        when = next((w for n, w in schedules.items() if n.casefold() == g.name.casefold()), None)
        entry["scheduled"] = when.isoformat() if when else None
        groups.append(entry)
    return {
        "running": snap.running,
        "heartbeat": snap.heartbeat.isoformat() if snap.heartbeat else None,
        "overall": _group(snap.overall),
        "groups": groups,
        "users": [
            {
                "email": j.user,
                "group": j.group_name,
                "state": j.state,
                "reason": j.reason,
                "items_done": j.items_done,
                "items_total": j.items_total,
                "bytes_done": j.bytes_done,
                "bytes_total": j.bytes_total,
                "items_skipped": j.items_skipped,
                "passes": j.passes,
                "started": j.started or None,
                "finished": j.finished or None,
            }
            for j in Ledger(store.db, clock).jobs()
        ],
        "recent_errors": list(snap.recent_errors),
    }


@dataclass(frozen=True)
class MigrationFacts:
    """What Step 5's readiness gate needs to know about one user's migration.

    `migrated`: a pass ended with every folder copied (skips recorded), so the mailbox is
    in the target. `final_delta_done`: the latest pass was a delta pass (a pass after the
    first full one) and it ended, so nothing that arrived before it is left behind.
    """

    email: str
    group: str
    state: str
    passes: int
    migrated: bool
    final_delta_done: bool
    last_pass_finished: str | None
    reason: str


def user_migration_facts(db: StateDB) -> dict[str, MigrationFacts]:
    """Per user (email as stored), from state.db; users never started are absent."""
    incomplete = {
        str(r[0]).casefold()
        for r in db.query("SELECT DISTINCT user FROM mail_checkpoints WHERE complete = 0")
    }
    facts = {}
    for j in Ledger(db, SystemClock()).jobs():
        migrated = j.passes >= 1 and j.user.casefold() not in incomplete
        facts[j.user] = MigrationFacts(
            email=j.user,
            group=j.group_name,
            state=j.state,
            passes=j.passes,
            migrated=migrated,
            final_delta_done=migrated and j.passes >= 2 and j.state == DONE,
            last_pass_finished=j.finished or None,
            reason=j.reason,
        )
    return facts
