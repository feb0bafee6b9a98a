"""A reloaded browser tab takes the session back from the tab it replaces.

`onboard-tui serve` starts one wizard process per browser tab. On a reload the old tab's
wizard is told to quit while the new one is already starting; without waiting, the new one
would find the lock still held and open read-only. So a served wizard waits a little for
the lock when (and only when) its holder is another wizard of the same `serve` process.
A wizard in a terminal, or a runner, keeps the lock: the tab then opens read-only at once.
"""

from __future__ import annotations

import os
from pathlib import Path

from onboard_tui.clock import Clock
from onboard_tui.session.lock import SessionLock

#: The environment variable through which `serve` tells its wizards its own pid.
SERVE_PID_ENV = "ONBOARD_TUI_SERVE_PID"

#: How long a new tab waits for the tab it replaces to let go of the session.
HANDOVER_SECONDS = 15.0


def parent_of(pid: int, proc: Path = Path("/proc")) -> int | None:
    """The parent pid of `pid` from /proc, or None when it cannot be read."""
    try:
        text = (proc / str(pid) / "stat").read_text()
    except OSError:
        return None
    # "pid (comm) state ppid ...": comm may hold spaces and parentheses.
    fields = text[text.rfind(")") + 2 :].split()
    try:
        return int(fields[1])
    except (IndexError, ValueError):
        return None


def descends_from(pid: int, ancestor: int, proc: Path = Path("/proc")) -> bool:
    """Whether `ancestor` is `pid`'s parent, grandparent, … (never `pid` itself)."""
    seen: set[int] = set()
    current = parent_of(pid, proc)
    while current and current not in seen:
        if current == ancestor:
            return True
        seen.add(current)
        current = parent_of(current, proc)
    return False


def wait_for_sibling_tab(
    lock_path: Path,
    clock: Clock,
    *,
    serve_pid: int | None = None,
    seconds: float = HANDOVER_SECONDS,
    proc: Path = Path("/proc"),
) -> bool:
    """Wait until no sibling tab of the same `serve` holds the lock; True when it is free.

    Returns False at once when the lock is free of siblings but held by someone else (a
    terminal wizard, `onboard-tui run`), or after `seconds` when a sibling keeps it (two
    tabs really open: the second one observes).
    """
    if serve_pid is None:
        value = os.environ.get(SERVE_PID_ENV, "")
        serve_pid = int(value) if value.isdigit() else None
    lock = SessionLock(lock_path)
    deadline = clock.monotonic() + seconds
    while lock.busy():
        holder = lock.holder()
        sibling = (
            serve_pid is not None
            and holder is not None
            and holder != os.getpid()
            and descends_from(holder, serve_pid, proc)
        )
        if not sibling or clock.monotonic() >= deadline:
            return False
        clock.sleep(0.2)
    return True
