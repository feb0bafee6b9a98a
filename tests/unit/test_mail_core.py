"""Unit tests of the migration core: UTF-7 names, skip rules, throttling, ledger, archives."""

from __future__ import annotations

import os
import random
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from onboard_tui.clock import FrozenClock
from onboard_tui.mail import utf7
from onboard_tui.mail.archive import MaildirSource, MboxSource
from onboard_tui.mail.engine import GroupPlan, MigrationEngine, batches
from onboard_tui.mail.imapconn import ImapEndpoint, parse_fetch, uid_ranges
from onboard_tui.mail.items import (
    SKIP_DATE_RANGE,
    SKIP_EXCLUDED_FOLDER,
    SKIP_NOT_SELECTED,
    SKIP_TARGET_TYPE,
    SKIP_TOO_LARGE,
    ItemRef,
    MailItem,
    crlf,
    header_block,
    message_id,
)
from onboard_tui.mail.ledger import Checkpoint, CopiedRow, JobRow, Ledger
from onboard_tui.mail.progress import read_snapshot
from onboard_tui.mail.rules import Selection
from onboard_tui.mail.throttle import ThrottleController
from onboard_tui.session.model import TransferSettings
from onboard_tui.session.statedb import SCHEMA_VERSION, StateDB

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


# --- modified UTF-7 -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "wire"),
    [
        ("INBOX", "INBOX"),
        ("Entwürfe", "Entw&APw-rfe"),
        ("&", "&-"),
        ("Tom & Jerry", "Tom &- Jerry"),
        ("台北", "&U,BTFw-"),
        ("~peter/mail/日本語/台北", "~peter/mail/&ZeVnLIqe-/&U,BTFw-"),
        ("Übersicht/Ä", "&ANw-bersicht/&AMQ-"),
        ("😀", "&2D3eAA-"),
    ],
)
def test_utf7_round_trip(text: str, wire: str) -> None:
    assert utf7.encode(text) == wire
    assert utf7.decode(wire) == text


@pytest.mark.parametrize("bad", ["&Jjo", "&Jjo!-", "&AGE-", "é"])
def test_utf7_rejects_malformed_names(bad: str) -> None:
    with pytest.raises(utf7.Utf7Error):
        utf7.decode(bad)
    assert utf7.decode_lenient(bad) == bad


def test_utf7_random_round_trips() -> None:
    rng = random.Random(5)
    alphabet = "abc &-/,+é日😀\u00a0"
    for _ in range(500):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randrange(12)))
        assert utf7.decode(utf7.encode(text)) == text


# --- items and IMAP parsing -----------------------------------------------------------


def test_crlf_and_message_id() -> None:
    body = b"Subject: x\nMessage-ID:\n  <a@b>\n\nline\n"
    fixed = crlf(body)
    assert fixed == body.replace(b"\n", b"\r\n")
    assert crlf(fixed) is fixed
    assert message_id(header_block(fixed)) == "<a@b>"
    assert message_id(b"Subject: none") == ""


def test_parse_fetch_and_uid_ranges() -> None:
    data = [
        (b'1 (UID 7 FLAGS (\\Seen) INTERNALDATE " 5-Mar-2024 09:15:00 +0100" BODY[] {3}', b"abc"),
        b")",
        b"2 (UID 9 RFC822.SIZE 120 FLAGS ())",
    ]
    msgs = parse_fetch(data)
    assert [m.uid for m in msgs] == [7, 9]
    assert msgs[0].body == b"abc" and msgs[0].flags == ("\\Seen",)
    assert msgs[0].internaldate == datetime(2024, 3, 5, 8, 15, tzinfo=UTC)
    assert msgs[1].size == 120
    assert uid_ranges([5, 1, 2, 3, 9, 10]) == "1:3,5,9:10"


def test_endpoint_master_login_and_secret() -> None:
    ep = ImapEndpoint("h", login="{local}", master_user="admin", master_password="env:M")
    assert ep.login_name("alice@renovations.com") == "alice*admin"
    assert ep.secret("alice@renovations.com", {"M": "pw"}).reveal() == "pw"
    ep = ImapEndpoint("h", password="env:PW_{local}")
    assert ep.secret("bob@x", {"PW_bob": "b"}).reveal() == "b"


# --- skip rules -----------------------------------------------------------------------


def ref(size: int = 100, days_ago: int = 1, folder: tuple[str, ...] = ("INBOX",)) -> ItemRef:
    return ItemRef("id", folder, size, NOW - timedelta(days=days_ago))


