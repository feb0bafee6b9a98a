"""Injected failures for tests: an in-process hook, deliberately not reachable over HTTP."""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from http import HTTPStatus

from onboard_tui.cloud.sandbox.api import ApiProblem


@dataclass
class Fault:
    """Answer `status` to the next `remaining` requests whose path starts with `prefix`."""

    prefix: str
    status: int
    remaining: int
    retry_after: float | None = None

    def problem(self) -> ApiProblem:
        headers = {}
        if self.retry_after is not None:
            headers["Retry-After"] = str(math.ceil(self.retry_after))
        return ApiProblem(
            self.status,
            f"The sandbox was told to answer {self.status} here (injected fault).",
            kind="injected-fault",
            headers=headers,
        )


class FaultInjector:
    """Faults in the order they were injected; thread-safe."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._lock = threading.Lock()

    def add(
        self, path_prefix: str, status: int, count: int = 1, retry_after: float | None = None
    ) -> None:
        try:
            known = HTTPStatus(status)
        except ValueError:
            known = None
        if known is None or not 400 <= status <= 599:
            raise ValueError(f"an injected fault needs an HTTP error status, not {status}")
        if count < 1:
            raise ValueError("count must be at least 1")
        with self._lock:
            self._faults.append(Fault(path_prefix, status, count, retry_after))

    def take(self, path: str) -> Fault | None:
        """The fault for this request, counting it as used."""
        with self._lock:
            for fault in self._faults:
                if path.startswith(fault.prefix):
                    fault.remaining -= 1
                    if fault.remaining <= 0:
                        self._faults.remove(fault)
                    return fault
        return None

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()
