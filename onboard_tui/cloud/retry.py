"""When to try again: Retry-After (seconds or HTTP-date) and a ceiling on total waiting.

A wizard that sleeps for minutes looks hung, so waiting stops at a ceiling and the caller
is told when to try again instead.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

MAX_TOTAL_WAIT = 30.0
FIRST_BACKOFF = 0.5


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds to wait, from `Retry-After: 120` or `Retry-After: <HTTP-date>`; None if absent."""
    if not value or not value.strip():
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        pass
    else:
        return max(0.0, seconds) if math.isfinite(seconds) else None
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


@dataclass
class RetryBudget:
    """Retries left for one call, and the time already spent waiting."""

    max_retries: int
    ceiling: float = MAX_TOTAL_WAIT
    retries: int = 0
    waited: float = 0.0

    def backoff(self) -> float:
        """The wait when the server gives none: 0.5 s, 1 s, 2 s, ..."""
        return float(FIRST_BACKOFF * 2**self.retries)

    def next_wait(self, suggested: float | None) -> float | None:
        """Seconds to sleep before the next attempt, or None when the budget is spent."""
        delay = self.backoff() if suggested is None else suggested
        if self.retries >= self.max_retries or self.waited + delay > self.ceiling:
            return None
        self.retries += 1
        self.waited += delay
        return delay
