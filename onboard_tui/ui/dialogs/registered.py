"""After Submit: the seed's "be sure to record the logon name and the new password"."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static


class RegisteredDialog(ModalScreen[None]):
    """Tells the administrator to record the logon name before going on."""

    CSS_PATH = "registered.tcss"
    BINDINGS = [Binding("escape", "dismiss", "Close")]

    def __init__(self, logon_name: str, company: str) -> None:
        super().__init__()
        self.logon_name = logon_name
        self.company = company

    def compose(self) -> ComposeResult:
        with Vertical(id="registered-box"):
            yield Static("Registration complete", id="registered-title")
            who = f" for {self.company}" if self.company else ""
            yield Static(f"Your organisation is registered{who}.", markup=False)
            yield Static("Your logon name is:")
            yield Static(self.logon_name, id="logon-name", markup=False)
            yield Static(
                "Record the logon name and your new password now: you need both to log on "
                "to the service. onboard-tui never stores the password.",
                id="record-it",
            )
            yield Button("I have recorded them", id="ok", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#ok", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss()
