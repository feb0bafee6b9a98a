"""The real `onboard-tui` wizard in tmux at 80x24, hung up mid-migration, reopened, resumed.

A group migration from a Maildir source into the sandbox is started with keystrokes
typed one at a time (Textual misroutes keys that arrive faster than a person types).
`tmux kill-session` then sends the wizard SIGHUP, as a dropped SSH session does: it must
stop at a batch boundary, commit the ledger and leave. Reopened, the group resumes from
the Staging tab and finishes; the cloud then holds exactly the source's items (each body
once, none missing).
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from onboard_tui.mail.config import MigrationConfig, make_source
from onboard_tui.mail.items import MailItem
from onboard_tui.roadmap import StepId
from onboard_tui.session.model import SessionData
from onboard_tui.session.store import SessionStore
from tests.e2e.tmux import Tmux, alive, tmux_server, to_staging
from tests.migration_session import PASSWORD, PASSWORD_ENV, USERS, make_migration_session

WIZARD = Path(sys.executable).with_name("onboard-tui")


@pytest.fixture
def tmux() -> Iterator[Tmux]:
    if not WIZARD.exists():
        pytest.fail(f"{WIZARD} is missing: pip install -e '.[dev]' in the venv")
    with tmux_server("onboard-sighup", dict(os.environ, **{PASSWORD_ENV: PASSWORD})) as server:
        yield server


def query(path: Path, sql: str) -> list[tuple[object, ...]]:
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5) as db:
            return db.execute(sql).fetchall()
    except sqlite3.OperationalError:
        return []  # not created yet


def source_bodies(folder: Path) -> Counter[tuple[str, str, str]]:
    """(user, source id, sha256 of the body) of every item the settings let through."""
    store = SessionStore.open(folder, read_only=True)
    try:
        source = make_source(MigrationConfig.from_document(store.doc).source)
    finally:
        store.close()
    skipped = {(str(u), str(s)) for u, s in query(folder / "state.db", _SKIPPED)}
    found: Counter[tuple[str, str, str]] = Counter()
    for user in USERS:
        box = source.open(user)
        try:
            for f in box.folders():
                refs = [r for r in box.scan(f, "", 0).refs if (user, r.source_id) not in skipped]
                for item in box.read(f, refs):
                    assert isinstance(item, MailItem), item
                    digest = hashlib.sha256(item.body).hexdigest()
                    found[(user, item.ref.source_id, digest)] += 1
        finally:
            box.close()
    return found


_SKIPPED = "SELECT user, source_id FROM mail_skipped"


def test_sighup_mid_migration_then_reopen_and_resume(tmux: Tmux, tmp_path: Path) -> None:
    folder = tmp_path / "s"
    total = make_migration_session(folder, messages=600, item_delay_ms=40, groups={"Pilot": USERS})
    store = SessionStore.open(folder)  # open on Step 3; the tour was seen

    def change(data: SessionData) -> None:
        data.current_step, data.tour_seen = StepId.MIGRATE, True

    store.update(change)
    store.close()
    state, cloud = folder / "state.db", folder / "sandbox.db"
    copied = lambda: int(query(state, "SELECT count(*) FROM mail_ledger")[0][0] or 0)  # noqa: E731

    pid = tmux.start(f"{WIZARD} {folder}")
    to_staging(tmux)
    tmux.key("s")  # Start now: the pre-flight, then the confirmation
    tmux.wait_for("Start now with 4 user(s)?")
    tmux.key("BTab", "Enter")  # from Cancel to "Start now"
    deadline = time.monotonic() + 120
    while copied() < 20:
        assert time.monotonic() < deadline, f"nothing copied; the screen:\n{tmux.screen()}"
        time.sleep(0.05)

    tmux("kill-session", "-t", "w")  # the terminal goes away: SIGHUP
    deadline = time.monotonic() + 60
    while alive(pid):
        assert time.monotonic() < deadline, "the wizard did not leave after SIGHUP"
        time.sleep(0.1)
    at_hangup = copied()
    assert 0 < at_hangup < total, "the hang-up must land mid-migration"
    states = dict(query(state, "SELECT user, state FROM mail_jobs"))
    assert "running" not in states.values(), f"not checkpointed: {states}"
    log = (folder / "onboard-tui.log").read_text()
    assert "signal SIGHUP: checkpointing and leaving" in log
    # The ledger was committed at the checkpoint: nothing stored in the cloud is unrecorded.
    recorded = set(query(state, "SELECT user, source_id FROM mail_ledger"))
    assert set(query(cloud, "SELECT email, source_id FROM mailbox_items")) <= recorded

    pid = tmux.start(
        f"{WIZARD} {folder}"
    )  # reopen: the lock was released, so this wizard controls it
    to_staging(tmux)
    tmux.key("r")  # Resume
    deadline = time.monotonic() + 300
    while set(dict(query(state, "SELECT user, state FROM mail_jobs")).values()) != {"done"}:
        assert time.monotonic() < deadline, f"not finished; the screen:\n{tmux.screen()}"
        time.sleep(0.2)
    tmux.wait_for("complete (4 done)", seconds=30)
    tmux.key("C-q")
    deadline = time.monotonic() + 60
    while alive(pid):
        assert time.monotonic() < deadline, "the wizard did not quit"
        time.sleep(0.1)

    expected = source_bodies(folder)
    got = Counter(
        (str(u), str(s), str(h))
        for u, s, h in query(cloud, "SELECT email, source_id, sha256 FROM mailbox_items")
    )
    assert got == expected, (
        f"missing {sorted(expected - got)[:5]}, extra {sorted(got - expected)[:5]}"
    )
    ledger = query(state, "SELECT user, source_id FROM mail_ledger")
    assert len(ledger) == len(set(ledger)) == sum(got.values()) > at_hangup
