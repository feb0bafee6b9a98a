"""Items a target refuses on their own, and links refused while they are reopened.

A Maildir holding an empty file and a file of random bytes among good messages goes
into the sandbox's cloud API over HTTP (422 for both) and into the private Dovecot
(NO to the empty APPEND): the good ones arrive, the refused ones are skipped with the
server's sentence, the Complete report counts them, and a later pass does not send them
again. Then a source or target IMAP link is cut mid-transfer and refused (ECONNREFUSED,
the fault proxy down) while the engine reopens it: it waits that out and finishes.
"""

from __future__ import annotations

import os
import random
import re
from pathlib import Path

import pytest

from onboard_tui.clock import SystemClock
from onboard_tui.cloud.client import CloudClient
from onboard_tui.cloud.models import CloudLogon
from onboard_tui.cloud.sandbox import SandboxServer
from onboard_tui.mail.archive import MaildirSource
from onboard_tui.mail.cloud_target import CloudTarget
from onboard_tui.mail.engine import GroupPlan, MigrationEngine
from onboard_tui.mail.imap_source import ImapSource
from onboard_tui.mail.imap_target import ImapTarget
from onboard_tui.mail.imapconn import ImapEndpoint
from onboard_tui.mail.reports import user_reports
from onboard_tui.mail.target import SKIP_REFUSED, MailTarget
from onboard_tui.mail.throttle import ThrottleController
from onboard_tui.session.model import TransferSettings
from onboard_tui.session.statedb import StateDB
from tests.faultproxy import UP, FaultProxy

from .servers.dovecot import DovecotServer
from .test_mail_support import contents, fill, reset

USER = "jsmith@renovations.com"
GOOD = 12
FULL = TransferSettings("full", exclude_folders=[], item_types=["mail"])
#: What the sandbox takes as a header line (its own check, cloud/sandbox/handlers).
_HEADER = re.compile(rb"^[!-9;-~]+:", re.M)


def random_bytes() -> bytes:
    """4 KB of random bytes with no line the sandbox could take for a header."""
    rng = random.Random(6)
    while True:
        data = rng.randbytes(4096)
        if not _HEADER.search(data):
            return data


def make_maildir(base: Path) -> None:
    """GOOD messages in cur/, and among them an empty file and a random-bytes file."""
    for sub in ("cur", "new", "tmp"):
        (base / sub).mkdir(parents=True, exist_ok=True)
    files = {
        f"{n}.M{n}P1.host:2,S": f"Message-ID: <{n}@x>\nSubject: {n}\n\nbody {n}\n".encode()
        for n in range(1, GOOD + 1)
    }
    files["5000.M5000P1.host:2,"] = b""
    files["6000.M6000P1.host:2,"] = random_bytes()
    for n, (name, data) in enumerate(sorted(files.items())):
        path = base / "cur" / name
        path.write_bytes(data)
        os.utime(path, (1_700_000_000 + n * 60,) * 2)


def migrate(db: StateDB, source: MaildirSource, target: MailTarget, user: str) -> None:
    engine = MigrationEngine(db, source, target, SystemClock(), batch_items=5)
    engine.start([GroupPlan("G", [user], FULL)])
    assert engine.wait(60)
    engine.stop()


def skipped(db: StateDB) -> dict[str, tuple[str, str]]:
    rows = db.query("SELECT source_id, reason, detail FROM mail_skipped")
    return {str(s): (str(r), str(d)) for s, r, d in rows}


def test_cloud_refusals_are_skipped_with_the_reason_and_the_job_goes_on(
    tmp_path: Path, sandbox: SandboxServer, logon: CloudLogon
) -> None:
    make_maildir(tmp_path / "mail" / "jsmith")
    db = StateDB(tmp_path / "state.db")
    source = MaildirSource(str(tmp_path / "mail" / "{local}"))
    sent: list[str] = []
    target = CloudTarget(lambda: CountingClient(sandbox.url, sent), logon)
    migrate(db, source, target, USER)
    assert len(sent) == GOOD + 2

    (report,) = user_reports(db)
    assert (report.state, report.reason) == ("done", "")
    assert report.copied["mail"] == GOOD
    assert report.skipped["mail"] == 2
    assert report.skip_reasons == {SKIP_REFUSED: 2}
    refused = skipped(db)
    assert sorted(s.rsplit("/", 1)[-1] for s in refused) == [
        "5000.M5000P1.host",
        "6000.M6000P1.host",
    ]
    for reason, detail in refused.values():
        assert reason == SKIP_REFUSED
        assert detail.startswith("The item cannot be stored as sent.")
        assert "not a mail item" in detail
    with CloudClient(sandbox.url) as client:
        assert client.mailbox_usage(logon, USER).items == GOOD

    # A delta pass neither sends them again nor records them twice.
    engine = MigrationEngine(db, source, target, SystemClock())
    engine.start([GroupPlan("G", [USER], FULL)], delta=True)
    assert engine.wait(60)
    engine.stop()
    assert len(sent) == GOOD + 2
    assert len(skipped(db)) == 2
    (report,) = user_reports(db)
    assert (report.state, report.copied["mail"], report.skipped["mail"]) == ("done", GOOD, 2)
    db.close()


