"""The getting-started tour: the roadmap in the seed's words, shown on first run and on F1."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from onboard_tui.roadmap import STEPS

INTRO = (
    "Welcome to onboard-tui",
    "This wizard takes you through onboarding your organisation to cloud mail, one step "
    "at a time. Your progress is saved as you go: if your SSH session drops, run the same "
    "command again and you continue where you stopped.\n\n"
    "Communication is key. Users need to know when their mail will move to the cloud, "
    "because after it is migrated they will not have access to new mail on their old mail "
    "system, and they must log in to their new account to activate it.",
)
KEYS = (
    "Getting around",
    "Tab and Shift+Tab move between fields; Enter chooses.\n"
    "Esc goes to the roadmap on the left; pick a step with the arrows and Enter.\n"
    "Ctrl+P opens the command palette (jump to a step).\n"
    "F1 shows this tour again. Ctrl+Q quits; your session is kept.",
)


def pages() -> list[tuple[str, str]]:
    """Intro, one page per step, then the keys."""
    steps = [
        (f"Step {s.label}" if s.number else s.title, f"Where: {s.where}\n\n{s.summary}")
        for s in STEPS
    ]
    return [INTRO, *steps, KEYS]


class TourDialog(ModalScreen[None]):
    """Paged, dismissable, reachable again with F1 or ?."""

    CSS_PATH = "tour.tcss"
    BINDINGS = [
        Binding("escape", "dismiss", "Close tour"),
        Binding("right", "page(1)", "Next", show=False),
        Binding("left", "page(-1)", "Back", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.pages = pages()
        self.index = 0

    def compose(self) -> ComposeResult:
        with Vertical(id="tour-box"):
            yield Static(id="tour-title", markup=False)
            yield Static(id="tour-text", markup=False)
            yield Static(id="tour-page")
            with Horizontal(id="tour-buttons"):
                yield Button("Back", id="back")
                yield Button("Next", id="next", variant="primary")
                yield Button("Close", id="close")

    def on_mount(self) -> None:
        self._show()
        self.query_one("#next", Button).focus()

    def _show(self) -> None:
        title, text = self.pages[self.index]
        self.query_one("#tour-title", Static).update(title)
        self.query_one("#tour-text", Static).update(text)
        self.query_one("#tour-page", Static).update(
            f"{self.index + 1} of {len(self.pages)}  (← → to turn pages, Esc to close)"
        )
        self.query_one("#back", Button).disabled = self.index == 0
        last = self.index == len(self.pages) - 1
        self.query_one("#next", Button).label = "Start" if last else "Next"

    def action_page(self, delta: int) -> None:
        self.index = max(0, min(len(self.pages) - 1, self.index + delta))
        self._show()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "back":
            self.action_page(-1)
        elif event.button.id == "next" and self.index < len(self.pages) - 1:
            self.action_page(1)
        else:
            self.dismiss()
