"""Scenes of the Communicate screen in the demo, for test_snapshots_communicate.py, the
flow test and `make screenshots`: a few users, dates in values.toml, a frozen clock, and
fixed ports (the demo's mail server, which `[smtp]` points at, is beside its DNS server)."""

from __future__ import annotations

from pathlib import Path

from textual.pilot import Pilot

from onboard_tui.comms.ledger import SentLedger
from onboard_tui.roadmap import StepId
from onboard_tui.service import NewSession, OnboardingService
from onboard_tui.session.model import SessionData, TransferGroup
from onboard_tui.session.statedb import UserRow
from onboard_tui.ui.app import OnboardApp, make_app
from tests.ui.scenes import SANDBOX_PORT, START, Scene, frozen_clock, wait_open

#: The demo DNS server's port in these scenes; the demo mail server takes the next one.
COMMS_DNS_PORT = 47873

USERS = (
    UserRow("alice.adams@renovations.com", "Alice Adams", "Alice", "Adams", group_name="Pilot"),
    UserRow("bruno.baker@renovations.com", "Bruno Baker", "Bruno", "Baker", group_name="Pilot"),
    UserRow("carla.costa@west.renovations.com", "Carla Costa", "Carla", "Costa"),
    UserRow("david.diaz@renovations.com", "David Diaz", "David", "Diaz"),
    UserRow("eve.evil@renovations.com", "[b]Eve[/b] {email}", "[red]Eve", "Evil"),
)
VALUES = """\
migration_date = "Saturday 5 December 2026"
login_url = "https://mail.renovations.com/"
company = "Renovations Inc"
admin_email = "admin@renovations.com"

[groups."Pilot"]
migration_date = "Saturday 28 November 2026"
"""


def comms_app(folder: Path, *, show_tour: bool = False) -> OnboardApp:
    return make_app(
        folder,
        clock=frozen_clock(),
        new=NewSession(
            name="demo", provider="sandbox", sandbox_port=SANDBOX_PORT, demo_dns_port=COMMS_DNS_PORT
        ),
        show_tour=show_tour,
    )


def service_of(pilot: Pilot[int]) -> OnboardingService:
    app = pilot.app
    assert isinstance(app, OnboardApp) and app.service is not None
    return app.service


async def settle(pilot: Pilot[int]) -> None:
    for _ in range(4):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause(0.05)


async def open_communicate(pilot: Pilot[int]) -> None:
    """The demo with five users (one with markup in its name), then Communicate."""
    await wait_open(pilot)
    service = service_of(pilot)
    service.store.db.upsert_users(USERS, START)

    def groups(data: SessionData) -> None:
        data.transfer_groups = [TransferGroup("Pilot")]

    service.store.update(groups)
    service.comms.ensure_files()
    service.comms.save_values(VALUES)
    assert isinstance(pilot.app, OnboardApp)
    pilot.app.go_to_step(StepId.COMMUNICATE)
    await pilot.pause()
    await settle(pilot)


async def _templates(pilot: Pilot[int]) -> None:
    await open_communicate(pilot)


async def _preview(pilot: Pilot[int]) -> None:
    await open_communicate(pilot)
    await pilot.press("p", *"alice", "enter")
    await settle(pilot)


async def _preview_markup(pilot: Pilot[int]) -> None:
    await open_communicate(pilot)
    await pilot.press("p", *"eve.evil", "enter")
    await settle(pilot)


async def _editor(pilot: Pilot[int]) -> None:
    await open_communicate(pilot)
    await pilot.press("e")
    await settle(pilot)


async def _editor_error(pilot: Pilot[int]) -> None:
    await _editor(pilot)
    await pilot.press("down", "down", "end", *" {first}", "ctrl+s")
    await settle(pilot)


async def _recipients(pilot: Pilot[int]) -> None:
    await open_communicate(pilot)
    await pilot.press("x")
    await settle(pilot)


async def _confirm_export(pilot: Pilot[int]) -> None:
    await _recipients(pilot)
    await pilot.press("enter")
    await settle(pilot)


async def _smtp_form(pilot: Pilot[int]) -> None:
    await open_communicate(pilot)
    await pilot.press("m")
    await settle(pilot)


async def _status(pilot: Pilot[int]) -> None:
    await wait_open(pilot)
    ledger = SentLedger(service_of(pilot).store.db)
    for email in ("alice.adams@renovations.com", "bruno.baker@renovations.com"):
        ledger.begin("first-announcement", email, f"<{email}>", START)
        ledger.sent("first-announcement", email, START)
    ledger.begin("first-announcement", "david.diaz@renovations.com", "<d>", START)
    ledger.failed(
        "first-announcement", "david.diaz@renovations.com", "550 5.1.1 No such user", START
    )
    await open_communicate(pilot)
    pilot.app.screen.query_one("#comms-tabs").active = "tab-status"  # type: ignore[attr-defined]
    await settle(pilot)


SCENES: tuple[Scene, ...] = (
    Scene("comms-templates", _templates),
    Scene("comms-preview", _preview),
    Scene("comms-preview-markup", _preview_markup),
    Scene("comms-editor", _editor),
    Scene("comms-editor-error", _editor_error),
    Scene("comms-recipients", _recipients),
    Scene("comms-confirm-export", _confirm_export),
    Scene("comms-smtp-form", _smtp_form),
    Scene("comms-status", _status),
)


def app_for(folder: Path) -> OnboardApp:
    return comms_app(folder, show_tour=False)
