"""The time rules of Step 2, as pure functions of the clock's `now`.

Polling after Begin Verification: every 10 s for 2 minutes, every 30 s up to 15 minutes,
every 2 minutes up to an hour, then every 10 minutes up to 48 hours. Restart Verification
is allowed only once 48 hours have passed since Begin; before that the seed's advice holds:
fix the record and wait, do not restart.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

RESTART_AFTER = timedelta(hours=48)

#: (up to this long after Begin, check this often)
STAGES: tuple[tuple[timedelta, timedelta], ...] = (
    (timedelta(minutes=2), timedelta(seconds=10)),
    (timedelta(minutes=15), timedelta(seconds=30)),
    (timedelta(hours=1), timedelta(minutes=2)),
    (RESTART_AFTER, timedelta(minutes=10)),
)


def poll_interval(elapsed: timedelta) -> timedelta | None:
    """How often to check `elapsed` after Begin; None once 48 hours have passed."""
    if elapsed < timedelta(0):
        return STAGES[0][1]
    for limit, every in STAGES:
        if elapsed < limit:
            return every
    return None


def next_check_at(
    begun_at: datetime | None, checked_at: datetime | None, *, verified: bool = False
) -> datetime | None:
    """When the next automatic check is due; None when nothing is to be polled."""
    if begun_at is None or verified:
        return None
    last = checked_at if checked_at is not None and checked_at >= begun_at else begun_at
    every = poll_interval(last - begun_at)
    if every is None:
        return None
    due = last + every
    return due if due - begun_at <= RESTART_AFTER else None


@dataclass(frozen=True)
class RestartRule:
    """Whether Restart Verification may be used now, and the sentence that says why."""

    allowed: bool
    reason: str
    allowed_at: datetime | None = None
    remaining: timedelta | None = None


def restart_rule(begun_at: datetime | None, verified: bool, now: datetime) -> RestartRule:
    """The 48-hour rule of the seed, both sides of the line."""
    if verified:
        return RestartRule(False, "The domain is verified: there is nothing to restart.")
    if begun_at is None:
        return RestartRule(False, "Begin Verification first; Restart comes 48 hours later.")
    allowed_at = begun_at + RESTART_AFTER
    if now < allowed_at:
        remaining = allowed_at - now
        return RestartRule(
            False,
            f"Verification began {duration(now - begun_at)} ago. If the record is wrong, fix "
            "the CNAME record and wait; do not restart: restarting issues a new key. Restart "
            f"becomes available in {duration(remaining)} ({allowed_at:%Y-%m-%d %H:%M} UTC).",
            allowed_at,
            remaining,
        )
    return RestartRule(
        True,
        "48 hours have passed since Begin Verification without success: Restart issues a "
        "new key, which must then replace the old one in the CNAME record.",
        allowed_at,
        timedelta(0),
    )


def duration(delta: timedelta) -> str:
    """`45 s`, `12 min`, `3 h 05 min`, `2 d 01 h`."""
    seconds = max(0, int(delta.total_seconds()))
    if seconds < 60:
        return f"{seconds} s"
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes:02d} min"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours:02d} h"
