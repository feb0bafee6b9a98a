"""The Staging password dialog on the SecretPrompt base: masked, buttons, empty refused."""

from __future__ import annotations

from textual.app import App
from textual.widgets import Input

from onboard_tui.session.secrets import Secret
from onboard_tui.ui.dialogs.migrate_dialogs import PasswordDialog
from onboard_tui.ui.dialogs.secret_prompt import SecretPrompt


class Host(App[None]):
    """Pushes one PasswordDialog and records what it gave back."""

    def __init__(self) -> None:
        super().__init__()
        self.answers: list[Secret | None] = []

    def on_mount(self) -> None:
        self.push_screen(PasswordDialog("admin@renovations.com"), self.answers.append)


async def test_log_on_button_gives_a_secret_and_clears_the_field() -> None:
    app = Host()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, SecretPrompt)
        field = dialog.query_one("#password-input", Input)
        assert field.password and app.focused is field
        await pilot.press(*"s3cret!")
        await pilot.click("#password-ok")
        await pilot.pause()
        assert app.answers == [Secret("s3cret!")]
        assert field.value == ""
        assert "s3cret" not in repr(app.answers)


async def test_empty_password_is_refused_with_a_warning() -> None:
    app = Host()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, PasswordDialog)  # still open
        assert app.answers == []
        assert any("Type the password" in n.message for n in app._notifications)
        await pilot.press(*"pw", "enter")
        await pilot.pause()
        assert app.answers == [Secret("pw")]


async def test_escape_and_cancel_give_none() -> None:
    app = Host()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("x", "escape")
        await pilot.pause()
        assert app.answers == [None]
    app = Host()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.click("#password-cancel")
        await pilot.pause()
        assert app.answers == [None]
