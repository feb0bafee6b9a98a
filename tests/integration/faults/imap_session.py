"""An IMAP-to-IMAP migration session whose source and target go through fault proxies,
and the per-folder comparison of what the source holds with what the target got."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from onboard_tui.mail.runner import run_headless
from onboard_tui.session.model import SessionData, TransferGroup
from onboard_tui.session.statedb import StateDB, UserRow
from onboard_tui.session.store import SessionStore
from tests.faultproxy import FaultProxy

from ..servers.dovecot import DovecotServer
from ..test_mail_support import contents, fill, reset

Contents = dict[str, Counter[tuple[str, int, int, str]]]


def fresh_mailboxes(server: DovecotServer, per_folder: int, seed: int) -> None:
    """alice holds `per_folder` messages in each test folder; bob's mailbox is empty."""
    for user in ("alice", "bob"):
        imap = server.connect(user)
        reset(imap)
        imap.logout()
    imap = server.connect("alice")
    fill(imap, per_folder, seed=seed)
    imap.logout()


def make_imap_session(
    folder: Path, source: FaultProxy, target: FaultProxy, *, timeout: float = 10.0
) -> None:
    """alice's mailbox (through `source`) into bob's (through `target`), batches of 5."""
    store = SessionStore.create(
        folder, SessionData(name="faults", created=datetime.now(UTC), provider="smartcloud-notes")
    )
    store.update(lambda d: d.transfer_groups.append(TransferGroup("G1")))
    store.db.upsert_users([UserRow("alice", group_name="G1")], datetime.now(UTC))
    store.close()
    sections = []
    for where, proxy in (("source", source), ("target", target)):
        sections.append(
            f"""
[migration.{where}]
kind = "imap"
host = "{proxy.host}"
port = {proxy.port}
security = "plain"
login = "{{local}}"
password = "env:PW_{{local}}"
timeout = {timeout}
"""
        )
    with (folder / "session.toml").open("a") as fh:
        fh.write("\n[migration]\nconcurrency = 1\nbatch_items = 5\n")
        fh.write("".join(sections))
        fh.write('user_map = { alice = "bob" }\n')


def run_once(folder: Path, server: DovecotServer) -> tuple[int, list[str]]:
    """`onboard-tui run --once` in this process: (exit code, what it told the user)."""
    said: list[str] = []
    environ = {"PW_alice": server.password("alice"), "PW_bob": server.password("bob")}
    code = run_headless(folder, once=True, environ=environ, log_file=False, report=said.append)
    return code, said


def job_reasons(folder: Path) -> list[tuple[str, str]]:
    db = StateDB(folder / "state.db", read_only=True)
    try:
        return [(str(s), str(r)) for s, r in db.query("SELECT state, reason FROM mail_jobs")]
    finally:
        db.close()


def assert_same_mail(server: DovecotServer) -> None:
    """bob holds exactly alice's messages per folder (Trash excluded by default)."""
    src, dst = server.connect("alice"), server.connect("bob")
    try:
        expected, got = contents(src), contents(dst)
    finally:
        src.logout()
        dst.logout()
    expected.pop("Trash", None)
    for name in sorted(set(expected) | set(got)):
        missing = expected.get(name, Counter()) - got.get(name, Counter())
        extra = got.get(name, Counter()) - expected.get(name, Counter())
        assert not missing and not extra, (name, sorted(missing.items()), sorted(extra.items()))
    assert got == expected
