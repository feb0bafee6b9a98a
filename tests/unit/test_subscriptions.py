"""Step 4's logic without the network: who needs a subscription, counters, the at-risk
filter, the deadline, the provider's CSV both ways, reminders' audience, the gate facts."""

from __future__ import annotations

import csv
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from onboard_tui.clock import FrozenClock
from onboard_tui.cloud.access import CloudAccess
from onboard_tui.cloud.models import CloudUser
from onboard_tui.comms import CommsService
from onboard_tui.providers import load_profile
from onboard_tui.session.model import DomainRecord, TransferGroup
from onboard_tui.session.statedb import UserRow
from onboard_tui.session.store import SessionStore
from onboard_tui.subscriptions import (
    AT_RISK,
    NOT_ACTIVATED,
    NOT_ASSIGNED,
    SubscriptionConfig,
    SubscriptionError,
    SubscriptionService,
)
from onboard_tui.subscriptions.config import read_config
from onboard_tui.subscriptions.deadline import deadline
from onboard_tui.subscriptions.provider_csv import read_provider_csv
from onboard_tui.subscriptions.reminders import TEMPLATE

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
VALUES = 'company = "Renovations"\nadmin_email = "it@renovations.com"\n'
VALUES += 'login_url = "https://mail.renovations.test/login"\n'
USERS = ("ann@renovations.com", "bob@renovations.com", "cy@west.renovations.com", "dee@x.org")


def job(store: SessionStore, user: str, state: str, passes: int = 1, started: str = "") -> None:
    with store.db.transaction() as conn:
        conn.execute(
            "INSERT OR REPLACE INTO mail_jobs(user, group_name, state, passes, started, updated) "
            "VALUES (?, 'Pilot', ?, ?, ?, ?)",
            (user, state, passes, started, NOW.isoformat()),
        )


@pytest.fixture
def service(store: SessionStore, clock: FrozenClock) -> SubscriptionService:
    profile = load_profile("sandbox")
    store.update(lambda d: d.transfer_groups.append(TransferGroup("Pilot")))
    store.db.upsert_users(
        [
            UserRow("ann@renovations.com", "Ann Archer", "Ann", "Archer", group_name="Pilot"),
            UserRow("bob@renovations.com", "=cmd|' /C calc'!A0", group_name="Pilot"),
            UserRow("cy@west.renovations.com", "Cy Young", group_name="Pilot"),
            UserRow("dee@x.org", "Dee Dee"),
            UserRow("eve@renovations.com", "Eve (not staged)"),
        ],
        clock.now(),
    )
    comms = CommsService(store, profile, clock)
    comms.ensure_files()
    comms.save_values(VALUES)
    return SubscriptionService(store, CloudAccess(profile, store.data.cloud, clock), clock, comms)


def test_who_needs_a_subscription_and_when_they_became_ready(
    service: SubscriptionService, store: SessionStore
) -> None:
    job(store, "ann@renovations.com", "done", started="2026-10-01T08:00:00+00:00")
    job(store, "bob@renovations.com", "running")
    job(store, "dee@x.org", "queued")
    assert service.refresh() == 3  # cy is in Pilot but Pilot is not scheduled yet
    page = service.page()
    assert [u.email for u in page.users] == [
        "ann@renovations.com",
        "bob@renovations.com",
        "dee@x.org",
    ]
    ann = page.users[0]
    assert ann.ready_at == datetime(2026, 10, 1, 8, 0, tzinfo=UTC)  # from the job's start
    assert ann.deadline == ann.ready_at + timedelta(days=60)
    assert page.users[1].ready_at == NOW
    # A scheduled group brings its members in, and ready times never move.
    store.doc.add("migration", {"schedule": {"Pilot": datetime(2026, 12, 1, tzinfo=UTC)}})
    store.update(lambda _d: None)
    assert service.refresh() == 1
    assert service.refresh() == 0
    assert service.page().users[0].ready_at == ann.ready_at


