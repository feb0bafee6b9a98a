"""What every "type a password once" dialog shares: the masked field, Enter and Escape."""

from __future__ import annotations

from textual.binding import Binding
from textual.screen import ModalScreen
from textual.widgets import Input

from onboard_tui.session.secrets import Secret


class SecretPrompt(ModalScreen[Secret | None]):
    """Subclasses compose the text and one `Input(password=True)`; Enter gives its value as a
    `Secret` (and clears the field, so it lingers nowhere), empty or Escape gives None."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        value = event.value
        event.input.value = ""
        self.dismiss(Secret(value) if value else None)

    def action_cancel(self) -> None:
        self.dismiss(None)
