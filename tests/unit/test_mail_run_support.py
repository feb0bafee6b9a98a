"""Scheduling on a frozen clock, the migration part of `status --json`, the demo source,
the pre-flight's domain rule and the Complete tab's report."""

from __future__ import annotations

import json
import stat
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from onboard_tui.clock import FrozenClock
from onboard_tui.mail.archive import MaildirSource
from onboard_tui.mail.demo import DONE_MARK, demo_users, ensure_demo_mail, generate, maildir_name
from onboard_tui.mail.errors import MailError
from onboard_tui.mail.ledger import JobRow, Ledger
from onboard_tui.mail.preflight import unverified_members
from onboard_tui.mail.reports import export_users, user_reports
from onboard_tui.mail.scheduler import Scheduler, parse_when
from onboard_tui.mail.service import MigrationService
from onboard_tui.mail.status import migration_status
from onboard_tui.session.model import DomainRecord, SessionData, TransferGroup
from onboard_tui.session.statedb import UserRow
from onboard_tui.session.store import SessionStore


def with_groups(store: SessionStore) -> None:
    def change(data: SessionData) -> None:
        data.transfer_groups += [TransferGroup("Pilot"), TransferGroup("Wave 1")]

    store.update(change)
    store.db.upsert_users(
        [UserRow("a@x.com", group_name="Pilot"), UserRow("b@x.com", group_name="Wave 1")],
        datetime(2026, 11, 25, tzinfo=UTC),
    )


def test_a_schedule_fires_once_when_the_frozen_clock_reaches_it(
    store: SessionStore, clock: FrozenClock
) -> None:
    with_groups(store)
    scheduler = Scheduler(store, clock)
    when = parse_when("2026-11-25 22:00", clock.now())
    scheduler.set("Pilot", when)
    assert scheduler.when("pilot") == datetime(2026, 11, 25, 22, 0, tzinfo=UTC)
    assert "[migration.schedule]" in store.path.read_text()
    assert scheduler.due() == []
    clock.advance(timedelta(hours=12, minutes=59))
    assert scheduler.due() == []
    clock.advance(timedelta(minutes=1))
    assert scheduler.take_due() == ["Pilot"]
    assert scheduler.due() == [] and scheduler.schedules() == {}
    reopened = SessionStore.open(store.path, read_only=True)
    try:
        assert Scheduler(reopened, clock).schedules() == {}
    finally:
        reopened.close()


def test_schedule_input_is_checked(clock: FrozenClock) -> None:
    with pytest.raises(MailError, match="not a date"):
        parse_when("tomorrow", clock.now())
    with pytest.raises(MailError, match="already past"):
        parse_when("2026-11-25 08:59", clock.now())
    assert parse_when("2026-11-26T10:00+01:00", clock.now()).hour == 9


def test_start_due_needs_an_existing_group_and_nothing_for_an_observer(
    store: SessionStore, clock: FrozenClock
) -> None:
    with_groups(store)
    service = MigrationService(store, clock)
    with pytest.raises(MailError, match="no Transfer Group"):
        service.schedule("Nobody", clock.now() + timedelta(hours=1))
    service.schedule("Wave 1", clock.now() + timedelta(hours=1))
    assert service.start_due() == []


def test_status_json_reports_groups_and_users(store: SessionStore, clock: FrozenClock) -> None:
    with_groups(store)
    Scheduler(store, clock).set("Wave 1", clock.now() + timedelta(days=1))
    ledger = Ledger(store.db, clock)
    ledger.start()
    ledger.save_job(JobRow("a@x.com", "Pilot", "done", items_total=3, items_done=3))
    ledger.save_job(JobRow("b@x.com", "Wave 1", "failed", reason="no mailbox"))
    ledger.flush()
    ledger.stop()
    report = json.loads(json.dumps(migration_status(store)))
    pilot, wave = report["groups"]
    assert pilot["name"] == "Pilot" and pilot["users"]["done"] == 1 and pilot["items_done"] == 3
    assert wave["users"]["failed"] == 1 and wave["scheduled"] == "2026-11-26T09:00:00+00:00"
    assert report["overall"]["users"] == {
        "queued": 0,
        "running": 0,
        "paused": 0,
        "done": 1,
        "failed": 1,
    }
    assert [(u["email"], u["state"], u["reason"]) for u in report["users"]] == [
        ("a@x.com", "done", ""),
        ("b@x.com", "failed", "no mailbox"),
    ]
    path = store.folder / "users.csv"
    assert export_users(path, user_reports(store.db)) == 2
    assert path.read_text(encoding="utf-8-sig").splitlines()[0].startswith("email,group,state")


def test_unverified_domains_are_named() -> None:
    now = datetime(2026, 11, 25, tzinfo=UTC)
    domains = [
        DomainRecord("renovations.com", subdomains=["west.renovations.com"], verified_at=now),
        DomainRecord("other.org"),
    ]
    users = ["a@renovations.com", "b@west.renovations.com", "c@other.org", "d@nowhere.net"]
    assert unverified_members(users, domains) == ["c@other.org", "d@nowhere.net"]


def test_the_demo_source_has_the_promised_shape(tmp_path: Path) -> None:
    users = demo_users()
    assert 38 <= len(users) <= 42
    stats = generate(tmp_path / "m", users[:6], messages=600, large=1, large_mb=(1, 1))
    assert stats.users == 6 and stats.messages == 601 and stats.large == 1
    assert stats.without_message_id > 0
    source = MaildirSource(str(tmp_path / "m" / "{user}"))
    mailbox = source.open(users[0][0])
    folders = {f.path for f in mailbox.folders()}
    assert ("Projekte", "Übersicht") in folders and ("会議",) in folders
    assert maildir_name(("Projekte", "Übersicht")) == ".Projekte.&ANw-bersicht"
    counted = sum(
        len(source.open(u).scan(f, "", 0).refs)
        for u, _ in users[:6]
        for f in source.open(u).folders()
    )
    assert counted == 601


def test_the_full_demo_source_is_small_and_made_once(tmp_path: Path) -> None:
    folder = tmp_path / "demo"  # the demo's session folder does not exist yet
    started = time.monotonic()
    stats = ensure_demo_mail(folder)
    print(f"demo source: {stats}, {time.monotonic() - started:.1f} s")  # a figure, not a test
    assert stats is not None and (folder / "demo-mail" / DONE_MARK).exists()
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700  # the session folder stays private
    assert 19_000 <= stats.messages <= 21_000 and 36 <= stats.users <= 42
    assert stats.large >= 5 and stats.bytes < 600_000_000
    assert ensure_demo_mail(folder) is None  # once
