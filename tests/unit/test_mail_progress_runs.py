"""The dashboard's snapshot after a restart: groups started in earlier runs stay, with
their numbers in the overall figures, beside the groups this process runs."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from onboard_tui.clock import FrozenClock
from onboard_tui.mail.archive import MaildirSource
from onboard_tui.mail.progress import GroupProgress, ProgressSnapshot, combine
from onboard_tui.mail.service import MigrationService
from onboard_tui.session.model import SessionData, TransferGroup
from onboard_tui.session.statedb import UserRow
from onboard_tui.session.store import SessionStore
from tests.unit.test_mail_core import MemoryTarget, make_maildir


def service(store: SessionStore, clock: FrozenClock, root: Path) -> MigrationService:
    return MigrationService(
        store, clock, source=MaildirSource(str(root / "{local}")), target=MemoryTarget()
    )


def test_groups_of_an_earlier_run_stay_on_the_dashboard(
    store: SessionStore, clock: FrozenClock, tmp_path: Path
) -> None:
    for user in ("alice", "bruno", "carla"):
        make_maildir(tmp_path / "mail" / user)

    def change(data: SessionData) -> None:
        data.transfer_groups += [TransferGroup("Pilot"), TransferGroup("Wave 1")]

    store.update(change)
    store.db.upsert_users(
        [
            UserRow("alice", group_name="Pilot"),
            UserRow("bruno", group_name="Wave 1"),
            UserRow("carla", group_name="Wave 1"),
        ],
        clock.now(),
    )
    first = service(store, clock, tmp_path / "mail")
    first.start(["Wave 1"])
    assert first.wait(10)
    first.stop()

    second = service(store, clock, tmp_path / "mail")  # the restart
    before = second.snapshot()
    assert [g.name for g in before.groups] == ["Pilot", "Wave 1"]
    assert before.group("Wave 1").users["done"] == 2  # type: ignore[union-attr]
    second.start(["Pilot"])
    assert second.wait(10)
    snap = second.snapshot()
    second.stop()
    assert snap.live
    assert [g.name for g in snap.groups] == ["Pilot", "Wave 1"]
    wave = snap.group("Wave 1")
    assert wave is not None and wave.users["done"] == 2 and wave.items_done == 6
    assert wave.items_per_s == 0.0 and wave.concurrency == 0
    assert snap.overall.users["done"] == 3 and snap.overall.user_count == 3
    assert snap.overall.items_done == 9 and snap.overall.items_total == 9


def group(name: str, done: int, items: int, rate: float = 0.0) -> GroupProgress:
    return GroupProgress(
        name,
        {"done": done, "running": 0},
        items_done=items,
        items_total=items,
        items_per_s=rate,
        concurrency=2,
    )


def test_combine_orders_as_the_session_and_keeps_live_rates() -> None:
    at = datetime(2026, 11, 25, tzinfo=UTC)
    live = ProgressSnapshot(at, group("*", 1, 5, 9.0), (group("B", 1, 5, 9.0),), running=True)
    earlier = ProgressSnapshot(at, group("*", 9, 99), (group("A", 2, 7, 3.0),), live=False)
    snap = combine(live, earlier, ["A", "B", "C"])
    assert [g.name for g in snap.groups] == ["A", "B"]
    assert snap.group("A") == GroupProgress(
        "A", {"done": 2, "running": 0}, items_done=7, items_total=7
    )  # not running here: no rate, no concurrency
    assert snap.overall.users["done"] == 3 and snap.overall.items_done == 12
    assert snap.overall.items_per_s == 9.0 and snap.running and snap.live
    assert combine(live, None, ["A", "B"]) is live
