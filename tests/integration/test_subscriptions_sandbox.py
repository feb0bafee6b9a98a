"""Step 4 end to end against the sandbox over HTTP: export, mark assigned, activations
arriving on the sandbox's schedule, `onboard-tui sandbox activate`, and Step 5's gate.

The session runs on a frozen clock shared with the sandbox, so "users activate over time"
is driven by advancing it; nothing here waits.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from onboard_tui.cli import main
from onboard_tui.clock import FrozenClock
from onboard_tui.cloud.sandbox.users import ActivationSchedule
from onboard_tui.service import OnboardingService
from onboard_tui.session.secrets import Secret
from onboard_tui.session.store import SessionStore
from onboard_tui.subscriptions import LogonNeeded
from tests.migration_session import PASSWORD, PASSWORD_ENV, USERS, make_migration_session

pytestmark = pytest.mark.integration

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


def _jobs(svc: OnboardingService, state: str, passes: int) -> None:
    """Step 3's outcome as its engine records it (the engine itself is tested elsewhere)."""
    with svc.store.db.transaction() as conn:
        for user in USERS:
            conn.execute(
                "INSERT OR REPLACE INTO mail_jobs(user, group_name, state, passes, started, "
                "updated) VALUES (?, 'Pilot', ?, ?, ?, ?)",
                (user, state, passes, NOW.isoformat(), NOW.isoformat()),
            )


@pytest.fixture
def session(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[OnboardingService, FrozenClock]]:
    monkeypatch.setenv(PASSWORD_ENV, PASSWORD)
    clock = FrozenClock(NOW)
    folder = tmp_path / "session"
    make_migration_session(folder, messages=4, clock=clock)
    store = SessionStore.open(folder)
    try:  # half of these four log in by themselves (by their address's hash), half never
        store.doc["sandbox"]["never_activate_percent"] = 50  # type: ignore[index]
        store.update(lambda _d: None)
    finally:
        store.close()
    svc = OnboardingService.open(folder, clock=clock)
    try:
        svc.domains.verify_ownership("renovations.com")  # lists the domain in the cloud
        yield svc, clock
    finally:
        svc.close()


def test_assign_poll_remind_and_the_gate(
    session: tuple[OnboardingService, FrozenClock], tmp_path: Path
) -> None:
    svc, clock = session
    subs = svc.subscriptions
    _jobs(svc, "done", 1)
    overview = subs.overview()
    assert (overview.counters.needing, overview.counters.assigned) == (4, 0)
    assert overview.counters.at_risk == 4  # migrated, not activated: no new mail
    assert overview.deadline.level == "ok" and overview.deadline.days_left == 60

    path, count = subs.export(tmp_path / "provider.csv")
    with path.open(encoding="utf-8-sig", newline="") as f:
        exported = [row[0] for row in csv.reader(f)][1:]
    assert count == 4 and exported == sorted(USERS)

    seen: list[tuple[int, int, str]] = []
    report = subs.mark_assigned(list(USERS), progress=lambda d, t, e: seen.append((d, t, e)))
    assert sorted(report.assigned) == sorted(USERS) and report.failed == []
    assert [d for d, _, _ in seen] == [1, 2, 3, 4]
    assert subs.overview().counters.assigned == 4
    assert svc.store.data.step_record(svc.roadmap.current).state  # roadmap moved on
    poll = subs.poll()
    assert poll.checked == 4 and poll.newly_activated == []

    schedule = ActivationSchedule(never_percent=50)
    clock.advance(timedelta(seconds=schedule.after_max + 1))
    poll = subs.poll()
    by_themselves = sorted(u for u in USERS if schedule.due(u, NOW) is not None)
    assert sorted(poll.newly_activated) == by_themselves
    assert subs.poll().newly_activated == []  # once only

    record = svc.store.data.domain("renovations.com")
    assert record is not None
    facts = subs.users_of_domain(record)
    assert facts.total == 4 and facts.not_migrated == ()
    assert len(facts.no_final_delta) == 4  # no delta pass after the first copy yet
    missing = sorted(set(USERS) - set(by_themselves))
    assert sorted(facts.not_activated) == missing
    assert missing, "the schedule leaves some of these users to activate by hand"

    # The rest activate by hand, from another process, while this one holds the session.
    result = CliRunner().invoke(main, ["sandbox", "activate", str(svc.store.folder), *missing])
    assert result.exit_code == 0, result.output
    assert all(f"activated: {e}" in result.output for e in missing)
    again = CliRunner().invoke(main, ["sandbox", "activate", str(svc.store.folder), missing[0]])
    assert again.exit_code == 1 and "is already active" in again.output
    assert sorted(subs.poll().newly_activated) == missing

    _jobs(svc, "done", 2)  # the final delta pass
    facts = subs.users_of_domain(record)
    assert (facts.not_migrated, facts.no_final_delta, facts.not_activated) == ((), (), ())
    counters = subs.overview().counters
    assert (counters.activated, counters.at_risk) == (4, 0)


def test_import_provider_csv_assigns_through_the_cloud(
    session: tuple[OnboardingService, FrozenClock], tmp_path: Path
) -> None:
    svc, _ = session
    _jobs(svc, "running", 0)
    path = tmp_path / "back.csv"
    path.write_text(
        "E-mail,Subscription type\n"
        f"{USERS[0]},Notes Plus\n"
        "stranger@renovations.com,Notes\n"
        f"{USERS[1]},\n",
        encoding="utf-8",
    )
    report = svc.subscriptions.import_provider_csv(path)
    assert report.rows == 3
    assert report.report.assigned == [USERS[0], USERS[1]]
    assert [(p.line, p.field) for p in report.problems] == [(3, "E-mail")]
    users = {u.email: u for u in svc.subscriptions.page().users}
    assert users[USERS[0]].type == "Notes Plus"
    assert users[USERS[1]].type == "SmartCloud Notes"  # the configured default
    assert users[USERS[0]].assigned_by == "provider-csv"


def test_without_a_logon_the_cloud_asks_for_the_password(
    session: tuple[OnboardingService, FrozenClock], monkeypatch: pytest.MonkeyPatch
) -> None:
    svc, _ = session
    _jobs(svc, "done", 1)
    monkeypatch.delenv(PASSWORD_ENV)
    svc.cloud.logon = None
    svc.store.update(lambda d: setattr(d.cloud, "admin_password", "prompt"))
    with pytest.raises(LogonNeeded):
        svc.subscriptions.poll()
    assert svc.subscriptions.needs_logon()
    svc.subscriptions.log_on(Secret(PASSWORD))
    assert svc.subscriptions.poll().checked == 0  # nobody is provisioned in the cloud yet


def test_sandbox_activate_refuses_a_real_provider(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["sandbox", "activate", str(tmp_path / "none"), "a@b.c"])
    assert result.exit_code == 2
