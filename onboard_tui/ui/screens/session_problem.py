"""A session that cannot be opened: say why, and offer the backup when there is one."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, Footer, Header, Static

from onboard_tui.errors import OnboardError
from onboard_tui.session.errors import SessionFileError


class SessionProblemScreen(Screen[bool]):
    """Dismissed with True when the admin chooses to open the backup."""

    CSS_PATH = "session_problem.tcss"
    BINDINGS = [Binding("q", "app.quit", "Quit")]

    def __init__(self, error: OnboardError) -> None:
        super().__init__()
        self.error = error

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="problem"):
            yield Static("This session cannot be opened", id="problem-title")
            yield Static(self.error.message, id="problem-message", markup=False)
            if self.error.hint:
                yield Static(self.error.hint, id="problem-hint", markup=False)
            with Horizontal(id="problem-buttons"):
                if isinstance(self.error, SessionFileError) and self.error.backup:
                    yield Button("Open the backup", id="restore", variant="warning")
                yield Button("Quit", id="quit")
        yield Footer()

    def on_mount(self) -> None:
        self.query(Button).first().focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "restore":
            self.dismiss(True)
        else:
            self.app.exit(return_code=1)
