"""No session at the given path: ask for a name and a provider, then create it."""

from __future__ import annotations

from pathlib import Path

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, Footer, Header, Input, Select, Static

from onboard_tui.providers import Profile
from onboard_tui.service import NewSession
from onboard_tui.ui.widgets.field import Field


class NewSessionScreen(Screen[NewSession]):
    """Dismissed with what the new session needs."""

    CSS_PATH = "new_session.tcss"
    BINDINGS = [Binding("ctrl+q", "app.quit", "Quit")]

    def __init__(self, path: Path, profiles: list[Profile], problems: list[str]) -> None:
        super().__init__()
        self.path = path
        self.profiles = profiles
        self.problems = problems

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="new-session"):
            yield Static("Start a new onboarding session", id="new-title")
            yield Static(f"No session exists at {self.path}.", markup=False)
            yield Static(
                "Everything you enter is saved in this folder as you go (never passwords).",
                classes="muted",
            )
            yield Field("Session name", Input(value=self.path.stem or "onboarding", id="name"))
            yield Field(
                "Cloud provider",
                Select(
                    [(f"{p.name} ({p.id})", p.id) for p in self.profiles],
                    id="provider",
                    allow_blank=False,
                ),
                help_text="The sandbox runs the whole roadmap on this machine.",
            )
            for problem in self.problems:
                yield Static(f"Profile skipped: {problem}", classes="profile-problem", markup=False)
            yield Button("Create session", id="create", variant="primary")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#name", Input).focus()

    def on_input_submitted(self) -> None:
        self.focus_next()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        name = self.query_one("#name", Input).value.strip()
        field = self.query_one("#field-name", Field)
        if not name:
            field.set_error("Give the session a name, such as your company's.")
            self.query_one("#name", Input).focus()
            return
        field.set_error(None)
        provider = self.query_one("#provider", Select).value
        self.dismiss(NewSession(name=name, provider=str(provider)))
