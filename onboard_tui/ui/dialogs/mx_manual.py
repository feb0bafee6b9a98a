"""Manual mode: the records to give the DNS host, to copy (OSC 52) or save, then a watch."""

from __future__ import annotations

from pathlib import Path

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Static

from onboard_tui.ui.screens.mx_view import APPLY_WARNING, host, literal


class ManualMxDialog(ModalScreen[str | None]):
    """Shows the records; returns "watch" to start the live watch, "save:PATH" to save."""

    CSS_PATH = "mx_manual.tcss"
    BINDINGS = [
        Binding("escape", "close", "Close"),
        Binding("ctrl+y", "copy", "Copy records"),
    ]

    def __init__(self, domain: str, records: str, default_path: Path) -> None:
        super().__init__()
        self.domain = domain
        self.records = records
        self.default_path = default_path

    def compose(self) -> ComposeResult:
        with Vertical(id="manual-box"):
            yield Static(
                f"Change the MX records of {host(self.domain)} at your DNS host",
                id="manual-title",
                markup=False,
            )
            yield Static(
                f"Delete every old MX record, then add the new one. {APPLY_WARNING}",
                id="manual-warning",
            )
            with VerticalScroll(id="manual-scroll"):
                yield Static(literal_block(self.records), id="manual-records", markup=False)
            yield Static("Save to (a name alone goes in the session folder):", markup=False)
            with Horizontal(id="manual-save"):
                yield Input(str(self.default_path), id="save-path", compact=True)
                yield Button("Save", id="save", compact=True)
            with Horizontal(id="manual-buttons"):
                yield Button("Copy (Ctrl+Y)", id="copy", compact=True)
                yield Button("Watch until done", id="watch", variant="primary", compact=True)
                yield Button("Close", id="close", compact=True)

    def on_mount(self) -> None:
        self.query_one("#copy", Button).focus()

    def action_copy(self) -> None:
        self.app.copy_to_clipboard(self.records)
        self.notify(
            "The records were sent to your terminal's clipboard (OSC 52). If nothing was "
            "copied, your terminal does not allow it: save them to a file instead.",
            markup=False,
        )

    @on(Button.Pressed, "#copy")
    def _copy(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_copy()

    @on(Button.Pressed, "#save")
    @on(Input.Submitted, "#save-path")
    def _save(self, event: Button.Pressed | Input.Submitted) -> None:
        event.stop()
        path = self.query_one("#save-path", Input).value.strip()
        if path:
            self.dismiss(f"save:{path}")

    @on(Button.Pressed, "#watch")
    def _watch(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss("watch")

    @on(Button.Pressed, "#close")
    def _close(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(None)

    def action_close(self) -> None:
        self.dismiss(None)


def literal_block(text: str) -> str:
    """Each line of untrusted text with its control characters made visible."""
    return "\n".join(literal(line) for line in text.split("\n"))
