"""A steady pace of messages per minute, on the injected clock (testable without waiting)."""

from __future__ import annotations

import threading

from onboard_tui.clock import Clock


class RateLimiter:
    """`acquire()` returns when the next message may go: at most `per_minute` a minute,
    evenly spaced (no bursts that a provider's throttle would punish)."""

    def __init__(self, clock: Clock, per_minute: int, *, stop: threading.Event | None = None):
        if per_minute <= 0:
            raise ValueError("per_minute must be above 0")
        self.clock = clock
        self.interval = 60.0 / per_minute
        self.stop = stop
        self._next: float | None = None

    def acquire(self) -> bool:
        """Wait for the next slot; False when `stop` was set while waiting."""
        now = self.clock.monotonic()
        if self._next is None or self._next < now:
            self._next = now
        while True:
            if self.stop is not None and self.stop.is_set():
                return False
            wait = self._next - self.clock.monotonic()
            if wait <= 0:
                break
            self.clock.sleep(min(wait, 0.25))
        self._next += self.interval
        return True
