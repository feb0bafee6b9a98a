"""IMAP to IMAP against the private Dovecot: alice's mailbox copied into bob's."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from onboard_tui.clock import SystemClock
from onboard_tui.mail.engine import GroupPlan, MigrationEngine
from onboard_tui.mail.errors import LoginFailed
from onboard_tui.mail.imap_source import ImapSource
from onboard_tui.mail.imap_target import ImapTarget
from onboard_tui.mail.imapconn import ImapConnection, ImapEndpoint
from onboard_tui.mail.items import SKIP_EXCLUDED_FOLDER, SKIP_NOT_AVAILABLE
from onboard_tui.session.model import TransferSettings
from onboard_tui.session.secrets import Secret
from onboard_tui.session.statedb import StateDB

from ..integration.servers.dovecot import DovecotServer
from .test_mail_support import contents, fill, reset

FULL = TransferSettings("full", exclude_folders=[])


def endpoints(
    server: DovecotServer, *, master: bool
) -> tuple[ImapEndpoint, ImapEndpoint, dict[str, str]]:
    env = {
        "PW_alice": server.password("alice"),
        "PW_bob": server.password("bob"),
        "MASTER_PW": server.master_password,
    }
    source = ImapEndpoint(
        server.host,
        server.port,
        security="plain",
        login="{local}",
        password="env:PW_{local}",
        master_user=server.master_user if master else "",
        master_password="env:MASTER_PW",
    )
    target = ImapEndpoint(
        server.host, server.port, security="plain", login="{local}", password="env:PW_{local}"
    )
    return source, target, env


@pytest.fixture
def mailboxes(dovecot_server: DovecotServer) -> DovecotServer:
    for user in ("alice", "bob"):
        imap = dovecot_server.connect(user)
        reset(imap)
        imap.logout()
    imap = dovecot_server.connect("alice")
    fill(imap, 12)
    imap.logout()
    return dovecot_server


def run(server: DovecotServer, db: StateDB, *, master: bool = False, settings=FULL, **kw):  # type: ignore[no-untyped-def]
    source_ep, target_ep, env = endpoints(server, master=master)
    engine = MigrationEngine(
        db,
        ImapSource(source_ep, environ=env),
        ImapTarget(target_ep, environ=env, user_map={"alice": "bob"}),
        SystemClock(),
        batch_items=kw.pop("batch_items", 7),
        **kw,
    )
    engine.start([GroupPlan("G1", ["alice"], settings)])
    assert engine.wait(60)
    engine.stop()
    return engine


def test_imap_to_imap_copies_every_folder_with_flags_and_dates(
    mailboxes: DovecotServer, tmp_path: Path
) -> None:
    db = StateDB(tmp_path / "state.db")
    engine = run(mailboxes, db)
    snap = engine.snapshot()
    assert snap.overall.users["done"] == 1, snap
    src, dst = mailboxes.connect("alice"), mailboxes.connect("bob")
    assert contents(dst) == contents(src)
    # A second pass is a delta: nothing new, nothing copied twice.
    engine = run(mailboxes, db)
    assert contents(dst) == contents(src)
    # New mail arrives; the delta pass copies only it.
    src.append("INBOX", r"(\Seen)", None, b"Subject: late\r\nMessage-ID: <late@x>\r\n\r\nhi\r\n")
    engine = MigrationEngine(
        db,
        ImapSource(
            endpoints(mailboxes, master=False)[0], environ=endpoints(mailboxes, master=False)[2]
        ),
        ImapTarget(
            endpoints(mailboxes, master=False)[1],
            environ=endpoints(mailboxes, master=False)[2],
            user_map={"alice": "bob"},
        ),
        SystemClock(),
    )
    engine.start([GroupPlan("G1", ["alice"], FULL)], delta=True)
    assert engine.wait(60)
    engine.stop()
    assert contents(dst) == contents(src)
    rows = db.query("SELECT count(*) FROM mail_ledger WHERE user = 'alice'")
    assert rows[0][0] == sum(sum(c.values()) for c in contents(src).values())
    skipped = db.query("SELECT reason, count(*) FROM mail_skipped GROUP BY reason")
    assert dict(skipped) == {SKIP_NOT_AVAILABLE: 3}
    db.close()


def test_master_user_login_and_excluded_folders(mailboxes: DovecotServer, tmp_path: Path) -> None:
    db = StateDB(tmp_path / "state.db")
    settings = TransferSettings("default", item_types=["mail"])  # Deleted Items, Junk excluded
    run(mailboxes, db, master=True, settings=settings)
    src = contents(mailboxes.connect("alice"))
    dst = contents(mailboxes.connect("bob"))
    assert "Trash" in src and "Trash" not in dst
    src.pop("Trash")
    assert dst == src
    skipped = dict(db.query("SELECT reason, count(*) FROM mail_skipped GROUP BY reason"))
    assert skipped == {SKIP_EXCLUDED_FOLDER: 12}
    db.close()


def test_resume_after_interrupted_run_leaves_no_duplicates(
    mailboxes: DovecotServer, tmp_path: Path
) -> None:
    """Stop mid-run with the ledger behind the target, then resume: exactly the source."""
    db = StateDB(tmp_path / "state.db")
    source_ep, target_ep, env = endpoints(mailboxes, master=False)
    engine = MigrationEngine(
        db,
        ImapSource(source_ep, environ=env),
        ImapTarget(target_ep, environ=env, user_map={"alice": "bob"}),
        SystemClock(),
        batch_items=3,
    )
    stored = threading.Event()
    original = engine.ledger.copied
    calls = {"n": 0}

    def lose_some(rows):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] >= 6:  # the target has these, the ledger never hears of them
            stored.set()
            return
        original(rows)

    engine.ledger.copied = lose_some  # type: ignore[method-assign]
    engine.start([GroupPlan("G1", ["alice"], FULL)])
    assert stored.wait(30)
    engine.stop()
    db.close()
    db = StateDB(tmp_path / "state.db")
    run(mailboxes, db)
    assert contents(mailboxes.connect("bob")) == contents(mailboxes.connect("alice"))
    db.close()


def test_wrong_password_fails_the_user_with_a_reason(dovecot_server: DovecotServer) -> None:
    ep = ImapEndpoint(dovecot_server.host, dovecot_server.port, security="plain", password="env:X")
    with pytest.raises(LoginFailed):
        ImapConnection(ep, "alice", Secret("wrong"))
