"""Who the last refresh of the Domino replica added, changed or removed: the list behind
the counts the Users tab shows."""

from __future__ import annotations

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, DataTable, Static

from onboard_tui.directory import DirectoryService
from onboard_tui.ui.messages import DominoChangesLoaded
from onboard_tui.ui.widgets.literal import DASH, literal

#: The most rows listed; a first refresh of a big directory adds everyone.
SHOWN = 1000
STYLES = {"added": "green", "changed": "yellow", "removed": "red"}


class DominoChangesDialog(ModalScreen[None]):
    """A table of the last refresh's changes, removed first, read in a thread."""

    CSS_PATH = ["prompts.tcss", "directory_settings.tcss"]
    BINDINGS = [Binding("escape", "close", "Close")]

    def __init__(self, directory: DirectoryService, title: str) -> None:
        super().__init__()
        self.directory = directory
        self.title_text = title

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box", id="domino-changes-box"):
            yield Static("Domino replica: last refresh", classes="dialog-title")
            yield Static(self.title_text, id="domino-changes-summary", markup=False)
            yield DataTable(id="domino-changes-table", cursor_type="row", zebra_stripes=True)
            with Horizontal(classes="dialog-buttons"):
                yield Button("Close", id="domino-changes-close", compact=True)

    def on_mount(self) -> None:
        table = self.query_one("#domino-changes-table", DataTable)
        table.add_column("Change", width=8)
        table.add_column("Email", width=30)
        table.add_column("Name", width=20)
        table.add_column("DN", width=40)
        table.focus()
        self.load()

    @work(thread=True, exclusive=True, group="domino-changes", exit_on_error=False)
    def load(self) -> None:
        self.post_message(DominoChangesLoaded(self.directory.domino_changes(SHOWN)))

    def on_domino_changes_loaded(self, message: DominoChangesLoaded) -> None:
        message.stop()
        table = self.query_one("#domino-changes-table", DataTable)
        table.clear()
        for c in message.changes:
            table.add_row(
                Text(c.change, style=STYLES.get(c.change, "")),
                literal(c.mail or DASH),
                literal(c.name or DASH),
                literal(c.dn),
            )
        if not message.changes:
            self.query_one("#domino-changes-summary", Static).update(
                "Nothing changed in the last refresh."
            )
        elif len(message.changes) >= SHOWN:
            self.query_one("#domino-changes-summary", Static).update(
                f"{self.title_text} The first {SHOWN} are listed."
            )

    @on(Button.Pressed, "#domino-changes-close")
    def action_close(self) -> None:
        self.dismiss(None)
