"""`{migration_date}` from the Transfer Group's schedule in `[migration.schedule]`, in the
organisation's time zone, falling back to values.toml (per group, then for everyone)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from onboard_tui.clock import FrozenClock
from onboard_tui.comms import CommsService
from onboard_tui.comms.values import TemplateValues, date_text, session_values, with_schedules
from onboard_tui.mail.scheduler import Scheduler
from onboard_tui.providers import load_profile
from onboard_tui.session.model import Organisation, SessionData, TransferGroup
from onboard_tui.session.statedb import UserRow
from onboard_tui.session.store import SessionStore

START = datetime(2026, 11, 28, 22, 0, tzinfo=UTC)
VALUES = (
    'migration_date = "Saturday 5 December 2026"\nlogin_url = "https://mail.renovations.test"\n'
    '[groups."Pilot"]\nmigration_date = "some day in November"\n'
    '[groups."Wave 1"]\nmigration_date = "Sunday 6 December 2026"\n'
)


@pytest.mark.parametrize(
    ("zone", "text"),
    [
        ("America/New_York", "Saturday 28 November 2026, 17:00 EST"),
        ("Europe/Berlin", "Saturday 28 November 2026, 23:00 CET"),
        ("Asia/Tokyo", "Sunday 29 November 2026, 07:00 JST"),
        ("", "Saturday 28 November 2026, 22:00 UTC"),
        ("Not/AZone", "Saturday 28 November 2026, 22:00 UTC"),
    ],
)
def test_the_start_time_is_written_in_the_organisation_time_zone(zone: str, text: str) -> None:
    assert date_text(START, zone) == text


def test_a_schedule_wins_and_other_groups_keep_values_toml() -> None:
    values = TemplateValues(migration_date="later", group_dates={"Pilot": "p", "Wave 1": "w"})
    merged = with_schedules(values, {"pilot": START}, "UTC")
    assert merged.date_for("Pilot") == "Saturday 28 November 2026, 22:00 UTC"
    assert merged.date_for("Wave 1") == "w"
    assert merged.date_for("Wave 2") == merged.date_for(None) == "later"
    assert values.date_for("Pilot") == "p"  # the original is left alone


@pytest.fixture
def comms(store: SessionStore, clock: FrozenClock) -> CommsService:
    store.db.upsert_users(
        [
            UserRow("alice@renovations.com", "Alice A", "Alice", "A", group_name="Pilot"),
            UserRow("carla@renovations.com", "Carla C", "Carla", "C", group_name="Wave 1"),
            UserRow("bruno@renovations.com", "Bruno B", "Bruno", "B"),
        ],
        clock.now(),
    )

    def change(data: SessionData) -> None:
        data.transfer_groups += [TransferGroup("Pilot"), TransferGroup("Wave 1")]
        data.organisation = Organisation(
            "admin@renovations.com", "US", "en", "America/New_York", "Renovations"
        )

    store.update(change)
    service = CommsService(store, load_profile("sandbox"), clock)
    service.ensure_files()
    service.save_values(VALUES)
    return service


def subject(comms: CommsService, email: str) -> str:
    preview = comms.preview("migration-scheduled", email)
    assert not preview.problem, preview.problem
    return preview.subject + "\n" + preview.body


def test_messages_use_the_schedule_the_engine_follows(
    comms: CommsService, store: SessionStore, clock: FrozenClock
) -> None:
    scheduler = Scheduler(store, clock)
    assert "some day in November" in subject(comms, "alice@renovations.com")
    scheduler.set("Pilot", START)
    alice = subject(comms, "alice@renovations.com")
    assert "Saturday 28 November 2026, 17:00 EST" in alice
    assert "some day in November" not in alice
    assert "Sunday 6 December 2026" in subject(comms, "carla@renovations.com")
    assert "Saturday 5 December 2026" in subject(comms, "bruno@renovations.com")
    values = session_values(comms.folder, store, clock)
    assert values.date_for("pilot") == "Saturday 28 November 2026, 17:00 EST"
    scheduler.set("Pilot", None)  # unscheduled (or fired): values.toml again
    assert "some day in November" in subject(comms, "alice@renovations.com")
