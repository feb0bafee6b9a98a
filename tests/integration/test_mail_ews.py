"""The EWS source against the fake Exchange: into the sandbox cloud and into Dovecot IMAP.

Every test talks to real HTTP(S) on 127.0.0.1 through exchangelib; the fake server
(servers/fake_ews.py) answers GetFolder, FindFolder, FindItem, GetItem and SyncFolderItems.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from onboard_tui.clock import SystemClock
from onboard_tui.cloud.client import CloudClient
from onboard_tui.cloud.models import CloudLogon
from onboard_tui.cloud.sandbox import SandboxServer
from onboard_tui.mail.cloud_target import CloudTarget
from onboard_tui.mail.engine import GroupPlan, MigrationEngine
from onboard_tui.mail.errors import LoginFailed, MailError, Throttled
from onboard_tui.mail.ews_source import EwsSettings, EwsSource
from onboard_tui.mail.imap_target import ImapTarget
from onboard_tui.mail.imapconn import ImapEndpoint
from onboard_tui.mail.items import (
    SKIP_EXCLUDED_FOLDER,
    SKIP_NOT_SELECTED,
    SKIP_TARGET_TYPE,
    SKIP_UNREADABLE,
)
from onboard_tui.mail.preflight import run_preflight
from onboard_tui.mail.target import MailTarget
from onboard_tui.session.model import DomainRecord, TransferSettings
from onboard_tui.session.statedb import StateDB

from .servers.dovecot import DovecotServer
from .servers.fake_ews import FakeEws, Mailbox, start_fake_ews
from .test_directory_domino_tls import make_ca
from .test_mail_support import contents, reset

USER = "jsmith@renovations.com"
DEFAULT = TransferSettings("default")


def message(n: int, size: int = 600) -> bytes:
    head = f"From: s{n}@example.org\r\nSubject: m{n}\r\nMessage-ID: <ews{n}@example.org>\r\n\r\n"
    return (head + "x" * max(0, size - len(head))).encode()


def vcard(name: str) -> bytes:
    return f"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:{name}\r\nN:{name};;;;\r\nEND:VCARD\r\n".encode()


def vevent(uid: str) -> bytes:
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\n"
        f"UID:{uid}\r\nDTSTART:20240305T090000Z\r\nSUMMARY:Site visit\r\n"
        "END:VEVENT\r\nEND:VCALENDAR\r\n"
    ).encode()


def fill(box: Mailbox) -> dict[str, int]:
    """Mail in four folders (one excluded), contacts (one broken), events and tasks."""
    when = dt.datetime(2024, 3, 5, 9, 0, tzinfo=dt.UTC)
    n = 0
    for folder, count in (("Inbox", 7), ("Inbox/Projekte Übersicht", 4), ("Sent Items", 3)):
        for i in range(count):
            n += 1
            box.add(folder, "mail", message(n), is_read=i % 2 == 0, received=when)
    box.add("Deleted Items", "mail", message(99))
    box.add("Contacts", "contact", vcard("Ann Lee"))
    box.add("Contacts", "contact", vcard("Bo Chan"))
    box.add("Contacts", "contact", b"not a vcard at all")
    box.add("Calendar", "event", vevent("ev-1"))
    box.add("Tasks", "task", subject="Order tiles; call Bo", due=when, status="InProgress")
    return {"mail": 14, "contact": 2, "event": 1, "task": 1}


@pytest.fixture
def ews() -> Iterator[FakeEws]:
    server = FakeEws()
    fill(server.mailbox(USER))
    with start_fake_ews(server):
        yield server


def source_for(ews: FakeEws, **changes: object) -> EwsSource:
    settings = EwsSettings(ews.url, ews.admin, "env:EWS_PASSWORD", page_size=3)
    for key, value in changes.items():
        object.__setattr__(settings, key, value)
    return EwsSource(settings, environ={"EWS_PASSWORD": ews.password})


def run(
    db: StateDB,
    source: EwsSource,
    target: MailTarget,
    *,
    delta: bool = False,
    settings: TransferSettings = DEFAULT,
) -> object:
    engine = MigrationEngine(db, source, target, SystemClock(), batch_items=4)
    engine.start([GroupPlan("G", [USER], settings)], delta=delta)
    assert engine.wait(120)
    snap = engine.snapshot()
    engine.stop()
    return snap


def skipped(db: StateDB) -> dict[tuple[str, str], int]:
    out: dict[tuple[str, str], int] = {}
    for item_type, reason in db.query("SELECT item_type, reason FROM mail_skipped"):
        out[(item_type, reason)] = out.get((item_type, reason), 0) + 1
    return out


def test_every_type_reaches_the_cloud_and_the_delta_pass_copies_only_new_items(
    ews: FakeEws, tmp_path: Path, sandbox: SandboxServer, logon: CloudLogon
) -> None:
    db = StateDB(tmp_path / "state.db")
    target = CloudTarget(lambda: CloudClient(sandbox.url, max_retries=0), logon)
    snap = run(db, source_for(ews), target)
    assert snap.overall.users["done"] == 1, snap.recent_errors  # type: ignore[attr-defined]
    with CloudClient(sandbox.url) as client:
        usage = client.mailbox_usage(logon, USER)
        assert {k: v[0] for k, v in usage.by_kind.items() if v[0]} == {
            "mail": 14,
            "contact": 2,
            "event": 1,
            "task": 1,
        }
        box = ews.mailboxes[USER]
        task = box.folder("Tasks").items[0]
        stored = client.item(logon, USER, f"ews:{task.id}")
        assert stored.kind == "task" and stored.folder == "Tasks"
        read = box.folder("Inbox").items[0]
        mail = client.item(logon, USER, f"ews:{read.id}")
        assert mail.folder == "Inbox" and mail.flags == ("seen",)
        sub = client.item(logon, USER, f"ews:{box.folder('Inbox/Projekte Übersicht').items[0].id}")
        assert sub.folder == "Inbox/Projekte%20%C3%9Cbersicht"
    assert skipped(db) == {("mail", SKIP_EXCLUDED_FOLDER): 1, ("contacts", SKIP_UNREADABLE): 1}
    detail = db.query("SELECT detail FROM mail_skipped WHERE reason = ?", (SKIP_UNREADABLE,))
    assert "BEGIN:VCARD expected" in detail[0][0]
    assert ews.count("FindItem") >= 3  # pages of 3 in the Inbox
    # Two new items; the delta pass asks SyncFolderItems only and copies just those two.
    box = ews.mailboxes[USER]
    new_mail = box.add("Inbox", "mail", message(500))
    new_contact = box.add("Contacts", "contact", vcard("Cy Dorn"))
    ews.requests.clear()
    before = {r[0] for r in db.query("SELECT source_id FROM mail_ledger")}
    snap = run(db, source_for(ews), target, delta=True)
    assert snap.overall.users["done"] == 1, snap.recent_errors  # type: ignore[attr-defined]
    assert "FindItem" not in ews.requests and ews.count("SyncFolderItems") >= 8
    after = {r[0] for r in db.query("SELECT source_id FROM mail_ledger")}
    assert after - before == {f"ews:{new_mail.id}", f"ews:{new_contact.id}"}
    assert len(before) == 18 and len(after) == 20
    with CloudClient(sandbox.url) as client:
        assert client.mailbox_usage(logon, USER).items == 18 + 2
    db.close()


def test_a_selective_transfer_of_contacts_and_tasks_leaves_mail_and_calendar(
    ews: FakeEws, tmp_path: Path, sandbox: SandboxServer, logon: CloudLogon
) -> None:
    db = StateDB(tmp_path / "state.db")
    target = CloudTarget(lambda: CloudClient(sandbox.url, max_retries=0), logon)
    chosen = TransferSettings("people", mode="selective", item_types=["contacts", "tasks"])
    snap = run(db, source_for(ews), target, settings=chosen)
    assert snap.overall.users["done"] == 1, snap.recent_errors  # type: ignore[attr-defined]
    with CloudClient(sandbox.url) as client:
        usage = client.mailbox_usage(logon, USER)
        assert {k: v[0] for k, v in usage.by_kind.items() if v[0]} == {"contact": 2, "task": 1}
    reasons = skipped(db)
    assert reasons[("mail", SKIP_NOT_SELECTED)] == 14
    assert reasons[("calendar", SKIP_NOT_SELECTED)] == 1
    assert reasons[("contacts", SKIP_UNREADABLE)] == 1
    db.close()


def test_into_dovecot_imap_mail_only_the_rest_skipped_as_unsupported(
    ews: FakeEws, tmp_path: Path, dovecot_server: DovecotServer
) -> None:
    imap = dovecot_server.connect("bob")
    reset(imap)
    imap.logout()
    endpoint = ImapEndpoint(
        dovecot_server.host,
        dovecot_server.port,
        security="plain",
        login="{local}",
        password="env:PW_{local}",
    )
    target = ImapTarget(
        endpoint, environ={"PW_bob": dovecot_server.password("bob")}, user_map={USER: "bob"}
    )
    db = StateDB(tmp_path / "state.db")
    snap = run(db, source_for(ews), target)
    assert snap.overall.users["done"] == 1, snap.recent_errors  # type: ignore[attr-defined]
    imap = dovecot_server.connect("bob")
    held = contents(imap)
    imap.logout()
    counts = {folder: sum(c.values()) for folder, c in held.items() if sum(c.values())}
    # Sent Items is Exchange's sent folder: it lands in the target's own Sent folder.
    assert counts == {"INBOX": 7, "INBOX/Projekte Übersicht": 4, "Sent": 3}
    seen = [flags for (_mid, _date, _size, flags) in held["INBOX"]]
    assert sum(1 for f in seen if "\\Seen" in f) == 4
    reasons = skipped(db)
    assert reasons[("contacts", SKIP_TARGET_TYPE)] == 3
    assert reasons[("calendar", SKIP_TARGET_TYPE)] == 1
    assert reasons[("tasks", SKIP_TARGET_TYPE)] == 1
    db.close()


def test_server_busy_and_503_are_retried_and_counted_as_throttling(
    ews: FakeEws, tmp_path: Path, sandbox: SandboxServer, logon: CloudLogon
) -> None:
    ews.busy, ews.busy_ms = 2, 200
    ews.unavailable = 1
    source = source_for(ews)
    db = StateDB(tmp_path / "state.db")
    target = CloudTarget(lambda: CloudClient(sandbox.url, max_retries=0), logon)
    snap = run(db, source, target)
    assert snap.overall.users["done"] == 1, snap.recent_errors  # type: ignore[attr-defined]
    assert source.busy_signals == 3
    assert snap.throttle_events >= 3  # type: ignore[attr-defined]
    assert db.query("SELECT count(*) FROM mail_ledger")[0][0] == 18
    db.close()


def test_a_long_back_off_while_scanning_is_waited_out_by_the_engine(
    ews: FakeEws, tmp_path: Path, sandbox: SandboxServer, logon: CloudLogon
) -> None:
    ews.busy, ews.busy_ms = 1, 1500  # more than the ceiling below: the engine waits
    source = source_for(ews, max_wait=1.0)
    db = StateDB(tmp_path / "state.db")
    target = CloudTarget(lambda: CloudClient(sandbox.url, max_retries=0), logon)
    snap = run(db, source, target)
    assert snap.overall.users["done"] == 1, snap.recent_errors  # type: ignore[attr-defined]
    assert snap.throttle_events >= 1  # type: ignore[attr-defined]
    assert db.query("SELECT count(*) FROM mail_ledger")[0][0] == 18
    db.close()


def test_a_back_off_beyond_the_ceiling_reaches_the_engine_as_throttled(ews: FakeEws) -> None:
    ews.busy, ews.busy_ms = 1, 30_000
    source = source_for(ews, max_wait=1.0)
    box = source.open(USER)
    with pytest.raises(Throttled) as busy:
        box.folders()
    assert busy.value.retry_after == 30.0 and busy.value.kind == "ews"
    assert box.folders()  # the next call goes through


def test_impersonation_denial_names_the_role_and_the_steps(ews: FakeEws) -> None:
    ews.denied.add(USER)
    source = source_for(ews)
    plan = GroupPlan("Pilot", [USER], DEFAULT)
    verified = [DomainRecord("renovations.com", verified_at=dt.datetime.now(dt.UTC))]
    report = run_preflight(
        plan, source, None, domains=verified, quota_bytes=10**9, now=dt.datetime.now(dt.UTC)
    )
    checks = {c.name: c for c in report.checks}
    assert checks["Source login"].ok
    denied = checks["Impersonation"]
    assert not denied.ok and "Quota" not in checks
    assert "ApplicationImpersonation" in denied.detail
    assert f"-User {ews.admin}" in denied.detail and "New-ManagementRoleAssignment" in denied.detail
    assert ews.password not in denied.detail
    ews.denied.clear()
    report = run_preflight(
        plan, source, None, domains=verified, quota_bytes=10**9, now=dt.datetime.now(dt.UTC)
    )
    checks = {c.name: c for c in report.checks}
    assert checks["Impersonation"].ok and checks["Quota"].ok, report.checks


def test_wrong_password_fails_at_once_and_unreachable_url_says_so(ews: FakeEws) -> None:
    wrong = EwsSource(EwsSettings(ews.url, ews.admin, "env:P"), environ={"P": "not-the-password"})
    with pytest.raises(LoginFailed, match="refused the login of migration-admin"):
        wrong.open(USER).folders()
    assert ews.count("GetFolder") == 0  # a 401 is not retried (the fake counts after auth)
    gone = EwsSource(
        EwsSettings("http://127.0.0.1:9/EWS/Exchange.asmx", ews.admin, "env:P"),
        environ={"P": "x"},
    )
    with pytest.raises(MailError, match="cannot be reached"):
        gone.open(USER).folders()


def test_an_untrusted_certificate_is_refused_unless_its_ca_is_given(tmp_path: Path) -> None:
    ca, cert, key = make_ca(tmp_path)
    server = FakeEws()
    fill(server.mailbox(USER))
    with start_fake_ews(server, cert=(cert, key)):
        assert server.url.startswith("https://")
        with pytest.raises(MailError, match=r"TLS certificate .* is not trusted"):
            source_for(server).open(USER).folders()
        assert server.requests == []
        trusted = source_for(server, ca_file=str(ca))
        assert len(trusted.open(USER).folders()) >= 9
        unverified = source_for(server, verify_tls=False)
        assert "TLS verification OFF" in unverified.describe()
        assert unverified.open(USER).folders()


def test_a_sync_state_exchange_no_longer_knows_means_a_full_scan(ews: FakeEws) -> None:
    box = source_for(ews).open(USER)
    inbox = next(f for f in box.folders() if f.path == ("Inbox",))
    full = box.scan(inbox, "", 0)
    assert not full.delta and len(full.refs) == 7 and full.validity.startswith("ews-sync:")
    assert box.scan(inbox, full.validity, full.high_water).refs == []  # nothing new
    stale = box.scan(inbox, "ews-sync:" + "QUJD", 1)  # another folder's, or expired
    assert not stale.delta and len(stale.refs) == 7
    box.close()