def test_full_transfer_skips_only_excluded_folders_and_large_items() -> None:
    sel = Selection(TransferSettings("full", max_item_mb=1), FrozenClock(NOW).now())
    assert sel.folder_reason(("Deleted Items",)) == SKIP_EXCLUDED_FOLDER
    assert sel.folder_reason(("Trash",)) == SKIP_EXCLUDED_FOLDER
    assert sel.folder_reason(("Archive",), "\\Junk") == SKIP_EXCLUDED_FOLDER
    assert sel.folder_reason(("Junk", "Old")) == SKIP_EXCLUDED_FOLDER
    assert sel.folder_reason(("INBOX",)) is None
    assert sel.item_reason(ref(days_ago=5000)) is None
    reason = sel.item_reason(ref(size=2 * 1024 * 1024))
    assert reason is not None and reason[0] == SKIP_TOO_LARGE


def test_selective_dates_folders_and_types() -> None:
    clock = FrozenClock(NOW)
    s = TransferSettings(
        "sel", mode="selective", last_months=3, include_folders=["INBOX"], item_types=["mail"]
    )
    sel = Selection(s, clock.now())
    assert sel.since == datetime(2026, 8, 25, 9, 0, tzinfo=UTC)
    assert sel.item_reason(ref(days_ago=30)) is None
    got = sel.item_reason(ref(days_ago=120))
    assert got is not None and got[0] == SKIP_DATE_RANGE
    assert sel.folder_reason(("Sent",)) == SKIP_EXCLUDED_FOLDER
    assert sel.type_reason("contacts") == SKIP_NOT_SELECTED
    dated = Selection(TransferSettings("d", mode="selective", since=date(2026, 1, 1)), NOW)
    assert dated.since == datetime(2026, 1, 1, tzinfo=UTC)
    imap = Selection(TransferSettings("all"), NOW, target_types=frozenset({"mail"}))
    assert imap.type_reason("calendar") == SKIP_TARGET_TYPE
    capped = Selection(TransferSettings("c", max_item_mb=10), NOW, target_max_bytes=1000)
    assert capped.max_bytes == 1000


# --- throttling -----------------------------------------------------------------------


def test_throttle_halves_backs_off_with_jitter_and_recovers_when_calm() -> None:
    clock = FrozenClock(NOW)
    t = ThrottleController(clock, 8, calm_after=20, rng=random.Random(1))
    wait = t.on_throttle()
    assert t.limit == 4 and 0.5 <= wait <= 1.0
    t.on_throttle()  # the same burst: not halved again
    assert t.limit == 4 and t.events == 2
    clock.advance(timedelta(seconds=2))
    wait = t.on_throttle(retry_after=7)
    assert t.limit == 2 and 7 <= wait <= 8
    assert t.state().throttled
    t.on_success()
    assert t.limit == 2  # not calm yet
    clock.advance(timedelta(seconds=21))
    t.on_success()
    assert t.limit == 3 and not t.state().throttled
    clock.advance(timedelta(seconds=5))
    t.on_success()
    assert t.limit == 3
    for _ in range(10):
        clock.advance(timedelta(seconds=21))
        t.on_success()
    assert t.limit == 8


def test_throttle_backoff_grows_and_is_capped() -> None:
    clock = FrozenClock(NOW)
    t = ThrottleController(clock, 2, rng=random.Random(3))
    waits = []
    for _ in range(12):
        waits.append(t.on_throttle())
        clock.advance(timedelta(seconds=2))
    assert t.limit == 1
    assert waits[3] > waits[0] and max(waits) <= 120


def test_throttle_slots() -> None:
    t = ThrottleController(FrozenClock(NOW), 2)
    assert t.acquire() and t.acquire()
    assert t.state().active == 2
    t.release()
    assert t.acquire()


# --- ledger ---------------------------------------------------------------------------


def test_ledger_batches_rows_and_reads_back(tmp_path: Path) -> None:
    db = StateDB(tmp_path / "state.db")
    assert db.query("PRAGMA user_version")[0][0] == SCHEMA_VERSION >= 3
    assert db.query("PRAGMA journal_mode")[0][0] == "wal"
    ledger = Ledger(db, FrozenClock(NOW))
    ledger.start()
    rows = [CopiedRow("a@x", f"s{i}", "INBOX", 10, str(i + 1), i + 1) for i in range(1200)]
    for start in range(0, 1200, 100):
        ledger.copied(rows[start : start + 100])
    ledger.save_checkpoint("a@x", "INBOX", Checkpoint("77", 1200, True), 1200, 12000)
    ledger.save_job(JobRow("a@x", "G", state="done", items_done=1200))
    ledger.add_error("a@x", "G", "boom")
    assert ledger.flush(10)
    assert len(ledger.copied_ids("a@x", "INBOX")) == 1200
    assert ledger.high_target_uid("a@x", "INBOX") == 1200
    assert ledger.totals("a@x") == (1200, 12000, 0)
    assert ledger.checkpoint("a@x", "INBOX") == Checkpoint("77", 1200, True)
    assert ledger.job("a@x") is not None
    snap = read_snapshot(db, NOW)
    assert snap.overall.users["done"] == 1 and snap.recent_errors == ("a@x: boom",)
    assert not snap.live
    ledger.stop()
    db.close()