class CountingClient(CloudClient):
    """The real client over HTTP, noting the source id of every item it sends."""

    def __init__(self, url: str, sent: list[str]) -> None:
        super().__init__(url, max_retries=0)
        self.sent = sent

    def put_item(self, logon: CloudLogon, email: str, source_id: str, body: bytes, **kw):  # type: ignore[no-untyped-def]
        self.sent.append(source_id)
        return super().put_item(logon, email, source_id, body, **kw)


def endpoint(server: DovecotServer, proxy: FaultProxy | None = None) -> ImapEndpoint:
    host, port = (proxy.host, proxy.port) if proxy else (server.host, server.port)
    return ImapEndpoint(host, port, security="plain", login="{local}", password="env:PW_{local}")


def environ(server: DovecotServer) -> dict[str, str]:
    return {"PW_alice": server.password("alice"), "PW_bob": server.password("bob")}


def test_imap_refusal_of_one_message_skips_it_and_the_others_arrive(
    dovecot_server: DovecotServer, tmp_path: Path
) -> None:
    imap = dovecot_server.connect("bob")
    reset(imap)
    make_maildir(tmp_path / "mail" / "bob")
    db = StateDB(tmp_path / "state.db")
    source = MaildirSource(str(tmp_path / "mail" / "{local}"))
    target = ImapTarget(endpoint(dovecot_server), environ=environ(dovecot_server))
    migrate(db, source, target, "bob")

    (report,) = user_reports(db)
    assert (report.state, report.reason) == ("done", "")
    refused = skipped(db)
    # Dovecot refuses the empty message; random bytes are a message to IMAP.
    assert [s.rsplit("/", 1)[-1] for s in refused] == ["5000.M5000P1.host"]
    ((reason, detail),) = refused.values()
    assert reason == SKIP_REFUSED and detail.startswith("NO ")
    assert report.copied["mail"] == GOOD + 1
    assert report.skip_reasons == {SKIP_REFUSED: 1}
    _typ, data = imap.select("INBOX", readonly=True)
    assert int(data[0] or 0) == GOOD + 1
    imap.logout()
    db.close()


class DownWhileReopening(ThrottleController):
    """Takes the proxy down at the first back-off (the link was just cut, so the engine
    reopens it next: refused) and up again at the third; short waits, so the test is quick."""

    def __init__(self, proxy: FaultProxy) -> None:
        super().__init__(SystemClock(), 1)
        self.proxy = proxy

    def on_throttle(self, retry_after: float | None = None) -> float:
        super().on_throttle(retry_after)
        if self.events == 1:
            self.proxy.down()
        elif self.events == 3:
            self.proxy.up()
        return 0.05


@pytest.mark.parametrize("side", ["source", "target"])
def test_connection_refused_while_reopening_is_retried(
    dovecot_server: DovecotServer, tmp_path: Path, side: str
) -> None:
    for user in ("alice", "bob"):
        imap = dovecot_server.connect(user)
        reset(imap)
        imap.logout()
    imap = dovecot_server.connect("alice")
    fill(imap, 10, seed=21)
    with (
        FaultProxy(dovecot_server.host, dovecot_server.port) as src_proxy,
        FaultProxy(dovecot_server.host, dovecot_server.port) as tgt_proxy,
    ):
        # Mid-FETCH of the bodies, or mid-APPEND.
        cut = src_proxy.cut(40_000) if side == "source" else tgt_proxy.cut(30_000, direction=UP)
        throttle = DownWhileReopening(src_proxy if side == "source" else tgt_proxy)
        db = StateDB(tmp_path / "state.db")
        env = environ(dovecot_server)
        engine = MigrationEngine(
            db,
            ImapSource(endpoint(dovecot_server, src_proxy), environ=env),
            ImapTarget(endpoint(dovecot_server, tgt_proxy), environ=env, user_map={"alice": "bob"}),
            SystemClock(),
            workers=1,
            batch_items=5,
            throttle=throttle,
        )
        engine.start([GroupPlan("G", ["alice"], FULL)])
        assert engine.wait(120)
        engine.stop()
    assert cut.fired == 1
    assert throttle.events >= 3  # the cut, then at least two refused reopenings
    (report,) = user_reports(db)
    assert (report.state, report.reason) == ("done", "")
    assert contents(dovecot_server.connect("bob")) == contents(imap)
    imap.logout()
    db.close()
