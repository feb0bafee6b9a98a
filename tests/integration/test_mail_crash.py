"""SIGKILL the headless runner at random moments, resume each time: exactly the source.

The runner is a real subprocess (`run_headless` on a session folder whose [migration]
section copies alice's IMAP mailbox into bob's on the private Dovecot). After every kill
the next run resumes; the last one finishes. The target must then hold exactly the
source's messages per folder: Message-ID, received date, size and flags, as multisets.
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from onboard_tui.errors import OnboardError
from onboard_tui.session.model import SessionData, TransferGroup
from onboard_tui.session.statedb import StateDB, UserRow
from onboard_tui.session.store import SessionStore

from .servers.dovecot import DovecotServer
from .test_mail_support import contents, fill, reset

KILLS = 10
RUNNER = (
    "import sys; from pathlib import Path; from onboard_tui.mail.runner import run_headless; "
    "sys.exit(run_headless(Path(sys.argv[1]), once=True))"
)


def make_session(folder: Path, server: DovecotServer) -> None:
    store = SessionStore.create(
        folder, SessionData(name="crash", created=datetime.now(UTC), provider="smartcloud-notes")
    )
    store.update(lambda d: d.transfer_groups.append(TransferGroup("G1")))
    store.db.upsert_users([UserRow("alice", group_name="G1")], datetime.now(UTC))
    store.close()
    with (folder / "session.toml").open("a") as fh:
        fh.write(
            f"""
[migration]
concurrency = 2
batch_items = 2

[migration.source]
kind = "imap"
host = "{server.host}"
port = {server.port}
security = "plain"
login = "{{local}}"
password = "env:PW_{{local}}"

[migration.target]
kind = "imap"
host = "{server.host}"
port = {server.port}
security = "plain"
login = "{{local}}"
password = "env:PW_{{local}}"
user_map = {{ alice = "bob" }}
"""
        )


def ledger_count(folder: Path) -> int:
    try:
        db = StateDB(folder / "state.db", read_only=True)
    except OnboardError:
        return 0
    try:
        return int(db.query("SELECT count(*) FROM mail_ledger")[0][0])
    except sqlite3.Error:
        return 0  # not created yet
    finally:
        db.close()


def wait_for_progress(folder: Path, proc: subprocess.Popen[bytes], *, beyond: int) -> bool:
    """True once the ledger holds more than `beyond` rows; False if the run ended first."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        if ledger_count(folder) > beyond:
            return True
        time.sleep(0.01)
    return False


def test_sigkill_at_random_moments_then_resume(
    dovecot_server: DovecotServer, tmp_path: Path
) -> None:
    for user in ("alice", "bob"):
        imap = dovecot_server.connect(user)
        reset(imap)
        imap.logout()
    imap = dovecot_server.connect("alice")
    fill(imap, 200, seed=7)
    imap.logout()
    folder = tmp_path / "session"
    make_session(folder, dovecot_server)
    env = dict(
        os.environ,
        PW_alice=dovecot_server.password("alice"),
        PW_bob=dovecot_server.password("bob"),
    )
    rng = random.Random(1234)
    killed_mid_run = 0
    copied = 0
    for _ in range(KILLS):
        proc = subprocess.Popen([sys.executable, "-c", RUNNER, str(folder)], env=env)
        # Kill once this run has copied something (so every kill lands mid-copy on a slow
        # or a fast machine alike), a random few milliseconds later.
        if not wait_for_progress(folder, proc, beyond=copied):
            break  # it finished before the kill
        time.sleep(rng.uniform(0.0, 0.08))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        copied = ledger_count(folder)
        killed_mid_run += 1
        print(f"killed with {copied} item(s) in the ledger")
    final = subprocess.run(
        [sys.executable, "-c", RUNNER, str(folder)], env=env, timeout=60, check=False
    )
    assert final.returncode == 0
    assert killed_mid_run >= 2, "the runs ended before any kill; make the mailbox larger"
    src, dst = dovecot_server.connect("alice"), dovecot_server.connect("bob")
    expected, got = contents(src), contents(dst)
    trash = expected.pop("Trash")  # the default settings exclude Deleted Items (Trash)
    db = StateDB(folder / "state.db", read_only=True)
    assert db.query("SELECT count(*) FROM mail_skipped WHERE folder = 'Trash'")[0][0] == sum(
        trash.values()
    )
    db.close()
    for name in sorted(set(expected) | set(got)):
        missing = expected.get(name, Counter()) - got.get(name, Counter())
        extra = got.get(name, Counter()) - expected.get(name, Counter())
        assert not missing and not extra, (name, sorted(missing.items()), sorted(extra.items()))
    assert got == expected
