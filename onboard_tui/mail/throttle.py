"""Adaptive concurrency: back off when a server says "busy", speed up again when calm.

Every batch of every job takes a slot; the number of slots (the current concurrency)
starts at the configured maximum. A throttling signal (HTTP 429/503, IMAP NO [INUSE] or
[LIMIT], a BYE under load) halves it (at least 1) and tells the job how long to wait:
the server's Retry-After when it gave one, else an exponential back-off with jitter.
After `calm_after` seconds without a signal the limit rises by one, up to the maximum.
Time comes from the injected clock, so the tests do not wait.
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass

from onboard_tui.clock import Clock

FIRST_BACKOFF = 1.0
MAX_BACKOFF = 120.0
CALM_AFTER = 20.0


@dataclass(frozen=True)
class ThrottleState:
    """What the dashboard shows."""

    limit: int
    maximum: int
    active: int
    events: int
    throttled: bool


class ThrottleController:
    """Slots for batches, whose number follows the servers' signals."""

    def __init__(
        self,
        clock: Clock,
        maximum: int = 4,
        *,
        minimum: int = 1,
        calm_after: float = CALM_AFTER,
        rng: random.Random | None = None,
    ) -> None:
        self.clock = clock
        self.maximum = max(1, maximum)
        self.minimum = max(1, min(minimum, self.maximum))
        self.limit = self.maximum
        self.calm_after = calm_after
        self.events = 0
        self.streak = 0
        self.active = 0
        self._rng = rng or random.Random()  # noqa: S311 - jitter, not security
        self._last_signal: float | None = None
        self._last_raise = clock.monotonic()
        self._cond = threading.Condition()

    # --- signals -------------------------------------------------------------------------

    def on_throttle(self, retry_after: float | None = None) -> float:
        """Lower the limit; the seconds the signalling job should wait before retrying."""
        with self._cond:
            now = self.clock.monotonic()
            self.events += 1
            # Several jobs hit by the same burst lower the limit once, not once each.
            if self._last_signal is None or now - self._last_signal >= 1.0:
                self.limit = max(self.minimum, self.limit // 2)
            self._last_signal = now
            self._last_raise = now
            self.streak += 1
            if retry_after is not None:
                base = max(0.0, retry_after)
                return base + self._rng.uniform(0, min(1.0, base * 0.1 + 0.1))
            ceiling = min(MAX_BACKOFF, FIRST_BACKOFF * 2 ** (self.streak - 1))
            return self._rng.uniform(ceiling / 2, ceiling)  # "equal jitter"

    def on_success(self) -> None:
        """A batch went through: after a calm period, allow one more at a time."""
        with self._cond:
            self.streak = 0
            now = self.clock.monotonic()
            calm_since = max(self._last_raise, self._last_signal or self._last_raise)
            if self.limit < self.maximum and now - calm_since >= self.calm_after:
                self.limit += 1
                self._last_raise = now
                self._cond.notify_all()

    def set_maximum(self, maximum: int) -> None:
        with self._cond:
            self.maximum = max(1, maximum)
            self.limit = min(self.limit, self.maximum)
            self._cond.notify_all()

    # --- slots ---------------------------------------------------------------------------

    def acquire(self, cancelled: threading.Event | None = None, poll: float = 0.2) -> bool:
        """Wait for a slot; False if `cancelled` was set first."""
        with self._cond:
            while self.active >= self.limit:
                if cancelled is not None and cancelled.is_set():
                    return False
                self._cond.wait(poll)
            self.active += 1
            return True

    def release(self) -> None:
        with self._cond:
            self.active = max(0, self.active - 1)
            self._cond.notify_all()

    def state(self) -> ThrottleState:
        with self._cond:
            throttled = self._last_signal is not None and (
                self.clock.monotonic() - self._last_signal < self.calm_after
            )
            return ThrottleState(self.limit, self.maximum, self.active, self.events, throttled)
