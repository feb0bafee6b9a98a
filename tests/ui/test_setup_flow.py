"""Step 1 end to end in the real wizard: errors, submit to the sandbox over HTTP, resume."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Button, Static

from onboard_tui.ui.app import make_app
from onboard_tui.ui.dialogs.registered import RegisteredDialog
from onboard_tui.ui.dialogs.tour import TourDialog
from onboard_tui.ui.widgets.field import Field
from tests.ui.scenes import PASSWORD, demo_app, fill_setup, frozen_clock, submit, wait_open

SIZE = (80, 24)


def error_of(app: object, name: str) -> str:
    field = app.screen.query_one(f"#field-{name}", Field)  # type: ignore[attr-defined]
    return (
        str(field.query_one(".field-error", Static).content) if field.has_class("-invalid") else ""
    )


async def test_first_run_shows_the_tour_and_closing_it_is_remembered(tmp_path: Path) -> None:
    app = demo_app(tmp_path / "demo")
    async with app.run_test(size=SIZE) as pilot:
        await wait_open(pilot)
        assert isinstance(app.screen, TourDialog)
        await pilot.press("right", "right", "escape")
        await pilot.pause()
        assert not isinstance(app.screen, TourDialog)
        await pilot.press("f1")
        await pilot.pause()
        assert isinstance(app.screen, TourDialog)
    assert "tour_seen = true" in (tmp_path / "demo" / "session.toml").read_text()


async def test_setup_with_errors_then_correctly_then_resume_at_step_2(tmp_path: Path) -> None:
    folder = tmp_path / "demo"
    app = demo_app(folder, show_tour=False)
    async with app.run_test(size=SIZE) as pilot:
        await wait_open(pilot)
        assert app.screen.name == "setup"
        await submit(pilot)
        assert "Enter the company administrator" in error_of(app, "admin_email")
        assert "Read the Terms of Use" in error_of(app, "terms_accepted")
        assert app.screen.query_one("#submit", Button).disabled is False

        await fill_setup(pilot, confirm=PASSWORD + "x", accept=False)
        await submit(pilot)
        assert "do not match" in error_of(app, "confirm")
        assert "Terms of Use" in error_of(app, "terms_accepted")
        assert app.service is not None and app.service.session.organisation is None

        confirm = app.screen.query_one("#confirm")
        confirm.focus()
        await pilot.press("end", "backspace")
        app.screen.query_one("#terms_accepted").focus()
        await pilot.press("space")
        await submit(pilot)
        assert isinstance(app.screen, RegisteredDialog)
        assert "admin@renovations.com" in str(app.screen.query_one("#logon-name", Static).content)
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen.name == "setup"
        summary = str(app.screen.query_one("#done-summary", Static).content)
        assert "admin@renovations.com" in summary and "America/New_York" in summary

    for file in folder.iterdir():
        if file.is_file():
            assert PASSWORD.encode() not in file.read_bytes(), file

    again = make_app(folder, clock=frozen_clock())
    async with again.run_test(size=SIZE) as pilot:
        await wait_open(pilot)
        assert again.screen.name == "verify"
        assert again.screen.query_one("#domains").has_focus  # Step 2 opens on its table
        await pilot.press("escape", "up", "enter")
        await wait_open(pilot)
        assert again.screen.name == "setup"
        assert again.screen.query_one("#continue", Button).display


async def test_sandbox_errors_leave_the_session_unchanged(tmp_path: Path) -> None:
    folder = tmp_path / "demo"
    app = demo_app(folder, show_tour=False)
    async with app.run_test(size=SIZE) as pilot:
        await wait_open(pilot)
        assert app.service is not None and app.service.sandbox is not None
        before = (folder / "session.toml").read_text()
        app.service.sandbox.inject_fault("/v1/organisations", 500, count=10)
        await fill_setup(pilot)
        await submit(pilot)
        status = str(app.screen.query_one("#form-status", Static).content)
        assert "internal error" in status.lower() or "500" in status
        assert app.service.session.organisation is None
        assert app.screen.query_one("#submit", Button).disabled is False
        after = (folder / "session.toml").read_text()
        assert "attention" in after and before.split("[steps")[0] in after


async def test_damaged_session_offers_the_backup(tmp_path: Path) -> None:
    folder = tmp_path / "demo"
    app = demo_app(folder, show_tour=False)
    async with app.run_test(size=SIZE) as pilot:
        await wait_open(pilot)
        await pilot.press("f1", "escape")
        await pilot.pause()
    session = folder / "session.toml"
    session.write_text(session.read_text()[:40])
    damaged = session.read_text()
    again = make_app(folder, clock=frozen_clock(), show_tour=False)
    async with again.run_test(size=SIZE) as pilot:
        await wait_open(pilot)
        message = str(again.screen.query_one("#problem-message", Static).content)
        assert str(session) in message and "line" in message
        await pilot.press("enter")
        await wait_open(pilot)
        assert again.screen.name == "setup"
    kept = [p for p in folder.iterdir() if p.name.startswith("session.toml.damaged-")]
    assert len(kept) == 1 and kept[0].read_text() == damaged


async def test_a_read_only_folder_loses_nothing_and_submit_again_takes_over(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Registered in the cloud but not saved: the message says why; the next Submit adopts it."""
    folder = tmp_path / "demo"
    app = demo_app(folder, show_tour=False)
    async with app.run_test(size=SIZE) as pilot:
        await wait_open(pilot)
        before = (folder / "session.toml").read_text()

        def read_only(*_: object, **__: object) -> None:
            raise OSError(30, "Read-only file system")

        monkeypatch.setattr("onboard_tui.session.store.write_atomic", read_only)
        await fill_setup(pilot)
        await submit(pilot)
        status = str(app.screen.query_one("#form-status", Static).content)
        assert "Read-only file system" in status and "session.toml" in status
        assert (folder / "session.toml").read_text() == before
        assert app.service is not None and app.service.session.organisation is None

        monkeypatch.undo()
        await submit(pilot)  # the form kept everything, passwords included
        assert isinstance(app.screen, RegisteredDialog), str(
            app.screen.query_one("#form-status", Static).content
        )
    assert "org_id" in (folder / "session.toml").read_text()
