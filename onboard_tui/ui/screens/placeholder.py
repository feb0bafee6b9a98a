"""Steps not built yet: say what they will do, and offer no button that does nothing."""

from __future__ import annotations

from collections.abc import Iterable

from textual.containers import VerticalScroll
from textual.widget import Widget
from textual.widgets import Static

from onboard_tui.roadmap import StepId
from onboard_tui.ui.screens.step_screen import StepScreen

PLANNED: dict[StepId, tuple[str, ...]] = {
    StepId.VERIFY: (
        "List your mail domains and their subdomains, each with its unique key.",
        "Show the exact CNAME record to create, in the forms DNS hosts use.",
        "Check every authoritative name server and explain what is wrong.",
        "Keep the 48-hour clock: restart verification only after 48 hours.",
    ),
    StepId.MIGRATE: (
        "Import users from CSV, Active Directory or the Domino Directory.",
        "Build Transfer Groups and Transfer Group Settings, with a quota check.",
        "Stage, schedule, pause and resume migrations from Exchange, IMAP or archives.",
        "Follow progress on a live dashboard; export the list of completed users.",
    ),
    StepId.MX: (
        "Show the MX records each authoritative server answers.",
        "Check that every domain, user and final pass is ready before the switch.",
        "Give the records to create and to delete, or apply them with RFC 2136.",
    ),
    StepId.COMMUNICATE: (
        "Edit the announcement, activation and cutover messages.",
        "Preview them for any user, send them over SMTP or export .eml files.",
    ),
}


class PlaceholderScreen(StepScreen):
    """A step that this version does not offer yet."""

    CSS_PATH = "placeholder.tcss"

    def compose_body(self) -> Iterable[Widget]:
        with VerticalScroll(id="placeholder"):
            yield Static(f"Step {self.step.label}", classes="step-title", markup=False)
            yield Static(f"Where: {self.step.where}", classes="step-where", markup=False)
            yield Static(self.step.summary, classes="step-summary", markup=False)
            yield Static(
                "Not yet available in this version of onboard-tui.",
                id="not-available",
            )
            yield Static("What this step will do:", classes="planned-title")
            for line in PLANNED.get(self.step.id, ()):
                yield Static(f"• {line}", classes="planned", markup=False)