def test_counters_and_at_risk(service: SubscriptionService, store: SessionStore) -> None:
    for user in USERS:
        job(store, user, "done" if user != "dee@x.org" else "running")
    service.refresh()
    service.table.mark_assigned("ann@renovations.com", "SmartCloud Notes", NOW, "wizard")
    service.table.mark_assigned("bob@renovations.com", "SmartCloud Notes", NOW, "wizard")
    cloud = [
        CloudUser(
            "ann@renovations.com",
            "Ann",
            "",
            "",
            NOW,
            "assigned",
            "SmartCloud Notes",
            NOW,
            "active",
            NOW,
        ),
        CloudUser(
            "bob@renovations.com",
            "Bob",
            "",
            "",
            NOW,
            "assigned",
            "SmartCloud Notes",
            NOW,
            "pending",
            None,
        ),
        CloudUser("nobody@renovations.com", "?", "", "", NOW, "assigned", "", NOW, "active", NOW),
    ]
    activated, assigned = service.table.apply_cloud(cloud, NOW)
    assert activated == ["ann@renovations.com"] and assigned == []
    counters = service.overview().counters
    assert (counters.needing, counters.assigned, counters.activated) == (4, 2, 1)
    assert counters.at_risk == 2  # bob and cy are migrated but not active; dee is not migrated
    assert counters.unassigned == 2
    risky = service.page(AT_RISK).users
    assert [u.email for u in risky] == ["bob@renovations.com", "cy@west.renovations.com"]
    assert all(u.at_risk for u in risky)
    assert [u.email for u in service.page(NOT_ASSIGNED).users] == [
        "cy@west.renovations.com",
        "dee@x.org",
    ]
    assert [u.email for u in service.page(NOT_ACTIVATED).users] == ["bob@renovations.com"]
    assert [u.email for u in service.page(search="west").users] == ["cy@west.renovations.com"]


def test_paging_is_by_email(service: SubscriptionService, store: SessionStore) -> None:
    for user in USERS:
        job(store, user, "done")
    service.refresh()
    first = service.page(limit=2)
    assert len(first.users) == 2 and first.after == "bob@renovations.com"
    rest = service.page(after=first.after or "", limit=2)
    assert [u.email for u in rest.users] == ["cy@west.renovations.com", "dee@x.org"]
    assert rest.after is None


def test_deadline_levels() -> None:
    config = SubscriptionConfig(deadline_days=60, warn_days=14)
    assert deadline([], NOW, config).level == "none"
    ok = deadline([NOW - timedelta(days=10)], NOW, config)
    assert (ok.level, ok.days_left, ok.waiting) == ("ok", 50, 1)
    assert "50 days left" in ok.sentence
    near = deadline([NOW - timedelta(days=50), NOW], NOW, config)
    assert (near.level, near.days_left, near.near) == ("near", 10, 1)
    assert "within 10 day(s)" in near.sentence
    late = deadline([NOW - timedelta(days=61), NOW - timedelta(days=59)], NOW, config)
    assert (late.level, late.overdue, late.near) == ("overdue", 1, 1)
    assert "passed the provisioning deadline" in late.sentence


def test_config_defaults_and_errors_name_the_line(tmp_path: Path) -> None:
    path = tmp_path / "session.toml"
    assert read_config({}, path) == SubscriptionConfig()
    text = 'name = "x"\n\n[subscriptions]\ntype = "Notes Plus"\ndeadline_days = "soon"\n'
    with pytest.raises(SubscriptionError) as caught:
        read_config({"subscriptions": {"type": "Notes Plus", "deadline_days": "soon"}}, path, text)
    assert f"{path}, line 5: [subscriptions] deadline_days must be a whole number" in str(
        caught.value
    )
    good = read_config({"subscriptions": {"type": " Notes Plus ", "deadline_days": 30}}, path)
    assert (good.type, good.deadline_days, good.warn_days) == ("Notes Plus", 30, 14)
    with pytest.raises(SubscriptionError, match="warn_days must be smaller"):
        read_config({"subscriptions": {"deadline_days": 10, "warn_days": 10}}, path)


def test_export_is_formula_safe(service: SubscriptionService, store: SessionStore) -> None:
    for user in USERS:
        job(store, user, "done")
    path, count = service.export(store.folder / "out.csv")
    assert count == 4
    with path.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == [
        "Email",
        "Name",
        "Subscription type",
        "Transfer Group",
        "Ready since",
        "Deadline",
    ]
    bob = next(r for r in rows if r[0] == "bob@renovations.com")
    assert bob[1] == "'=cmd|' /C calc'!A0"  # neutralised, not a formula
    assert bob[2] == "SmartCloud Notes" and bob[5] == "2027-01-24"


