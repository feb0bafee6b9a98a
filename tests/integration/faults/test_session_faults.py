"""A session folder that becomes read-only, or full (every file this process writes is
capped with RLIMIT_FSIZE), while the tool has the session open. Saving must fail with a
sentence naming the file, never a traceback (the log's own failed writes included), and
leave session.toml, its backup and state.db as they were: reopening works and shows the
contents from before (or, for state.db still open for writing, a whole transaction).

The writing runs in a subprocess (session_writer.py). As root, permissions do not stop
writes, so that subprocess runs without the capabilities that bypass them (setpriv).
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from onboard_tui.session.model import SessionData, TransferGroup
from onboard_tui.session.statedb import UserRow
from onboard_tui.session.store import SessionStore

from ..servers.base import require_binary

WRITER = Path(__file__).with_name("session_writer.py")
USERS = [UserRow(f"person{i}@renovations.com", f"Person {i}") for i in range(40)]


def make_session(folder: Path) -> None:
    data = SessionData(
        name="faults", created=datetime(2026, 11, 25, tzinfo=UTC), provider="sandbox"
    )
    store = SessionStore.create(folder, data)
    store.update(lambda d: d.transfer_groups.append(TransferGroup("Pilot")))
    store.db.upsert_users(USERS, datetime(2026, 11, 25, tzinfo=UTC))
    store.close()


def snapshot(folder: Path) -> tuple[bytes, bytes, list[tuple[object, ...]], list[str]]:
    """session.toml, its backup, the users in state.db, and the groups as reopened."""
    store = SessionStore.open(folder)
    try:
        users = store.db.query("SELECT * FROM users ORDER BY email")
        groups = [g.name for g in store.data.transfer_groups]
    finally:
        store.close()
    return (
        (folder / "session.toml").read_bytes(),
        (folder / "session.toml.bak").read_bytes(),
        users,
        groups,
    )


def run_writer(folder: Path, mode: str) -> subprocess.CompletedProcess[str]:
    argv = [sys.executable, str(WRITER), str(folder), mode]
    if os.geteuid() == 0 and mode == "read-only":
        setpriv = require_binary("setpriv")
        drop = "-dac_override,-dac_read_search,-fowner"
        argv = [setpriv, "--inh-caps=-all", f"--bounding-set={drop}", *argv]
    return subprocess.run(argv, capture_output=True, text=True, timeout=60, check=False)


def restore(folder: Path) -> None:
    folder.chmod(0o700)
    for path in folder.iterdir():
        path.chmod(0o600)


@pytest.mark.parametrize("mode", ["read-only", "full"])
def test_saving_into_a_broken_folder_fails_cleanly(tmp_path: Path, mode: str) -> None:
    folder = tmp_path / "session"
    make_session(folder)
    before = snapshot(folder)
    done = run_writer(folder, mode)
    restore(folder)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr + done.stdout, done.stderr
    lines = dict(line.split(" ", 1) for line in done.stdout.splitlines())
    assert lines["session.toml"].startswith(f"error: Cannot save {folder / 'session.toml'}: ")
    assert "The previous version is intact" in lines["session.toml"]
    toml, backup, users, groups = snapshot(folder)
    assert (toml, backup, groups) == before[0:2] + before[3:]
    if mode == "full":
        assert lines["state.db"].startswith(f"error: Cannot write {folder / 'state.db'}: ")
        assert users == before[2]
    else:
        # Files already open stay writable when the folder's mode changes (as when a
        # disk is remounted read-only): the users' transaction went through whole.
        assert lines["state.db"] == "saved"
        assert len(users) == len(before[2]) + 3000
    assert not [p.name for p in folder.iterdir() if ".tmp-" in p.name]
