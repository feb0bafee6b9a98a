"""Scenes of Step 5 Configure MX in the demo, for test_snapshots_mx.py and the screenshots.

The demo session runs its own DNS server (renovations.com, RFC 2136 with TSIG) and, for
the SMTP probe, the demo's SMTP listener beside it; ports are fixed and the clock frozen,
so the pictures do not change between runs. Step 2 is not driven here: a scene that needs
a verified domain records the verification in the session as Step 2 does.
"""

from __future__ import annotations

from pathlib import Path

from textual.pilot import Pilot

from onboard_tui.roadmap import StepId
from onboard_tui.service import NewSession
from onboard_tui.session.model import SessionData
from onboard_tui.ui.app import OnboardApp, make_app
from tests.ui.scenes import SANDBOX_PORT, START, Scene, frozen_clock, wait_open

#: The demo DNS server's port in these scenes; the SMTP listener takes the next one.
MX_DNS_PORT = 47863
DOMAIN = "renovations.com"


def mx_app(folder: Path, *, show_tour: bool = False) -> OnboardApp:
    return make_app(
        folder,
        clock=frozen_clock(),
        new=NewSession(
            name="demo", provider="sandbox", sandbox_port=SANDBOX_PORT, demo_dns_port=MX_DNS_PORT
        ),
        show_tour=show_tour,
    )


async def settle(pilot: Pilot[int]) -> None:
    for _ in range(4):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause(0.05)


async def at_step5(pilot: Pilot[int], *, verified: bool) -> None:
    """The demo opened, the geography chosen (Step 1) and, if asked, the domain verified."""
    await wait_open(pilot)
    app = pilot.app
    assert isinstance(app, OnboardApp) and app.service is not None

    def prepare(data: SessionData) -> None:
        data.geography = "na"
        if verified:
            data.domains[0].verified_at = START

    app.service.store.update(prepare)
    app.go_to_step(StepId.MX)
    await pilot.pause()
    await settle(pilot)


async def _unverified(pilot: Pilot[int]) -> None:
    await at_step5(pilot, verified=False)


async def _ready(pilot: Pilot[int]) -> None:
    await at_step5(pilot, verified=True)
    await pilot.press("p")
    await settle(pilot)


async def _confirm(pilot: Pilot[int]) -> None:
    await _ready(pilot)
    await pilot.press("a")
    await pilot.pause()
    await pilot.press(*DOMAIN)
    await pilot.pause()


async def _switched(pilot: Pilot[int]) -> None:
    await _confirm(pilot)
    await pilot.press("enter")
    for _ in range(100):  # until the re-check after the read-back has been drawn
        await settle(pilot)
        view = getattr(pilot.app.screen, "view", None)
        if view is not None and view.complete and view.switched:
            break
    await settle(pilot)
    pilot.app.screen.query_one("#mx-body").scroll_home(animate=False)
    await pilot.pause()


async def _manual(pilot: Pilot[int]) -> None:
    await _ready(pilot)
    await pilot.press("m")
    await pilot.pause()


SCENES: tuple[Scene, ...] = (
    Scene("mx-unverified", _unverified),
    Scene("mx-ready", _ready),
    Scene("mx-confirm", _confirm),
    Scene("mx-switched", _switched),
    Scene("mx-manual", _manual),
)
