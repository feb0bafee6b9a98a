"""Import users from the directory: read it (with progress), review, then import or cancel.

The same review as the CSV import: rejected entries with their position and field, and the
difference with the users already here (new, changed, unchanged, missing). Nothing is
stored before "Import"; Cancel (or Escape) discards what was read and changes nothing.
For the Domino Directory the local replica is refreshed first and imported from.
"""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, DataTable, ProgressBar, Static
from textual.worker import Worker, WorkerState

from onboard_tui.directory import DirectoryService, ImportPlan
from onboard_tui.directory.ldapform import KINDS
from onboard_tui.session.secrets import Secret
from onboard_tui.ui.dialogs.import_review import (
    difference_text,
    import_label,
    problem_columns,
    show_problems,
)
from onboard_tui.ui.messages import DirectoryPlanned, DirectoryProgress
from onboard_tui.ui.widgets.literal import literal


class DirectoryImportDialog(ModalScreen[ImportPlan | None]):
    """Returns the reviewed plan to store (rejected entries skipped), or None."""

    CSS_PATH = ["prompts.tcss", "csv_import.tcss", "directory_settings.tcss"]
    BINDINGS = [Binding("escape", "close", "Cancel import")]

    def __init__(
        self, directory: DirectoryService, kind: str, passwords: dict[str, Secret]
    ) -> None:
        super().__init__()
        self.directory = directory
        self.kind = kind
        self.passwords = passwords  # the caller's typed passwords, in memory only
        self.password = passwords.get(kind)
        self.plan: ImportPlan | None = None
        self._closed = False

    def compose(self) -> ComposeResult:
        with Vertical(id="csv-box", classes="dir-import-box"):
            yield Static(f"Import users from the {KINDS[self.kind]}", classes="dialog-title")
            yield Static("", id="dir-import-status")
            yield ProgressBar(total=None, show_eta=False, id="dir-progress")
            with VerticalScroll(id="csv-review"):
                yield Static("", id="dir-notes", markup=False)
                yield Static("", id="dir-problems-title", classes="csv-section", markup=False)
                yield DataTable(id="dir-problems", cursor_type="row")
                yield Static("Difference with the users already here", classes="csv-section")
                yield Static("", id="dir-difference")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Import", id="dir-import-ok", variant="primary", compact=True)
                yield Button("Cancel", id="dir-import-cancel", compact=True)

    def on_mount(self) -> None:
        self.query_one("#csv-review").display = False
        self.query_one("#dir-import-ok", Button).display = False
        problem_columns(self.query_one("#dir-problems", DataTable))
        what = "Refreshing the Domino replica" if self.kind == "domino" else "Reading"
        self._status(f"{what} (paged); nothing is stored before Import…")
        self.query_one("#dir-import-cancel", Button).focus()
        self.read_directory()

    @work(thread=True, exclusive=True, group="directory-plan", exit_on_error=False)
    def read_directory(self) -> None:
        def progress(entries: int) -> None:
            self.post_message(DirectoryProgress(entries))

        plan = self.directory.plan_directory(self.kind, self.password, progress)
        self.post_message(DirectoryPlanned(plan))

    def on_directory_progress(self, message: DirectoryProgress) -> None:
        message.stop()
        self._status(f"Read {message.entries:,} entries so far…")

    def on_directory_planned(self, message: DirectoryPlanned) -> None:
        message.stop()
        if self._closed:  # cancelled while reading: forget what was read
            self._discard(message.plan)
            return
        self.plan = plan = message.plan
        self.query_one("#dir-progress").display = False
        self._status(
            f"{plan.rows:,} entries: {plan.accepted:,} accepted, {len(plan.problems)} rejected. "
            "Review, then Import or Cancel."
        )
        self.query_one("#csv-review").display = True
        self.query_one("#dir-notes", Static).update("\n".join(plan.notes))
        self.query_one("#dir-notes").display = bool(plan.notes)
        show_problems(
            plan,
            self.query_one("#dir-problems-title", Static),
            self.query_one("#dir-problems", DataTable),
            "entry",
            "entries",
        )
        self.query_one("#dir-difference", Static).update(
            difference_text(plan, missing_from="the directory")
        )
        button = self.query_one("#dir-import-ok", Button)
        button.label = import_label(plan, "entries")
        button.display = True
        button.disabled = plan.accepted == 0
        if plan.accepted:
            button.focus()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state is WorkerState.ERROR and event.worker.group == "directory-plan":
            self.query_one("#dir-progress").display = False
            error = event.worker.error
            if "password was refused" in str(error):
                self.passwords.pop(self.kind, None)  # a typed password is asked again
            self._status(str(error) if error else "The directory could not be read.")

    @on(Button.Pressed, "#dir-import-ok")
    def _import(self, event: Button.Pressed) -> None:
        event.stop()
        plan, self.plan = self.plan, None
        self._closed = True
        self.dismiss(plan)

    @on(Button.Pressed, "#dir-import-cancel")
    def _cancel(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_close()

    def action_close(self) -> None:
        """Forget what was read; the dismissal runs after this handler returns."""
        self._closed = True
        if self.plan is not None:
            self._discard(self.plan)
            self.plan = None
        self.call_later(self.dismiss, None)

    def _status(self, text: str) -> None:
        self.query_one("#dir-import-status", Static).update(literal(text))

    def _discard(self, plan: ImportPlan) -> None:
        directory = self.directory
        self.app.run_worker(
            lambda: directory.discard_import(plan),
            thread=True,
            group="directory-discard",
            exit_on_error=False,
        )
