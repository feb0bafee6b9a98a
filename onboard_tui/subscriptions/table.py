"""Step 4's memory in state.db (`subscriptions`, schema 5), joined with users and mail jobs.

Everything is SQL over indexed columns and read a page at a time (keyset by email), so the
table and the counters cost the same with 100,000 users as with 30.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta

from onboard_tui.cloud.models import CloudUser
from onboard_tui.session.statedb import StateDB
from onboard_tui.subscriptions.model import (
    ACTIVE,
    ASSIGNED,
    AT_RISK,
    EVERYONE,
    NOT_ACTIVATED,
    NOT_ASSIGNED,
    Counters,
    SubscriptionPage,
    SubscriptionUser,
)

_SELECT = """
SELECT s.user, u.display_name, IFNULL(u.group_name, ''), IFNULL(j.state, ''), s.state, s.type,
       s.assigned_at, s.assigned_by, s.activation, s.activated_at, s.ready_at
FROM subscriptions s
JOIN users u ON u.email = s.user
LEFT JOIN mail_jobs j ON j.user = s.user
"""

_FILTERS = {
    EVERYONE: "",
    AT_RISK: "j.state = 'done' AND s.activation != 'active'",
    NOT_ASSIGNED: "s.state != 'assigned'",
    NOT_ACTIVATED: "s.state = 'assigned' AND s.activation != 'active'",
}


def _iso(when: datetime) -> str:
    return when.astimezone(UTC).isoformat()


def _time(text: str) -> datetime | None:
    if not text:
        return None
    when = datetime.fromisoformat(text)
    return when if when.tzinfo else when.replace(tzinfo=UTC)


class SubscriptionTable:
    """Reads and writes of `subscriptions`; one short transaction per call."""

    def __init__(self, db: StateDB) -> None:
        self.db = db

    def sync_needed(self, now: datetime, scheduled_groups: Sequence[str]) -> int:
        """Add the users who now need a subscription: a Step 3 job exists (staged, running
        or migrated) or their Transfer Group is scheduled. Their ready time is when the job
        started (else now), and never moves afterwards. Returns how many were added."""
        marks = ",".join("?" * len(scheduled_groups)) or "NULL"
        stamp = _iso(now)
        with self.db.transaction() as conn:
            cursor = conn.execute(
                f"""INSERT OR IGNORE INTO subscriptions(user, ready_at, updated)
                    SELECT u.email, COALESCE(NULLIF(j.started, ''), ?), ?
                    FROM users u LEFT JOIN mail_jobs j ON j.user = u.email
                    WHERE j.user IS NOT NULL
                       OR u.group_name COLLATE NOCASE IN ({marks})""",  # noqa: S608
                (stamp, stamp, *scheduled_groups),
            )
            return int(cursor.rowcount or 0)

    def page(
        self, *, which: str = EVERYONE, search: str = "", after: str = "", limit: int = 200
    ) -> tuple[list[tuple[object, ...]], bool]:
        """Raw rows after `after` (by email) and whether more follow."""
        clauses, params = self._where(which, search)
        clauses.append("s.user > ?")
        params.append(after)
        rows = self.db.query(
            f"{_SELECT} WHERE {' AND '.join(clauses)} ORDER BY s.user LIMIT ?",
            [*params, limit + 1],
        )
        return rows[:limit], len(rows) > limit

    def users(
        self,
        deadline_days: int,
        *,
        which: str = EVERYONE,
        search: str = "",
        after: str = "",
        limit: int = 200,
    ) -> SubscriptionPage:
        rows, more = self.page(which=which, search=search, after=after, limit=limit)
        users = [_user(r, deadline_days) for r in rows]
        return SubscriptionPage(users, users[-1].email if more and users else None)

    def emails(self, which: str = EVERYONE) -> list[str]:
        clauses, params = self._where(which, "")
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        return [str(r[0]) for r in self.db.query(f"{_SELECT} {where} ORDER BY s.user", params)]

    def known(self, emails: Iterable[str]) -> dict[str, str]:
        """casefolded email -> email, for those in the table."""
        wanted = {e.strip().casefold() for e in emails}
        rows = self.db.query("SELECT user FROM subscriptions")
        return {str(r[0]).casefold(): str(r[0]) for r in rows if str(r[0]).casefold() in wanted}

    def _where(self, which: str, search: str) -> tuple[list[str], list[object]]:
        if which not in _FILTERS:
            raise ValueError(f"unknown filter {which!r}")
        clauses = [_FILTERS[which]] if _FILTERS[which] else []
        params: list[object] = []
        term = search.strip()
        if term:
            like = "%" + term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            clauses.append("(s.user LIKE ? ESCAPE '\\' OR u.display_name LIKE ? ESCAPE '\\')")
            params += [like, like]
        return clauses, params

    def counters(self) -> Counters:
        row = self.db.query(
            """SELECT count(*),
                      IFNULL(sum(s.state = 'assigned'), 0),
                      IFNULL(sum(s.activation = 'active'), 0),
                      IFNULL(sum(j.state = 'done' AND s.activation != 'active'), 0),
                      IFNULL(sum(j.state = 'done'), 0)
               FROM subscriptions s LEFT JOIN mail_jobs j ON j.user = s.user"""
        )[0]
        needing, assigned, activated, at_risk, migrated = (int(v) for v in row)
        return Counters(needing, assigned, activated, at_risk, migrated)

    def waiting_ready_times(self) -> list[datetime]:
        """When each unassigned user became ready, oldest first (the deadline's input)."""
        rows = self.db.query(
            "SELECT ready_at FROM subscriptions WHERE state != 'assigned' ORDER BY ready_at"
        )
        return [t for t in (_time(str(r[0])) for r in rows) if t is not None]

    def mark_assigned(self, email: str, kind: str, at: datetime, by: str) -> None:
        with self.db.transaction() as conn:
            conn.execute(
                """UPDATE subscriptions SET state = 'assigned', type = ?, assigned_at = ?,
                       assigned_by = ?, updated = ? WHERE user = ?""",
                (kind, _iso(at), by, _iso(at), email),
            )

    def apply_cloud(self, users: Sequence[CloudUser], now: datetime) -> tuple[list[str], list[str]]:
        """Take the cloud's state for the users it knows: (newly activated, newly assigned).

        A user the cloud does not know keeps what was recorded here (a provider's CSV)."""
        mine = {
            str(r[0]).casefold(): (str(r[0]), str(r[1]), str(r[2]))
            for r in self.db.query("SELECT user, state, activation FROM subscriptions")
        }
        activated: list[str] = []
        assigned: list[str] = []
        stamp = _iso(now)
        rows = []
        for cu in users:
            found = mine.get(cu.email.casefold())
            if found is None:
                continue
            email, state, activation = found
            new_state = ASSIGNED if cu.assigned else state
            if cu.assigned and state != ASSIGNED:
                assigned.append(email)
            if cu.active and activation != ACTIVE:
                activated.append(email)
            rows.append(
                (
                    new_state,
                    cu.subscription_type,
                    _iso(cu.assigned_at) if cu.assigned_at else "",
                    cu.activation,
                    _iso(cu.activated_at) if cu.activated_at else "",
                    stamp,
                    stamp,
                    email,
                )
            )
        with self.db.transaction() as conn:
            conn.executemany(
                """UPDATE subscriptions SET provisioned = 1, state = ?,
                       type = CASE WHEN ? != '' THEN ? ELSE type END,
                       assigned_at = CASE WHEN ? != '' THEN ? ELSE assigned_at END,
                       activation = ?, activated_at = ?, polled_at = ?, updated = ?
                   WHERE user = ?""",
                [(r[0], r[1], r[1], r[2], r[2], *r[3:]) for r in rows],
            )
            conn.execute("UPDATE subscriptions SET polled_at = ?", (stamp,))
        return activated, assigned

    def last_poll(self) -> datetime | None:
        row = self.db.query("SELECT max(polled_at) FROM subscriptions")
        return _time(str(row[0][0] or "")) if row else None

    def domain_facts(self, domains: Sequence[str]) -> tuple[int, list[str], list[str], list[str]]:
        """For the users of `domains`: (count, not migrated, no final delta, not activated)."""
        if not domains:
            return 0, [], [], []
        likes = " OR ".join("u.email LIKE ? ESCAPE '\\'" for _ in domains)
        params = ["%@" + d.replace("%", "\\%").replace("_", "\\_") for d in domains]
        rows = self.db.query(
            f"""SELECT u.email, IFNULL(j.state, ''), IFNULL(j.passes, 0),
                       IFNULL(s.activation, '')
                FROM users u LEFT JOIN mail_jobs j ON j.user = u.email
                LEFT JOIN subscriptions s ON s.user = u.email
                WHERE {likes} ORDER BY u.email""",  # noqa: S608
            params,
        )
        not_migrated = [str(r[0]) for r in rows if r[1] != "done"]
        no_delta = [str(r[0]) for r in rows if r[1] != "done" or int(r[2]) < 2]
        not_active = [str(r[0]) for r in rows if r[3] != ACTIVE]
        return len(rows), not_migrated, no_delta, not_active


def _user(row: tuple[object, ...], deadline_days: int) -> SubscriptionUser:
    email, name, group, job, state, kind, assigned, by, activation, activated, ready = (
        str(v) for v in row
    )
    ready_at = _time(ready) or datetime.fromtimestamp(0, UTC)  # NOT NULL: never used
    return SubscriptionUser(
        email=email,
        name=name,
        group=group,
        migration=job,
        state=state,
        type=kind,
        assigned_at=_time(assigned),
        assigned_by=by,
        activation=activation,
        activated_at=_time(activated),
        ready_at=ready_at,
        deadline=ready_at + timedelta(days=deadline_days),
    )
