"""Communicate in the real wizard, keyboard only: SMTP settings typed in the form, a
preview, a send to a local SMTP server (aiosmtpd on 127.0.0.1) with the status table
updated, no second copy on a resend, and the .eml dry run."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import DataTable, Static

from onboard_tui.comms import SENT
from onboard_tui.ui.dialogs.comms_dialogs import SmtpSettingsDialog
from tests.integration.servers.smtp import SmtpServer, start_smtp
from tests.ui.scenes import choose
from tests.ui.scenes_communicate import USERS, app_for, open_communicate, service_of, settle

SIZE = (80, 24)


@pytest.fixture(scope="module")
def smtp_server() -> Iterator[SmtpServer]:
    with start_smtp() as server:
        yield server


def preview_text(pilot: Pilot[int]) -> str:
    return str(pilot.app.screen.query_one("#comms-preview", Static).render())


async def type_field(pilot: Pilot[int], field_id: str, text: str) -> None:
    pilot.app.screen.query_one(f"#{field_id}").focus()
    await pilot.press("ctrl+u", *text)


async def confirm_yes(pilot: Pilot[int]) -> None:
    """The confirmation focuses Cancel; Shift+Tab reaches the button that does it."""
    await pilot.press("shift+tab", "enter")
    await settle(pilot)


async def test_preview_send_status_and_no_duplicates(
    tmp_path: Path, smtp_server: SmtpServer
) -> None:
    smtp_server.clear()
    app = app_for(tmp_path / "demo")
    async with app.run_test(size=SIZE) as pilot:
        await open_communicate(pilot)
        comms = service_of(pilot).comms

        # the SMTP form, typed
        await pilot.press("m")
        await settle(pilot)
        assert isinstance(app.screen, SmtpSettingsDialog)
        await type_field(pilot, "smtp-host", "127.0.0.1")
        await type_field(pilot, "smtp-port", str(smtp_server.port))
        await choose(pilot, "smtp-security", "none")
        await type_field(pilot, "smtp-from", "it@renovations.com")
        await type_field(pilot, "smtp-rate", "600")
        await pilot.press("enter")
        await settle(pilot)
        settings = comms.smtp_settings()
        assert (settings.host, settings.port, settings.security) == (
            "127.0.0.1",
            smtp_server.port,
            "none",
        )

        # preview for one user, found by part of the email
        await pilot.press("p", *"bruno", "enter")
        await settle(pilot)
        text = preview_text(pilot)
        assert "Dear Bruno," in text and "Saturday 28 November 2026" in text

        # send to everyone not sent yet: confirm, then watch it arrive
        await pilot.press("s")
        await settle(pilot)
        await pilot.press("enter")  # "Users who have not received it yet"
        await settle(pilot)
        question = str(app.screen.query_one(".dialog-text", Static).render())
        assert "Send 5 message(s) of 'first-announcement'" in question
        assert f"127.0.0.1:{smtp_server.port}" in question
        await confirm_yes(pilot)
        for _ in range(50):
            await settle(pilot)
            if len(smtp_server.messages) == len(USERS) and app.screen.sending is None:  # type: ignore[attr-defined]
                break
        received = smtp_server.wait_for(len(USERS))
        assert sorted(m.rcpt_tos[0] for m in received) == sorted(u.email for u in USERS)
        table = app.screen.query_one("#comms-status", DataTable)
        assert all(str(table.get_cell(u.email.casefold(), "status")) == SENT for u in USERS)
        eve = next(m for m in received if m.rcpt_tos[0].startswith("eve"))
        assert "Dear [red]Eve," in eve.parsed().get_content()

        # again: nobody is left, nothing is sent
        await pilot.press("s")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert len(smtp_server.messages) == len(USERS)
        assert comms.counts("first-announcement")[SENT] == len(USERS)

        # the dry run writes .eml files and sends nothing
        await pilot.press("down")  # activation-instructions
        await settle(pilot)
        await pilot.press("x", "enter")
        await settle(pilot)
        await confirm_yes(pilot)
        outbox = sorted((tmp_path / "demo" / "outbox").glob("activation-instructions-*/*.eml"))
        assert len(outbox) == len(USERS)
        assert len(smtp_server.messages) == len(USERS)


async def test_a_template_mistake_is_shown_with_its_line_and_not_saved(tmp_path: Path) -> None:
    app = app_for(tmp_path / "demo")
    async with app.run_test(size=SIZE) as pilot:
        await open_communicate(pilot)
        comms = service_of(pilot).comms
        before = comms.template_text("first-announcement")
        await pilot.press("e")
        await settle(pilot)
        await pilot.press("down", "down", "end", *" {first}", "ctrl+s")
        await settle(pilot)
        problem = str(app.screen.query_one("#editor-problem", Static).render())
        assert "line 3" in problem and "{first}" in problem
        await pilot.press("end", "backspace", *"_name}", "ctrl+s")  # " {first_name}" is fine
        await settle(pilot)
        assert "Dear {first_name}, {first_name}" in comms.template_text("first-announcement")
        assert comms.template_text("first-announcement") != before
