"""The cloud sandbox behind the fault proxy while a Maildir is migrated into it.

PUTs cut mid-body, connections reset or refused, a sandbox that stops answering (the
client's timeout fires) and a sandbox restarted under the running engine. The PUT is
idempotent, so the engine's retries never store an item twice; every case must end with
the cloud holding exactly the source's items, each once, and the ledger agreeing.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from onboard_tui.clock import SystemClock
from onboard_tui.cloud.client import CloudClient
from onboard_tui.cloud.models import CloudLogon
from onboard_tui.cloud.sandbox import SandboxServer
from onboard_tui.mail.archive import MaildirSource
from onboard_tui.mail.cloud_target import CloudTarget
from onboard_tui.mail.engine import GroupPlan, MigrationEngine
from onboard_tui.providers import load_profile
from onboard_tui.session.model import TransferSettings
from onboard_tui.session.statedb import StateDB
from tests.faultproxy import UP, FaultProxy

from ..test_mail_cloud import USERS, make_maildirs

PER_FOLDER = 12
#: Inbox, Sent-like and the UTF-7 folder of each user; Junk is excluded by default.
EXPECTED_PER_USER = 3 * PER_FOLDER


@pytest.fixture
def proxy(sandbox: SandboxServer) -> Iterator[FaultProxy]:
    with FaultProxy(sandbox.host, sandbox.port_in_use) as p:
        yield p


def run_migration(
    tmp_path: Path, proxy: FaultProxy, logon: CloudLogon, *, timeout: float = 10.0
) -> tuple[MigrationEngine, StateDB]:
    """Start the engine on the Maildirs, PUTting through the proxy; the caller waits."""
    if not (tmp_path / "mail").exists():
        make_maildirs(tmp_path / "mail", per_folder=PER_FOLDER)
    url = f"http://{proxy.address}"
    target = CloudTarget(lambda: CloudClient(url, max_retries=0, timeout=timeout), logon)
    db = StateDB(tmp_path / "state.db")
    engine = MigrationEngine(
        db, MaildirSource(str(tmp_path / "mail" / "{local}")), target, SystemClock(), batch_items=4
    )
    engine.start([GroupPlan("G", list(USERS), TransferSettings("default"))])
    return engine, db


def finish(engine: MigrationEngine, db: StateDB) -> dict[str, int]:
    assert engine.wait(120)
    snap = engine.snapshot()
    engine.stop()
    db.close()
    return {state: n for state, n in snap.overall.users.items() if n}


def assert_cloud_holds_each_item_once(tmp_path: Path) -> None:
    with sqlite3.connect(tmp_path / "sandbox.db") as cloud:
        items = cloud.execute("SELECT email, folder, source_id, size FROM mailbox_items").fetchall()
    with sqlite3.connect(tmp_path / "state.db") as state:
        ledger = state.execute("SELECT user, source_id FROM mail_ledger").fetchall()
    per_user = Counter(email for email, *_ in items)
    assert per_user == {u: EXPECTED_PER_USER for u in USERS}, per_user
    assert len(ledger) == len(set(ledger)) == len(items)
    assert {(e, s) for e, _f, s, _z in items} == set(ledger)
    folders = Counter((e, f) for e, f, _s, _z in items)
    assert set(folders.values()) == {PER_FOLDER}, folders
    # Each item's size is the size of the file it came from.
    for email, _folder, source_id, size in items:
        name = source_id.rsplit("/", 1)[-1]
        (path,) = (tmp_path / "mail" / email.split("@")[0]).glob(f"**/cur/{name}*")
        assert path.stat().st_size == size, source_id


def test_put_cut_mid_body_is_sent_again(
    tmp_path: Path, proxy: FaultProxy, logon: CloudLogon
) -> None:
    # The first two connections die 6 KB into what the tool sends: inside a PUT body.
    cut = proxy.cut(6_000, connections=2, direction=UP)
    users = finish(*run_migration(tmp_path, proxy, logon))
    assert cut.fired == 2
    assert users == {"done": 2}
    assert_cloud_holds_each_item_once(tmp_path)


def test_answer_lost_after_the_cloud_stored_the_item(
    tmp_path: Path, proxy: FaultProxy, logon: CloudLogon
) -> None:
    # The sandbox stores the item, but its "201 Created" never reaches the tool.
    cut = proxy.cut(at=b"HTTP/1.", nth=5, connections=2)
    users = finish(*run_migration(tmp_path, proxy, logon))
    assert cut.fired == 2
    assert users == {"done": 2}
    assert_cloud_holds_each_item_once(tmp_path)


def test_connections_reset_then_refused_for_a_while(
    tmp_path: Path, proxy: FaultProxy, logon: CloudLogon
) -> None:
    reset = proxy.refuse(connections=2)  # accepted, then reset before a byte
    proxy.down()  # and nothing listening for half a second: ECONNREFUSED
    engine, db = run_migration(tmp_path, proxy, logon)
    time.sleep(0.5)
    proxy.up()
    users = finish(engine, db)
    assert reset.fired == 2
    assert users == {"done": 2}
    assert_cloud_holds_each_item_once(tmp_path)


def test_a_sandbox_that_stops_answering_times_out_and_is_retried(
    tmp_path: Path, proxy: FaultProxy, logon: CloudLogon
) -> None:
    # Two connections hang after the request went out, longer than the client waits.
    stall = proxy.stall(1_500, connections=2)
    engine, db = run_migration(tmp_path, proxy, logon, timeout=0.4)
    users = finish(engine, db)
    assert stall.fired == 2
    assert users == {"done": 2}
    assert_cloud_holds_each_item_once(tmp_path)
    log_errors = [e for e in engine.snapshot().recent_errors if "Traceback" in e]
    assert not log_errors


def test_sandbox_restarted_mid_migration(
    tmp_path: Path, sandbox: SandboxServer, proxy: FaultProxy, logon: CloudLogon
) -> None:
    proxy.delay(5, connections=1000)  # 5 ms a chunk: for the restart to land mid-run
    engine, db = run_migration(tmp_path, proxy, logon)
    deadline = time.monotonic() + 60
    while db.query("SELECT count(*) FROM mail_ledger")[0][0] < 10:
        assert time.monotonic() < deadline
        time.sleep(0.01)
    port = sandbox.port_in_use
    sandbox.stop()
    restarted = SandboxServer(tmp_path / "sandbox.db", load_profile("sandbox"), port=port)
    stopper = threading.Timer(0.5, restarted.start)
    stopper.start()
    try:
        copied_at_restart = db.query("SELECT count(*) FROM mail_ledger")[0][0]
        users = finish(engine, db)
    finally:
        stopper.join()
        restarted.stop()
    assert copied_at_restart < 2 * EXPECTED_PER_USER, "the restart did not land mid-run"
    assert users == {"done": 2}
    assert_cloud_holds_each_item_once(tmp_path)
