"""The headless runner behind `onboard-tui run SESSION [--group NAME]... [--once]`.

It takes the session lock (one engine per session; a wizard opened meanwhile becomes an
observer), logs to the session folder, runs the groups, and on SIGTERM or SIGHUP stops
at the next batch boundary, commits the ledger and checkpoints, and exits 0. Killed
outright (SIGKILL, power loss), the next run resumes without duplicates or holes.
"""

from __future__ import annotations

import contextlib
import logging
import signal
import threading
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from types import FrameType

from onboard_tui.clock import Clock, SystemClock
from onboard_tui.errors import OnboardError
from onboard_tui.logs import log_to_folder
from onboard_tui.mail.service import MigrationService, TargetFactory
from onboard_tui.mail.source import MailSource
from onboard_tui.mail.target import MailTarget
from onboard_tui.session.store import SessionStore

log = logging.getLogger(__name__)

EXIT_OK = 0
EXIT_FAILED_USERS = 1
EXIT_ERROR = 2
EXIT_LOCKED = 3
DELTA_INTERVAL = 300.0


def run_headless(
    session_path: Path,
    groups: Sequence[str] = (),
    once: bool = True,
    *,
    clock: Clock | None = None,
    stop: threading.Event | None = None,
    source: MailSource | None = None,
    target: MailTarget | None = None,
    cloud_target: Callable[[SessionStore], TargetFactory] | None = None,
    environ: Mapping[str, str] | None = None,
    delta_interval: float = DELTA_INTERVAL,
    log_file: bool = True,
    report: Callable[[str], None] | None = None,
) -> int:
    """Run the migration of `groups` (all when empty); the process exit code.

    With `once`, return when every job is done or failed (1 if any failed). Without it
    (`--watch`), keep running: start scheduled groups when their time comes (without
    named groups, groups scheduled for later wait for their time), and make a delta pass
    every `delta_interval` seconds, until signalled. A configuration or logon error is 2.
    Signal handlers are installed only when called from the main thread.
    """
    clock = clock or SystemClock()
    stop = stop or threading.Event()
    say = report or (lambda _text: None)
    store = SessionStore.open(session_path)
    if store.read_only:
        holder = store.lock.holder()
        store.close()
        say(f"Another onboard-tui (pid {holder}) runs this session; nothing was started.")
        return EXIT_LOCKED
    if log_file:
        log_to_folder(store.folder)
    previous = _install_signals(stop)
    service: MigrationService | None = None
    try:
        factory = cloud_target(store) if cloud_target is not None else None
        service = MigrationService(
            store, clock, source=source, target=target, cloud_target=factory, environ=environ
        )
        names = list(groups) or service.group_names()
        if not once and not groups:
            later = {g.casefold() for g in service.scheduler.schedules()}
            names = [n for n in names if n.casefold() not in later]
        log.info("run: groups %s, once=%s", ", ".join(names) or "(none)", once)
        if names or once:
            service.start(names)
        delta_due = clock.monotonic() + delta_interval
        while not stop.is_set():
            if not once:
                names += [g for g in service.start_due() if g not in names]
            if service.wait(0.0):
                if once:
                    break
                if names and clock.monotonic() >= delta_due:
                    service.delta_pass(names)
                    delta_due = clock.monotonic() + delta_interval
            stop.wait(0.2)
        if stop.is_set():
            log.info("run: stopping on request; checkpointing")
            say("Stopping: the current batches finish and the ledger is saved.")
        service.stop()
        service.update_step()
        snap = service.snapshot()
        failed = snap.overall.users.get("failed", 0)
        say(
            f"{snap.overall.users.get('done', 0)} user(s) done, {failed} failed, "
            f"{snap.overall.items_done} item(s) copied, {snap.overall.items_skipped} skipped."
        )
        return EXIT_FAILED_USERS if failed and once else EXIT_OK
    except OnboardError as exc:
        log.error("run: %s", exc)
        say(str(exc))
        if service is not None:
            service.stop()
        return EXIT_ERROR
    finally:
        _restore_signals(previous)
        store.close()


_Handler = Callable[[int, FrameType | None], object] | int | signal.Handlers | None


def _install_signals(stop: threading.Event) -> dict[int, _Handler]:
    if threading.current_thread() is not threading.main_thread():
        return {}

    def on_signal(signum: int, frame: FrameType | None) -> None:
        log.info("run: signal %s", signal.Signals(signum).name)
        stop.set()

    previous: dict[int, _Handler] = {}
    for signum in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
        previous[signum] = signal.getsignal(signum)
        signal.signal(signum, on_signal)
    return previous


def _restore_signals(previous: dict[int, _Handler]) -> None:
    for signum, handler in previous.items():
        with contextlib.suppress(ValueError, TypeError):
            signal.signal(signum, handler)
