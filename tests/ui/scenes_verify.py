"""Scenes of Step 2 Verify domain, shared by test_snapshots_verify.py and the screenshots.

Ports are fixed (the sandbox's and the demo DNS server's) and the clock is frozen, so the
key, the URLs and the times in the pictures do not change between runs.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from textual.pilot import Pilot

from onboard_tui.clock import FrozenClock
from onboard_tui.service import NewSession
from onboard_tui.ui.app import OnboardApp, make_app
from tests.ui.scenes import SANDBOX_PORT, Scene, fill_setup, frozen_clock, submit, wait_open

#: The demo DNS server's port in the scenes (UDP and TCP), fixed like SANDBOX_PORT.
DEMO_DNS_PORT = 47853


def verify_app(
    folder: Path, *, clock: FrozenClock | None = None, show_tour: bool = False
) -> OnboardApp:
    return make_app(
        folder,
        clock=clock or frozen_clock(),
        new=NewSession(
            name="demo", provider="sandbox", sandbox_port=SANDBOX_PORT, demo_dns_port=DEMO_DNS_PORT
        ),
        show_tour=show_tour,
    )


async def settle(pilot: Pilot[int]) -> None:
    """Until every worker is done and its messages are handled."""
    for _ in range(3):
        await pilot.pause()
        await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def registered_at_step2(pilot: Pilot[int]) -> None:
    """Step 1 done with the keyboard, then Continue to Step 2."""
    await wait_open(pilot)
    await fill_setup(pilot)
    await submit(pilot)
    await pilot.press("enter")  # the "record your logon name" dialog
    await pilot.pause()
    await pilot.press("enter")  # Continue to Step 2
    await wait_open(pilot)
    await settle(pilot)


async def _first_look(pilot: Pilot[int]) -> None:
    await registered_at_step2(pilot)


async def _key_issued(pilot: Pilot[int]) -> None:
    await registered_at_step2(pilot)
    await pilot.press("o")
    await settle(pilot)


async def _pending_missing(pilot: Pilot[int]) -> None:
    await _key_issued(pilot)
    await pilot.press("b")
    await settle(pilot)
    app = pilot.app
    assert isinstance(app, OnboardApp)
    clock = app.clock
    assert isinstance(clock, FrozenClock)
    clock.advance(timedelta(hours=3, minutes=25))
    await pilot.press("n")
    await settle(pilot)


async def _verified(pilot: Pilot[int]) -> None:
    await _key_issued(pilot)
    await pilot.press("c")
    await settle(pilot)
    await pilot.press("b")
    await settle(pilot)


SCENES: tuple[Scene, ...] = (
    Scene("verify-first-look", _first_look),
    Scene("verify-key-issued", _key_issued),
    Scene("verify-missing-3h-restart-disabled", _pending_missing),
    Scene("verify-verified", _verified),
)
