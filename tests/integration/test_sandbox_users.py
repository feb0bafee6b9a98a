"""`/v1/users` over real HTTP on 127.0.0.1: provision, subscription, activation, paging.

The sandbox and the client share a frozen clock, so the demo's activation schedule is
driven by advancing it: no test waits.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from onboard_tui.clock import FrozenClock
from onboard_tui.cloud import CloudClient, CloudConflict, CloudLogon, CloudRejected, Registration
from onboard_tui.cloud.errors import CloudError
from onboard_tui.cloud.sandbox import SandboxServer
from onboard_tui.cloud.sandbox.store import SandboxStore
from onboard_tui.cloud.sandbox.users import ActivationSchedule, activate_by_hand
from onboard_tui.providers import load_profile
from onboard_tui.session.secrets import Secret

pytestmark = pytest.mark.integration

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
ADMIN = "admin@renovations.com"
PASSWORD = Secret("Corr3ct-Horse-Battery")


def _register(client: CloudClient) -> CloudLogon:
    client.register(
        Registration(ADMIN, PASSWORD, "US", "en", "America/New_York", "na", True, "Renovations")
    )
    logon = client.logon(ADMIN, PASSWORD)
    client.add_domain(logon, "renovations.com")
    return logon


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(NOW)


def _sandbox(
    tmp_path: Path, clock: FrozenClock, schedule: ActivationSchedule | None
) -> Iterator[tuple[SandboxServer, CloudClient, CloudLogon]]:
    server = SandboxServer(
        tmp_path / "sandbox.db", load_profile("sandbox"), clock=clock, activation=schedule
    )
    server.start()
    try:
        with CloudClient(server.url, clock=clock) as client:
            yield server, client, _register(client)
    finally:
        server.stop()


@pytest.fixture
def cloud(tmp_path: Path, clock: FrozenClock) -> Iterator[tuple[CloudClient, CloudLogon]]:
    for _, client, logon in _sandbox(tmp_path, clock, None):
        yield client, logon


def test_provision_assign_activate(
    cloud: tuple[CloudClient, CloudLogon], clock: FrozenClock
) -> None:
    client, logon = cloud
    user = client.provision_user(logon, "JSmith@renovations.com", "John Smith", "John", "Smith")
    assert (user.email, user.display_name, user.given_name) == (
        "jsmith@renovations.com",
        "John Smith",
        "John",
    )
    assert user.subscription == "unassigned" and user.activation == "pending"
    assert user.provisioned_at == NOW
    # Activation before a subscription is refused with a sentence.
    with pytest.raises(CloudConflict) as caught:
        client.activate_user("jsmith@renovations.com", Secret("N3w-permanent-pw"))
    assert caught.value.kind == "no-subscription"
    clock.advance(timedelta(minutes=5))
    assigned = client.assign_subscription(logon, "jsmith@renovations.com", "SmartCloud Notes")
    assert assigned.assigned and assigned.subscription_type == "SmartCloud Notes"
    assert assigned.assigned_at == NOW + timedelta(minutes=5)
    clock.advance(timedelta(minutes=5))
    again = client.assign_subscription(logon, "jsmith@renovations.com", "SmartCloud Notes")
    assert again.assigned_at == assigned.assigned_at  # repeating keeps assigned_at
    active = client.activate_user("jsmith@renovations.com", Secret("N3w-permanent-pw"))
    assert active.active and active.activated_at == NOW + timedelta(minutes=10)
    with pytest.raises(CloudConflict) as twice:
        client.activate_user("jsmith@renovations.com", Secret("N3w-permanent-pw"))
    assert twice.value.kind == "already-active"
    assert client.user(logon, "jsmith@renovations.com").active


def test_provision_needs_a_listed_domain_and_a_name(cloud: tuple[CloudClient, CloudLogon]) -> None:
    client, logon = cloud
    with pytest.raises(CloudConflict) as caught:
        client.provision_user(logon, "someone@elsewhere.example", "Someone")
    assert caught.value.kind == "domain-not-listed"
    assert "elsewhere.example is not a domain of this organisation" in caught.value.message
    with pytest.raises(CloudRejected) as rejected:
        client.provision_user(logon, "x@renovations.com", "  ")
    assert rejected.value.kind == "validation"
    with pytest.raises(CloudError):
        client.user(logon, "nobody@renovations.com")


def test_paging_and_filters(cloud: tuple[CloudClient, CloudLogon]) -> None:
    client, logon = cloud
    for i in range(7):
        client.provision_user(logon, f"user{i}@renovations.com", f"User {i}")
    for i in (1, 3, 5):
        client.assign_subscription(logon, f"user{i}@renovations.com")
    first = client.users_page(logon, limit=3)
    assert [u.email for u in first.users] == [f"user{i}@renovations.com" for i in range(3)]
    assert first.next_cursor
    every = client.all_users(logon)
    assert [u.email for u in every] == [f"user{i}@renovations.com" for i in range(7)]
    assigned = client.all_users(logon, subscription="assigned")
    assert [u.email for u in assigned] == [f"user{i}@renovations.com" for i in (1, 3, 5)]
    assert all(u.subscription_type == "standard" for u in assigned)
    with httpx.Client(base_url=client.base_url, trust_env=False) as raw:
        bad = raw.get(
            "/v1/users?limit=0&activation=maybe",
            headers={"Authorization": f"Bearer {logon.token.reveal()}"},
        )
        anonymous = raw.get("/v1/users")
    assert bad.status_code == 422
    assert {e["field"] for e in bad.json()["errors"]} == {"limit", "activation"}
    assert anonymous.status_code == 401
    unassigned = client.unassign_subscription(logon, "user1@renovations.com")
    assert unassigned.subscription == "unassigned" and unassigned.assigned_at is None


def test_demo_schedule_activates_users_as_the_clock_moves(
    tmp_path: Path, clock: FrozenClock
) -> None:
    schedule = ActivationSchedule(after_min=60, after_max=600, never_percent=20)
    emails = [f"user{i:02d}@renovations.com" for i in range(30)]
    for _, client, logon in _sandbox(tmp_path, clock, schedule):
        for email in emails:
            client.provision_user(logon, email, email.split("@")[0])
            client.assign_subscription(logon, email)
        assert client.all_users(logon, activation="active") == []
        clock.advance(timedelta(seconds=59))
        assert client.all_users(logon, activation="active") == []
        clock.advance(timedelta(seconds=300))
        middle = {u.email for u in client.all_users(logon, activation="active")}
        clock.advance(timedelta(seconds=300))
        late = client.all_users(logon, activation="active")
        never = [e for e in emails if schedule.due(e, NOW) is None]
        assert 0 < len(middle) < len(late)
        assert {u.email for u in late} == set(emails) - set(never)
        assert never, "some users never activate by themselves: the reminders are for them"
        for user in late:  # the activation time is the scheduled one, not the time of reading
            due = schedule.due(user.email, NOW)
            assert due is not None and user.activated_at is not None
            assert abs((user.activated_at - due).total_seconds()) < 1


def test_activate_by_hand_in_the_database(
    cloud: tuple[CloudClient, CloudLogon], tmp_path: Path
) -> None:
    client, logon = cloud
    client.provision_user(logon, "a@renovations.com", "A")
    client.provision_user(logon, "b@renovations.com", "B")
    client.assign_subscription(logon, "a@renovations.com")
    store = SandboxStore(tmp_path / "sandbox.db")
    try:
        results = activate_by_hand(
            store, ["A@renovations.com", "b@renovations.com", "c@x.org"], NOW
        )
    finally:
        store.close()
    assert results[0] == ("a@renovations.com", "")
    assert "has no subscription yet" in results[1][1]
    assert "is not a provisioned user" in results[2][1]
    assert client.user(logon, "a@renovations.com").active
