"""Scenes of the wizard, shared by the snapshot tests and `make screenshots`.

Each scene builds a session in a folder, drives the real app with Pilot, and leaves it
on the screen worth looking at. The clock is frozen so pictures do not change between runs.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from textual.pilot import Pilot
from textual.widgets import Select

from onboard_tui.clock import FrozenClock
from onboard_tui.service import NewSession
from onboard_tui.ui.app import OnboardApp, make_app
from onboard_tui.ui.screens.opening import OpeningScreen

PASSWORD = "Lakeside-Harbour-42"
#: The scenes' sandbox port, fixed so the home page URL in pictures does not change.
SANDBOX_PORT = 47811
START = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


def frozen_clock() -> FrozenClock:
    return FrozenClock(START)


async def wait_open(pilot: Pilot[int]) -> None:
    """Until the session is open and the first step screen has settled."""
    app = pilot.app
    assert isinstance(app, OnboardApp)
    for _ in range(250):
        await pilot.pause(0.02)
        if not isinstance(app.screen, OpeningScreen):
            break
    await app.workers.wait_for_complete()
    await pilot.pause()


async def choose(pilot: Pilot[int], select_id: str, search: str) -> None:
    """Pick an option of a Select with the keyboard: open it, type, Enter."""
    select = pilot.app.screen.query_one(f"#{select_id}", Select)
    select.focus()
    await pilot.press("enter")
    await pilot.press(*search)
    await pilot.press("enter")
    await pilot.pause()


async def type_into(pilot: Pilot[int], widget_id: str, text: str) -> None:
    pilot.app.screen.query_one(f"#{widget_id}").focus()
    await pilot.press(*text)


async def fill_setup(pilot: Pilot[int], *, confirm: str = PASSWORD, accept: bool = True) -> None:
    """Fill Step 1 the way an administrator would, with the keyboard only."""
    await type_into(pilot, "admin_email", "admin@renovations.com")
    await type_into(pilot, "company", "Renovations Inc")
    await type_into(pilot, "password", PASSWORD)
    await type_into(pilot, "confirm", confirm)
    await choose(pilot, "country", "united states (us)")
    await choose(pilot, "language", "english")
    await choose(pilot, "timezone", "america/new york")
    await choose(pilot, "geography", "north america")
    if accept:
        pilot.app.screen.query_one("#terms_accepted").focus()
        await pilot.press("space")
    await pilot.pause()


async def submit(pilot: Pilot[int]) -> None:
    pilot.app.screen.query_one("#submit").focus()
    await pilot.press("enter")
    app = pilot.app
    await pilot.pause()
    await app.workers.wait_for_complete()
    await pilot.pause()


def demo_app(folder: Path, *, show_tour: bool = True) -> OnboardApp:
    return make_app(
        folder,
        clock=frozen_clock(),
        new=NewSession(name="demo", provider="sandbox", sandbox_port=SANDBOX_PORT),
        show_tour=show_tour,
    )


@dataclass(frozen=True)
class Scene:
    """A named picture of the wizard."""

    name: str
    drive: Callable[[Pilot[int]], Awaitable[None]]
    show_tour: bool = False


async def _tour(pilot: Pilot[int]) -> None:
    await wait_open(pilot)


async def _setup_form(pilot: Pilot[int]) -> None:
    await wait_open(pilot)


async def _setup_errors(pilot: Pilot[int]) -> None:
    await wait_open(pilot)
    await type_into(pilot, "admin_email", "admin@renovations")
    await type_into(pilot, "password", "short")
    await submit(pilot)


async def _setup_filled(pilot: Pilot[int]) -> None:
    await wait_open(pilot)
    await fill_setup(pilot)
    pilot.app.screen.query_one("#submit").focus()
    await pilot.pause()


async def _registered(pilot: Pilot[int]) -> None:
    await wait_open(pilot)
    await fill_setup(pilot)
    await submit(pilot)


async def _registered_done(pilot: Pilot[int]) -> None:
    await _registered(pilot)
    await pilot.press("enter")
    await pilot.pause()


async def _step2_placeholder(pilot: Pilot[int]) -> None:
    await _registered_done(pilot)
    await pilot.press("enter")
    await wait_open(pilot)


SCENES: tuple[Scene, ...] = (
    Scene("tour", _tour, show_tour=True),
    Scene("setup-form", _setup_form),
    Scene("setup-errors", _setup_errors),
    Scene("setup-filled", _setup_filled),
    Scene("registered-dialog", _registered),
    Scene("setup-registered", _registered_done),
    Scene("step2-first-look", _step2_placeholder),
)
SIZES = ((80, 24), (120, 40))
