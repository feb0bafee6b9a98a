"""Step 2 of the demo with the keyboard only: key, record by RFC 2136, Begin, verified.

The demo's own DNS server answers for renovations.com and the sandbox verifies through it;
the clock is frozen and moved by hand for the 48-hour rule.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from textual.pilot import Pilot
from textual.widgets import DataTable, Static

from onboard_tui.clock import FrozenClock
from onboard_tui.roadmap import StepId, StepState
from onboard_tui.ui.app import OnboardApp
from onboard_tui.ui.dialogs.verify_dialogs import LogonDialog, PromptDialog
from tests.ui.scenes import PASSWORD
from tests.ui.scenes_verify import registered_at_step2, settle, verify_app

SIZE = (80, 24)


def detail(app: OnboardApp) -> str:
    return str(app.screen.query_one("#detail-text", Static).content)


def status_line(app: OnboardApp) -> str:
    return str(app.screen.query_one("#verify-status", Static).content)


def cell(app: OnboardApp, column: str) -> str:
    table = app.screen.query_one("#domains", DataTable)
    return str(table.get_cell("renovations.com", column))


async def press(pilot: Pilot[int], *keys: str) -> None:
    await pilot.press(*keys)
    await settle(pilot)


async def test_walk_step_2_of_the_demo_to_verified(tmp_path: Path) -> None:
    folder = tmp_path / "demo"
    app = verify_app(folder)
    async with app.run_test(size=SIZE) as pilot:
        await registered_at_step2(pilot)
        assert app.screen.name == "verify"
        assert cell(app, "status") == "no key yet"
        assert cell(app, "subdomains") == "west.renovations.com"

        await press(pilot, "o")
        key = cell(app, "key")
        assert key.startswith("domino-") and cell(app, "status") == "key issued"
        text = detail(app)
        assert "alias / prefix" in text and key in text
        assert f"{key}.renovations.com. 3600 IN CNAME collabserv.com." in text
        assert "update add" in text

        await press(pilot, "y")
        assert "Copied" in status_line(app)

        await press(pilot, "c")
        assert "read back: verified" in status_line(app)

        await press(pilot, "b")
        assert cell(app, "status") == "verified"
        assert cell(app, "servers") == "1/1"
        assert "you may now remove the cname record" in detail(app).lower()
        assert app.service is not None
        record = app.service.session.domain("renovations.com")
        assert record is not None and record.verified
        assert app.service.session.steps[StepId.VERIFY].state is StepState.DONE

        await press(pilot, "x")
        assert "Removed the record" in status_line(app)
        assert app.service.demo_dns is not None
        assert app.service.demo_dns.zone is not None
        assert app.service.demo_dns.zone.records(f"{key}.renovations.com", "CNAME") == []

    toml = (folder / "session.toml").read_text()
    secret = (folder / "demo-dns" / "tsig.key").read_text().strip()
    assert secret not in toml and 'update_secret = "file:' in toml
    assert oct((folder / "demo-dns" / "tsig.key").stat().st_mode & 0o777) == "0o600"


async def test_restart_is_refused_before_48_hours_and_allowed_after(tmp_path: Path) -> None:
    clock = FrozenClock()
    app = verify_app(tmp_path / "demo", clock=clock)
    async with app.run_test(size=SIZE) as pilot:
        await registered_at_step2(pilot)
        await press(pilot, "o")
        old_key = cell(app, "key")
        await press(pilot, "b")
        assert cell(app, "status") == "missing"
        assert "do not restart" in detail(app)

        clock.advance(timedelta(hours=47, minutes=59))
        await settle(pilot)
        await pilot.pause(1.1)  # the one-second timer refreshes the clock
        assert app.screen.check_action("restart", ()) is None  # shown disabled
        await press(pilot, "r")
        assert cell(app, "key") == old_key
        assert cell(app, "since") == "47 h 59 min"
        app.screen.show_detail()  # type: ignore[attr-defined]
        assert "fix the CNAME record and wait; do not restart" in detail(app)
        assert "Restart becomes available in 1 min" in detail(app)

        clock.advance(timedelta(minutes=1, seconds=1))
        app.screen.show_detail()  # type: ignore[attr-defined]
        assert app.screen.check_action("restart", ()) is True
        await press(pilot, "r")
        # The logon of Step 1 has expired meanwhile (8 h): the cloud asks for the password.
        assert isinstance(app.screen, LogonDialog)
        await pilot.press(*PASSWORD, "enter")
        await settle(pilot)
        new_key = cell(app, "key")
        assert new_key != old_key and new_key.startswith("domino-")
        text = detail(app)
        assert f"- {old_key}.renovations.com." in text
        assert f"+ {new_key}.renovations.com." in text
        assert cell(app, "since") == "0 s"


async def test_add_domain_and_subdomain_with_validation(tmp_path: Path) -> None:
    app = verify_app(tmp_path / "demo")
    async with app.run_test(size=SIZE) as pilot:
        await registered_at_step2(pilot)
        await press(pilot, "a")
        assert isinstance(app.screen, PromptDialog)
        await pilot.press(*"not a domain", "enter")
        await settle(pilot)
        assert "not" in status_line(app).lower()
        await press(pilot, "a")
        await pilot.press(*"east.renovations.com", "enter")
        await settle(pilot)
        assert cell(app, "subdomains") == "east.renovations.com, west.renovations.com"
        await press(pilot, "a")
        await pilot.press(*"[bold]x", "enter")
        await settle(pilot)
        assert "[bold]x" in status_line(app)
