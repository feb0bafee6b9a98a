"""The provisioning deadline: days from when a user became ready, with a warning window.

Pure arithmetic over the ready times of the users still unassigned, so it is tested
without a database or a clock.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime, timedelta

from onboard_tui.subscriptions.config import SubscriptionConfig
from onboard_tui.subscriptions.model import Deadline


def deadline(
    waiting_ready: Sequence[datetime], now: datetime, config: SubscriptionConfig
) -> Deadline:
    """Where the deadline stands for users who became ready at `waiting_ready` (oldest first)."""
    if not waiting_ready:
        return Deadline("none", days=config.deadline_days)
    span = timedelta(days=config.deadline_days)
    warn = timedelta(days=config.warn_days)
    ends = sorted(t + span for t in waiting_ready)
    overdue = sum(1 for end in ends if end <= now)
    near = sum(1 for end in ends if now < end <= now + warn)
    first = ends[0]
    days_left = max(0, math.ceil((first - now).total_seconds() / 86400))
    level = "overdue" if overdue else "near" if near else "ok"
    return Deadline(
        level,
        next_at=first,
        days_left=days_left,
        waiting=len(ends),
        near=near,
        overdue=overdue,
        days=config.deadline_days,
    )
