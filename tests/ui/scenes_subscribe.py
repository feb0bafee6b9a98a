"""Scenes of Step 4 Assign subscriptions in the demo, for test_snapshots_subscribe.py, the
flow test and `make screenshots`: a registered organisation, renovations.com listed in
the sandbox, four users whose mail is migrated, a frozen clock and fixed ports."""

from __future__ import annotations

from pathlib import Path

from textual.pilot import Pilot

from onboard_tui.roadmap import StepId
from onboard_tui.service import NewSession, OnboardingService
from onboard_tui.session.model import SessionData, TransferGroup
from onboard_tui.session.secrets import Secret
from onboard_tui.session.statedb import UserRow
from onboard_tui.setup.service import SetupForm
from onboard_tui.ui.app import OnboardApp, make_app
from tests.ui.scenes import PASSWORD, SANDBOX_PORT, START, Scene, frozen_clock, wait_open
from tests.ui.scenes_communicate import service_of, settle

#: The demo DNS server's port in these scenes; the demo mail server takes the next one.
SUBS_DNS_PORT = 47893

USERS = (
    UserRow("alice.adams@renovations.com", "Alice Adams", "Alice", "Adams", group_name="Pilot"),
    UserRow("bruno.baker@renovations.com", "Bruno Baker", "Bruno", "Baker", group_name="Pilot"),
    UserRow(
        "carla.costa@west.renovations.com", "Carla Costa", "Carla", "Costa", group_name="Pilot"
    ),
    UserRow("david.diaz@renovations.com", "David Diaz", "David", "Diaz", group_name="Pilot"),
)
VALUES = """\
migration_date = "Saturday 5 December 2026"
login_url = "https://mail.renovations.com/"
company = "Renovations Inc"
admin_email = "admin@renovations.com"
"""


def subscribe_app(folder: Path, *, show_tour: bool = False) -> OnboardApp:
    return make_app(
        folder,
        clock=frozen_clock(),
        new=NewSession(
            name="demo", provider="sandbox", sandbox_port=SANDBOX_PORT, demo_dns_port=SUBS_DNS_PORT
        ),
        show_tour=show_tour,
    )


def prepare(service: OnboardingService, *, passes: int = 1) -> None:
    """Step 1 registered, renovations.com listed in the cloud, the users' mail migrated."""
    service.setup.submit(
        SetupForm(
            admin_email="admin@renovations.com",
            password=Secret(PASSWORD),
            confirm=Secret(PASSWORD),
            country="US",
            language="en",
            timezone="America/New_York",
            geography="na",
            company="Renovations Inc",
            terms_accepted=True,
        )
    )
    service.subscriptions.log_on(Secret(PASSWORD))
    service.domains.verify_ownership("renovations.com")
    service.store.db.upsert_users(USERS, START)

    def groups(data: SessionData) -> None:
        data.transfer_groups = [TransferGroup("Pilot")]

    service.store.update(groups)
    with service.store.db.transaction() as conn:
        for user in USERS:
            conn.execute(
                "INSERT OR REPLACE INTO mail_jobs(user, group_name, state, passes, started, "
                "updated) VALUES (?, 'Pilot', 'done', ?, ?, ?)",
                (user.email, passes, START.isoformat(), START.isoformat()),
            )
    service.comms.ensure_files()
    service.comms.save_values(VALUES)


async def open_subscribe(pilot: Pilot[int]) -> None:
    await wait_open(pilot)
    prepare(service_of(pilot))
    assert isinstance(pilot.app, OnboardApp)
    pilot.app.go_to_step(StepId.SUBSCRIBE)
    await pilot.pause()
    await settle(pilot)


async def _first_look(pilot: Pilot[int]) -> None:
    await open_subscribe(pilot)


async def _at_risk(pilot: Pilot[int]) -> None:
    await open_subscribe(pilot)
    await pilot.press("f")
    await settle(pilot)


async def _confirm_assign(pilot: Pilot[int]) -> None:
    await open_subscribe(pilot)
    await pilot.press("a")
    await settle(pilot)


SCENES = (
    Scene("step4-first-look", _first_look),
    Scene("step4-at-risk", _at_risk),
    Scene("step4-confirm-assign", _confirm_assign),
)
