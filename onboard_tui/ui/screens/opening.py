"""Shown for the moment it takes to open a session and start the sandbox."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Footer, Header, LoadingIndicator, Static


class OpeningScreen(Screen[None]):
    """A spinner with the path being opened."""

    DEFAULT_CSS = """
    OpeningScreen { align: center middle; }
    OpeningScreen > Static { width: auto; margin: 1; }
    OpeningScreen > LoadingIndicator { height: 3; }
    """

    def __init__(self, what: str) -> None:
        super().__init__()
        self.what = what

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(self.what, markup=False)
        yield LoadingIndicator()
        yield Footer()
