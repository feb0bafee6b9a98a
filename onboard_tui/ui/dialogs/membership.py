"""Before a membership change is saved: who joins the group (and from where), who leaves."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from onboard_tui.directory import MembershipPreview
from onboard_tui.ui.widgets.literal import clean

SHOWN = 200


def preview_text(preview: MembershipPreview) -> Text:
    """The preview as plain lines (names literal), shared with the filter dialog."""
    text = Text()
    text.append(f"{len(preview.joining)} join", style="bold green")
    moved = preview.moved_from
    if moved:
        text.append(" (" + ", ".join(f"{n} from {clean(g)}" for g, n in moved.items()) + ")")
    text.append(", ")
    text.append(f"{len(preview.leaving)} leave", style="bold red")
    text.append(f", {preview.staying} stay")
    if preview.unknown:
        text.append(f", {len(preview.unknown)} not found", style="yellow")
    text.append(".\n")
    for mover in preview.joining[:SHOWN]:
        origin = f"  (leaves {clean(mover.from_group)})" if mover.from_group else ""
        text.append("+ ", style="green")
        text.append(clean(mover.email) + origin + "\n")
    for email in preview.leaving[:SHOWN]:
        text.append("- ", style="red")
        text.append(clean(email) + "\n")
    for email in preview.unknown[:SHOWN]:
        text.append("? ", style="yellow")
        text.append(clean(email) + " (not in this group or not a known user)\n")
    hidden = max(0, len(preview.joining) - SHOWN) + max(0, len(preview.leaving) - SHOWN)
    if hidden:
        text.append(f"… and {hidden} more.\n", style="dim")
    return text


def has_change(preview: MembershipPreview) -> bool:
    return bool(preview.joining or preview.leaving)


class MembershipDialog(ModalScreen[bool]):
    """Shows a `MembershipPreview`; Save returns True and the caller applies exactly it."""

    CSS_PATH = "prompts.tcss"
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, preview: MembershipPreview, action: str) -> None:
        super().__init__()
        self.preview = preview
        self.action = action

    def compose(self) -> ComposeResult:
        p = self.preview
        with Vertical(classes="dialog-box"):
            yield Static(
                f"{self.action}: Transfer Group '{clean(p.group)}'",
                classes="dialog-title",
                markup=False,
            )
            with VerticalScroll(id="membership-list"):
                yield Static(preview_text(p), id="membership-preview")
            with Horizontal(classes="dialog-buttons"):
                change = has_change(p)
                label = (
                    f"Save: {len(p.joining)} join, {len(p.leaving)} leave"
                    if change
                    else "Nothing to change"
                )
                yield Button(label, id="membership-save", variant="primary", compact=True)
                yield Button("Cancel", id="membership-cancel", compact=True)

    def on_mount(self) -> None:
        save = self.query_one("#membership-save", Button)
        save.disabled = not has_change(self.preview)
        (self.query_one("#membership-cancel") if save.disabled else save).focus()

    @on(Button.Pressed, "#membership-save")
    def _save(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(True)

    @on(Button.Pressed, "#membership-cancel")
    def action_cancel(self) -> None:
        self.dismiss(False)