def test_provider_csv_problems_have_line_and_field(tmp_path: Path) -> None:
    path = tmp_path / "provider.csv"
    path.write_text(
        "Email;Subscription;Status\n"
        "ann@renovations.com;Notes Plus;Assigned\n"
        "not-an-address;Notes;Assigned\n"
        "\n"
        "zed@renovations.com;Notes;Assigned\n"
        "bob@renovations.com;Notes;Pending\n"
        "ANN@renovations.com;Notes;Assigned\n"
        "cy@west.renovations.com;;yes\n",
        encoding="utf-8",
    )
    known = {e.casefold(): e for e in USERS}
    rows, problems, count = read_provider_csv(path, known)
    assert count == 6
    assert [(r.line, r.email, r.type) for r in rows] == [
        (2, "ann@renovations.com", "Notes Plus"),
        (8, "cy@west.renovations.com", ""),
    ]
    assert [(p.line, p.field) for p in problems] == [
        (3, "Email"),
        (5, "Email"),
        (6, "Status"),
        (7, "Email"),
    ]
    assert "'not-an-address' is not an email address" in problems[0].message
    assert "not a user who needs a subscription" in problems[1].message
    assert "says 'Pending'" in problems[2].message
    assert "listed again (first on line 2)" in problems[3].message
    assert str(problems[0]).startswith("line 3, Email: ")


def test_provider_csv_without_an_email_column(tmp_path: Path) -> None:
    path = tmp_path / "provider.csv"
    path.write_text("Name,Plan\nAnn,Notes\n", encoding="utf-8")
    rows, problems, _ = read_provider_csv(path, {})
    assert rows == [] and problems[0].field == "header"
    assert "no column holds the users' email addresses (columns: Name, Plan)" in problems[0].message


def test_marking_needs_a_registered_organisation(service: SubscriptionService) -> None:
    with pytest.raises(SubscriptionError, match="not registered yet"):
        service.mark_assigned(["ann@renovations.com"])
    assert service.mark_assigned([]).assigned == []


def test_reminders_go_only_to_assigned_users_not_activated(
    service: SubscriptionService, store: SessionStore
) -> None:
    for user in USERS:
        job(store, user, "done")
    service.refresh()
    for user in ("ann@renovations.com", "bob@renovations.com"):
        service.table.mark_assigned(user, "SmartCloud Notes", NOW, "wizard")
    reminders = service.reminders()
    assert [r.email for r in reminders.plan.recipients] == [
        "ann@renovations.com",
        "bob@renovations.com",
    ]
    assert reminders.plan.template == TEMPLATE
    assert "Reminder: activate your" in reminders.plan.recipients[0].subject
    assert (service.comms.folder / f"{TEMPLATE}.eml.txt").is_file()
    assert "to users who have not activated" in reminders.confirmation
    service.comms.ledger.begin(TEMPLATE, "ann@renovations.com", "<m1@test>", NOW)
    service.comms.ledger.sent(TEMPLATE, "ann@renovations.com", NOW)
    again = service.reminders()
    assert [r.email for r in again.plan.recipients] == ["bob@renovations.com"]
    assert again.plan.already_sent == 1
    forced = service.reminders(force=True)
    assert len(forced.plan.recipients) == 2 and forced.plan.force
    # A user the template cannot be written for is named, not silently dropped.
    service.comms.save_values(VALUES.replace("https://mail.renovations.test/login", ""))
    broken = service.reminders()
    assert broken.plan.recipients == []
    assert [email for email, _ in broken.plan.problems] == ["bob@renovations.com"]
    assert "cannot be written" in broken.confirmation


def test_domain_facts_for_the_gate(service: SubscriptionService, store: SessionStore) -> None:
    job(store, "ann@renovations.com", "done", passes=2)
    job(store, "bob@renovations.com", "done", passes=1)
    job(store, "cy@west.renovations.com", "running")
    service.refresh()
    service.table.mark_assigned("ann@renovations.com", "SmartCloud Notes", NOW, "wizard")
    service.table.apply_cloud(
        [CloudUser("ann@renovations.com", "", "", "", NOW, "assigned", "", NOW, "active", NOW)],
        NOW,
    )
    facts = service.users_of_domain(
        DomainRecord("renovations.com", subdomains=["west.renovations.com"])
    )
    assert facts.total == 4  # eve too: every user of the domain counts
    assert facts.not_migrated == ("cy@west.renovations.com", "eve@renovations.com")
    assert facts.no_final_delta == (
        "bob@renovations.com",
        "cy@west.renovations.com",
        "eve@renovations.com",
    )
    assert facts.not_activated == (
        "bob@renovations.com",
        "cy@west.renovations.com",
        "eve@renovations.com",
    )
    only_root = service.users_of_domain(DomainRecord("renovations.com"))
    assert only_root.total == 3
    assert service.users_of_domain(DomainRecord("x.org")).total == 1
