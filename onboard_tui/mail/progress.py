"""`ProgressSnapshot`: the dashboard's one input, from the engine or from state.db.

In the process that runs the engine the snapshot is built from its counters; an
observer (a second wizard, `status --json`) builds the same dataclass from state.db,
where the engine's writer keeps jobs, figures and errors. One widget path serves both.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field, replace
from datetime import datetime

from onboard_tui.mail.ledger import JOB_STATES, JobRow
from onboard_tui.session.statedb import StateDB

OVERALL = "*"
MB = 1_000_000


@dataclass(frozen=True)
class GroupProgress:
    """One Transfer Group (or everything, name "*")."""

    name: str
    users: dict[str, int]
    items_done: int = 0
    items_total: int = 0
    bytes_done: int = 0
    bytes_total: int = 0
    items_skipped: int = 0
    items_per_s: float = 0.0
    mb_per_s: float = 0.0
    eta_seconds: float | None = None
    concurrency: int = 0
    throttle_events: int = 0

    @property
    def user_count(self) -> int:
        return sum(self.users.values())


@dataclass(frozen=True)
class ProgressSnapshot:
    """Per group and overall; `live` is False when read by an observer from state.db."""

    at: datetime
    overall: GroupProgress
    groups: tuple[GroupProgress, ...] = ()
    running: bool = False
    throttled: bool = False
    concurrency: int = 0
    max_concurrency: int = 0
    throttle_events: int = 0
    recent_errors: tuple[str, ...] = ()
    live: bool = True
    heartbeat: datetime | None = None

    def group(self, name: str) -> GroupProgress | None:
        return next((g for g in self.groups if g.name.casefold() == name.casefold()), None)


def eta(bytes_left: int, items_left: int, bytes_per_s: float, items_per_s: float) -> float | None:
    if bytes_left <= 0 and items_left <= 0:
        return 0.0
    if bytes_per_s > 0 and bytes_left > 0:
        return bytes_left / bytes_per_s
    if items_per_s > 0:
        return items_left / items_per_s
    return None


def aggregate(
    name: str,
    jobs: list[JobRow],
    *,
    items_per_s: float = 0.0,
    bytes_per_s: float = 0.0,
    concurrency: int = 0,
    throttle_events: int = 0,
) -> GroupProgress:
    users = dict.fromkeys(JOB_STATES, 0)
    for j in jobs:
        users[j.state] = users.get(j.state, 0) + 1
    items_done = sum(j.items_done for j in jobs)
    items_total = sum(j.items_total for j in jobs)
    bytes_done = sum(j.bytes_done for j in jobs)
    bytes_total = sum(j.bytes_total for j in jobs)
    return GroupProgress(
        name=name,
        users=users,
        items_done=items_done,
        items_total=items_total,
        bytes_done=bytes_done,
        bytes_total=bytes_total,
        items_skipped=sum(j.items_skipped for j in jobs),
        items_per_s=items_per_s,
        mb_per_s=bytes_per_s / MB,
        eta_seconds=eta(
            bytes_total - bytes_done, items_total - items_done, bytes_per_s, items_per_s
        ),
        concurrency=concurrency,
        throttle_events=throttle_events,
    )


@dataclass
class RateMeter:
    """items/s and bytes/s over a sliding window of samples."""

    window: float = 10.0
    samples: deque[tuple[float, int, int]] = field(default_factory=deque)

    def add(self, now: float, items: int, size: int) -> tuple[float, float]:
        self.samples.append((now, items, size))
        while len(self.samples) > 2 and now - self.samples[0][0] > self.window:
            self.samples.popleft()
        t0, i0, b0 = self.samples[0]
        span = now - t0
        if span <= 0:
            return 0.0, 0.0
        return (items - i0) / span, (size - b0) / span


def read_snapshot(db: StateDB, now: datetime, groups: list[str] | None = None) -> ProgressSnapshot:
    """The snapshot an observer shows, from what the engine's writer committed."""
    from onboard_tui.clock import SystemClock
    from onboard_tui.mail.ledger import Ledger

    jobs = Ledger(db, SystemClock()).jobs()
    runtime = {
        r[0]: r
        for r in db.query(
            "SELECT scope, concurrency, throttle_events, items_per_s, bytes_per_s, running, "
            "heartbeat FROM mail_runtime"
        )
    }
    names = groups if groups is not None else sorted({j.group_name for j in jobs})
    per_group = []
    for name in names:
        rt = runtime.get(name)
        per_group.append(
            aggregate(
                name,
                [j for j in jobs if j.group_name.casefold() == name.casefold()],
                items_per_s=float(rt[3]) if rt else 0.0,
                bytes_per_s=float(rt[4]) if rt else 0.0,
                concurrency=int(rt[1]) if rt else 0,
                throttle_events=int(rt[2]) if rt else 0,
            )
        )
    rt = runtime.get(OVERALL)
    overall = aggregate(
        OVERALL,
        jobs,
        items_per_s=float(rt[3]) if rt else 0.0,
        bytes_per_s=float(rt[4]) if rt else 0.0,
        concurrency=int(rt[1]) if rt else 0,
        throttle_events=int(rt[2]) if rt else 0,
    )
    errors = tuple(
        f"{u}: {m}"
        for u, m in db.query("SELECT user, message FROM mail_errors ORDER BY id DESC LIMIT 10")
    )
    heartbeat = datetime.fromisoformat(rt[6]) if rt else None
    return ProgressSnapshot(
        at=now,
        overall=overall,
        groups=tuple(per_group),
        running=bool(rt[5]) if rt else False,
        concurrency=overall.concurrency,
        throttle_events=overall.throttle_events,
        recent_errors=errors,
        live=False,
        heartbeat=heartbeat,
    )


def combine(
    live: ProgressSnapshot, earlier: ProgressSnapshot | None, order: list[str]
) -> ProgressSnapshot:
    """The engine's live snapshot with the groups it does not run, as state.db has them.

    After a restart the engine knows only the groups started in this process; groups
    started in earlier runs (done, failed, paused) must stay on the dashboard and count in
    the overall figures. Rates, concurrency and the ETA stay the live ones: only the
    running groups move. `order` is the session's group order.
    """
    if earlier is None:
        return live
    have = {g.name.casefold() for g in live.groups}
    extra = [  # not running here: the rates recorded by the earlier run are stale
        replace(g, items_per_s=0.0, mb_per_s=0.0, eta_seconds=None, concurrency=0)
        for g in earlier.groups
        if g.name.casefold() not in have
    ]
    if not extra:
        return live
    by_name = {g.name.casefold(): g for g in (*live.groups, *extra)}
    ordered = [by_name.pop(n.casefold()) for n in order if n.casefold() in by_name]
    ordered += [g for g in (*live.groups, *extra) if g.name.casefold() in by_name]
    o = live.overall
    users = dict(o.users)
    for g in extra:
        for state, count in g.users.items():
            users[state] = users.get(state, 0) + count
    overall = replace(
        o,
        users=users,
        items_done=o.items_done + sum(g.items_done for g in extra),
        items_total=o.items_total + sum(g.items_total for g in extra),
        bytes_done=o.bytes_done + sum(g.bytes_done for g in extra),
        bytes_total=o.bytes_total + sum(g.bytes_total for g in extra),
        items_skipped=o.items_skipped + sum(g.items_skipped for g in extra),
    )
    return replace(live, overall=overall, groups=tuple(ordered))
