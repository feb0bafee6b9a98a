"""A session's state as plain data, for `onboard-tui status` and scripts."""

from __future__ import annotations

from typing import Any

from onboard_tui.mail.status import migration_status
from onboard_tui.roadmap.service import RoadmapService
from onboard_tui.session.store import SessionStore
from onboard_tui.subscriptions.table import SubscriptionTable


def session_status(store: SessionStore, roadmap: RoadmapService) -> dict[str, Any]:
    """What `status --json` prints; never a secret."""
    data = store.data
    org = data.organisation
    return {
        "session": data.name,
        "path": str(store.path),
        "provider": data.provider,
        "geography": data.geography or None,
        "current_step": data.current_step.value,
        "organisation": None
        if org is None
        else {
            "logon_name": org.logon_name,
            "company": org.company,
            "country": org.country,
            "language": org.language,
            "timezone": org.timezone,
            "org_id": org.org_id,
            "registered_at": org.registered_at.isoformat() if org.registered_at else None,
        },
        "steps": [
            {
                "id": s.step.id.value,
                "number": s.step.number,
                "title": s.step.title,
                "state": s.state.value,
                "reason": s.reason,
            }
            for s in roadmap.statuses()
        ],
        "users": store.db.count_users(),
        "transfer_groups": len(data.transfer_groups),
        "in_use_by": (store.lock.holder() or 0) if store.lock.busy() else None,
        "migration": migration_status(store),
        "subscriptions": _subscriptions(store),
    }


def _subscriptions(store: SessionStore) -> dict[str, int]:
    """Step 4's counters as the wizard last polled them (no cloud call here)."""
    c = SubscriptionTable(store.db).counters()
    return {
        "needing": c.needing,
        "assigned": c.assigned,
        "activated": c.activated,
        "migrated_not_activated": c.at_risk,
    }


def format_status(status: dict[str, Any]) -> str:
    """The same, for a person."""
    org = status["organisation"]
    lines = [
        f"Session     {status['session']}  ({status['path']})",
        f"Provider    {status['provider']}  geography {status['geography'] or 'not chosen'}",
        "Organisation "
        + (f"{org['logon_name']} (registered {org['registered_at']})" if org else "not registered"),
        f"Users       {status['users']}  in {status['transfer_groups']} transfer groups",
    ]
    if status["in_use_by"] is not None:
        lines.append(f"In use by   process {status['in_use_by'] or '?'} (a wizard or runner)")
    migration = status.get("migration") or {}
    for group in migration.get("groups", []):
        users = ", ".join(f"{n} {k}" for k, n in group["users"].items() if n)
        lines.append(
            f"Migration   {group['name']}: {users or 'not started'}; "
            f"{group['items_done']}/{group['items_total']} items"
        )
    subs = status.get("subscriptions") or {}
    if subs.get("needing"):
        lines.append(
            f"Subscriptions {subs['assigned']} of {subs['needing']} assigned, "
            f"{subs['activated']} activated, {subs['migrated_not_activated']} migrated but "
            "not activated"
        )
    lines.append("")
    for step in status["steps"]:
        label = f"{step['number']} {step['title']}" if step["number"] else step["title"]
        mark = "→" if step["id"] == status["current_step"] else " "
        reason = f"  ({step['reason']})" if step["reason"] else ""
        lines.append(f"{mark} {label:<24} {step['state'].replace('_', ' ')}{reason}")
    return "\n".join(lines)