def test_batches_respect_items_and_bytes() -> None:
    refs = [ItemRef(str(i), ("INBOX",), s, NOW) for i, s in enumerate([5, 5, 20, 1, 1, 1])]
    assert [len(b) for b in batches(refs, 3, 10)] == [2, 1, 3]


# --- archives and an engine run with a fake target ------------------------------------


def make_maildir(root: Path) -> None:
    for sub in ("cur", "new", "tmp", ".Sent/cur", ".Sent/new", ".Entw&APw-rfe/cur"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    (root / "cur" / "1.a.host:2,SF").write_bytes(b"Message-ID: <1@x>\n\nhello\n")
    (root / "new" / "2.b.host").write_bytes(b"Message-ID: <2@x>\n\nnew\n")
    (root / ".Sent" / "cur" / "3.c.host:2,S").write_bytes(b"Subject: sent\n\n" + b"x" * 5000)
    (root / ".Entw&APw-rfe" / "cur" / "4.d.host:2,D").write_bytes(b"Subject: draft\n\n")
    os.utime(root / "cur" / "1.a.host:2,SF", (1_700_000_000, 1_700_000_000))


def test_maildir_source_reads_folders_flags_and_dates(tmp_path: Path) -> None:
    make_maildir(tmp_path / "alice")
    box = MaildirSource(str(tmp_path / "{local}")).open("alice@renovations.com")
    folders = {f.path: f for f in box.folders()}
    assert set(folders) == {("INBOX",), ("Sent",), ("Entwürfe",)}
    scan = box.scan(folders[("INBOX",)], "", 0)
    by_id = {r.source_id: r for r in scan.refs}
    first = by_id["maildir:INBOX/1.a.host"]
    assert set(first.flags) == {"\\Flagged", "\\Seen"}
    assert first.received == datetime.fromtimestamp(1_700_000_000, UTC)
    items = list(box.read(folders[("INBOX",)], scan.refs))
    assert all(isinstance(i, MailItem) for i in items)


def test_mbox_source(tmp_path: Path) -> None:
    path = tmp_path / "bob.mbox"
    path.write_bytes(
        b"From a@x Tue Mar  5 09:15:00 2024\nStatus: RO\nX-Status: A\nSubject: one\n\n"
        b">From the start\n\n"
        b"From b@x Wed Mar  6 10:00:00 2024\nSubject: two\n\nbody\n"
    )
    box = MboxSource(str(tmp_path / "{local}.mbox")).open("bob@x")
    (folder,) = box.folders()
    scan = box.scan(folder, "", 0)
    assert [set(r.flags) for r in scan.refs] == [{"\\Answered", "\\Seen"}, set()]
    assert scan.refs[0].received == datetime(2024, 3, 5, 9, 15, tzinfo=UTC)
    items = [i for i in box.read(folder, scan.refs) if isinstance(i, MailItem)]
    assert items[0].body.endswith(b"From the start\n")
    assert items[1].body == b"Subject: two\n\nbody\n"


class MemoryTarget:
    kind = "memory"
    item_types = frozenset({"mail"})
    max_item_bytes = 4000

    def __init__(self) -> None:
        self.stored: dict[tuple[str, tuple[str, ...]], list[bytes]] = {}

    def describe(self) -> str:
        return "memory"

    def open(self, user: str) -> MemoryTarget:
        self.user = user
        return self

    def begin_folder(self, folder: tuple[str, ...], special_use: str, high: int | None) -> None:
        self.stored.setdefault((self.user, folder), [])

    def store(self, folder: tuple[str, ...], items: list[MailItem]) -> list[str]:
        self.stored[(self.user, folder)].extend(i.body for i in items)
        return ["m"] * len(items)

    def close(self) -> None:
        pass


def test_engine_records_skips_and_delta_copies_only_new(tmp_path: Path) -> None:
    make_maildir(tmp_path / "alice")
    db = StateDB(tmp_path / "state.db")
    target = MemoryTarget()
    clock = FrozenClock(NOW)
    engine = MigrationEngine(db, MaildirSource(str(tmp_path / "{local}")), target, clock)
    plan = GroupPlan("G", ["alice"], TransferSettings("full"))
    engine.start([plan])
    assert engine.wait(10)
    snap = engine.snapshot()
    assert snap.overall.users["done"] == 1
    assert snap.overall.items_done == 3 and snap.overall.items_total == 3
    reasons = dict(db.query("SELECT reason, count(*) FROM mail_skipped GROUP BY reason"))
    assert reasons == {SKIP_TOO_LARGE: 1, "not available from this source": 3}
    (tmp_path / "alice" / "new" / "5.e.host").write_bytes(b"Subject: later\n\n")
    engine.start([plan], delta=True)
    assert engine.wait(10)
    engine.stop()
    assert sum(len(v) for v in target.stored.values()) == 4
    assert db.query("SELECT count(*) FROM mail_ledger")[0][0] == 4
    db.close()
