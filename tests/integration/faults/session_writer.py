"""Run as a subprocess by test_session_faults: open a session, make its folder read-only
or cap the size of any file this process writes (RLIMIT_FSIZE), then try to save.

Prints one line per attempt, "saved" or "error: <sentence>", and exits 0; a traceback
(any other exception) exits 1. Only onboard_tui is imported, as in the real runner.
"""

from __future__ import annotations

import logging
import resource
import signal
import sys
from datetime import UTC, datetime
from pathlib import Path

from onboard_tui.errors import OnboardError
from onboard_tui.logs import log_to_folder
from onboard_tui.session.model import TransferGroup
from onboard_tui.session.statedb import UserRow
from onboard_tui.session.store import SessionStore


def make_read_only(folder: Path) -> None:
    """chmod the folder and its files read-only (files already open stay writable)."""
    for path in folder.iterdir():
        path.chmod(0o400)
    folder.chmod(0o500)


def cap_file_size(folder: Path) -> None:
    # Without SIGXFSZ's default action (kill), a write past the cap fails with EFBIG.
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    toml = (folder / "session.toml").stat().st_size
    cap = toml + 200  # room for a little, not for what is about to be saved
    resource.setrlimit(resource.RLIMIT_FSIZE, (cap, cap))


def attempt(what: str, action: object) -> None:
    try:
        action()  # type: ignore[operator]
    except OnboardError as exc:
        print(f"{what} error: {exc.message} | {exc.hint or ''}", flush=True)
    else:
        print(f"{what} saved", flush=True)


def main(folder: Path, mode: str) -> int:
    store = SessionStore.open(folder)
    log_to_folder(folder)
    logging.getLogger("session_writer").info("about to break the folder: %s", mode)
    (make_read_only if mode == "read-only" else cap_file_size)(folder)
    now = datetime.now(UTC)
    big = "x" * 5000

    def toml() -> None:
        store.update(lambda d: d.transfer_groups.append(TransferGroup("Wave 9", description=big)))

    def db() -> None:
        rows = [
            UserRow(f"user{i:05d}@renovations.com", f"User {i} {big[:200]}") for i in range(3000)
        ]
        store.db.upsert_users(rows, now)

    attempt("session.toml", toml)
    attempt("state.db", db)
    logging.getLogger("session_writer").info("done: %d bytes", len(big) * 4000)
    store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]), sys.argv[2]))
