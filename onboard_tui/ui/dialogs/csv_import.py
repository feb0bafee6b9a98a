"""Import users from a CSV file: path, then one review page, then import or cancel.

The review shows what the file turned out to be (encoding, delimiter), the column mapping
(a Select per column, guessed from the header), the first rows, every rejected row with its
line and field, and the difference with the users already in the session. Nothing is stored
until "Import"; Cancel discards the checked plan and changes nothing.
"""

from __future__ import annotations

from pathlib import Path

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.timer import Timer
from textual.widgets import Button, DataTable, Input, Label, Select, Static
from textual.worker import Worker, WorkerState

from onboard_tui.directory import ColumnMapping, CsvPreview, DirectoryService, Field, ImportPlan
from onboard_tui.directory.mapping import LABELS
from onboard_tui.ui.dialogs.import_review import (
    difference_text,
    import_label,
    problem_columns,
    show_problems,
)
from onboard_tui.ui.messages import CsvPlanned, CsvPreviewed
from onboard_tui.ui.widgets.literal import literal

FIRST_ROWS = 5


GROUPS_HINT = (
    "Users are matched by email; the column set to 'transfer group' puts each one in that "
    "group (new groups are created). Other columns are ignored. Nothing changes before Import."
)
IMPORT_HINT = (
    "Any delimiter and encoding Excel writes. A column set to 'transfer group' puts users in "
    "Transfer Groups. Nothing is stored before Import."
)


class CsvImportDialog(ModalScreen[ImportPlan | None]):
    """Returns the reviewed plan to store (rejected rows skipped), or None when cancelled.

    With `groups_only`, the file only fills Transfer Groups from one of its columns: every
    column but the email and the group one is ignored, so users' other details stay."""

    CSS_PATH = ["prompts.tcss", "csv_import.tcss"]
    BINDINGS = [Binding("escape", "cancel", "Cancel import")]

    def __init__(
        self, directory: DirectoryService, path: str = "", *, groups_only: bool = False
    ) -> None:
        super().__init__()
        self.directory = directory
        self.initial_path = path
        self.groups_only = groups_only
        self.preview: CsvPreview | None = None
        self.mapping: ColumnMapping | None = None
        self.plan: ImportPlan | None = None
        self._generation = 0
        self._syncing = False
        self._replan: Timer | None = None

    # --- layout --------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        with Vertical(id="csv-box"):
            yield Static(
                "Transfer Groups from a CSV column"
                if self.groups_only
                else "Import users from a CSV file",
                classes="dialog-title",
            )
            with Horizontal(id="csv-path-row"):
                yield Input(
                    self.initial_path,
                    placeholder="/path/to/users.csv",
                    id="csv-path",
                    compact=True,
                )
                yield Button("Preview", id="csv-preview", compact=True)
            yield Static(GROUPS_HINT if self.groups_only else IMPORT_HINT, id="csv-hint")
            with VerticalScroll(id="csv-review"):
                yield Static("", id="csv-format", markup=False)
                yield Static("Column mapping", classes="csv-section")
                yield Vertical(id="csv-mapping")
                yield Static("First rows", classes="csv-section")
                yield DataTable(id="csv-rows", show_cursor=False, zebra_stripes=True)
                yield Static("", id="csv-problems-title", classes="csv-section", markup=False)
                yield DataTable(id="csv-problems", cursor_type="row")
                yield Static("Difference with the users already here", classes="csv-section")
                yield Static("", id="csv-difference")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Import", id="csv-import", variant="primary", compact=True)
                yield Button("Cancel", id="csv-cancel", compact=True)

    def on_mount(self) -> None:
        self.query_one("#csv-review").display = False
        self.query_one("#csv-import", Button).display = False
        problem_columns(self.query_one("#csv-problems", DataTable))
        self.query_one("#csv-path", Input).focus()

    # --- step 1: the file ----------------------------------------------------------------

    @on(Input.Submitted, "#csv-path")
    @on(Button.Pressed, "#csv-preview")
    def _start_preview(self, event: Input.Submitted | Button.Pressed) -> None:
        event.stop()
        text = self.query_one("#csv-path", Input).value.strip()
        if not text:
            self.notify("Type the path of the CSV file first.", severity="warning")
            return
        self._status("Reading the file…")
        self.read_preview(Path(text).expanduser())

    @work(thread=True, exclusive=True, group="csv-preview", exit_on_error=False)
    def read_preview(self, path: Path) -> None:
        self.post_message(CsvPreviewed(self.directory.preview_csv(path, FIRST_ROWS)))

    def on_csv_previewed(self, message: CsvPreviewed) -> None:
        self.preview = message.preview
        fields = list(message.preview.mapping.fields)
        if self.groups_only:
            fields = [f if f in (Field.EMAIL, Field.GROUP) else Field.IGNORE for f in fields]
        self.mapping = ColumnMapping(
            list(message.preview.mapping.headers), fields, message.preview.mapping.size_unit
        )
        self._show_preview(message.preview)
        self._check()

    def _show_preview(self, preview: CsvPreview) -> None:
        self.query_one("#csv-review").display = True
        self.query_one("#csv-format", Static).update(
            f"Detected: {preview.format.description} ({len(preview.headers)} columns)"
        )
        mapping_now = self.mapping or preview.mapping
        mapping = self.query_one("#csv-mapping", Vertical)
        mapping.remove_children()
        options = [(LABELS[f], f.value) for f in Field]
        rows = []
        for index, header in enumerate(preview.headers):
            select: Select[str] = Select(
                options,
                value=mapping_now.fields[index].value,
                allow_blank=False,
                id=f"map-{index}",
                compact=True,
            )
            rows.append(
                Horizontal(
                    Label(literal(header or f"(column {index + 1})"), classes="map-header"),
                    select,
                    classes="map-row",
                )
            )
        mapping.mount_all(rows)
        table = self.query_one("#csv-rows", DataTable)
        table.clear(columns=True)
        table.add_columns(*(literal(h) for h in preview.headers))
        width = len(preview.headers)
        for _line, cells in preview.rows[:FIRST_ROWS]:
            padded = (cells + [""] * width)[:width]
            table.add_row(*(literal(c) for c in padded))

    # --- step 2: check the whole file with the mapping ------------------------------------

    @on(Select.Changed)
    def _mapping_changed(self, event: Select.Changed) -> None:
        event.stop()
        if self._syncing or self.mapping is None or not (event.select.id or "").startswith("map-"):
            return
        column = int((event.select.id or "map-0")[4:])
        value = event.value
        if not isinstance(value, str) or self.mapping.fields[column].value == value:
            return
        self.mapping.set(column, Field(value))
        self._sync_selects()
        if self._replan is not None:
            self._replan.stop()
        self._replan = self.set_timer(0.3, self._check)

    def _sync_selects(self) -> None:
        assert self.mapping is not None
        self._syncing = True
        try:
            for index, wanted in enumerate(self.mapping.fields):
                select = self.query_one(f"#map-{index}", Select)
                if select.value != wanted.value:
                    select.value = wanted.value
        finally:
            self.call_after_refresh(self._end_sync)

    def _end_sync(self) -> None:
        self._syncing = False

    def _check(self) -> None:
        if self.preview is None or self.mapping is None:
            return
        problem = self.mapping.problem()
        if not problem and self.groups_only and Field.GROUP not in self.mapping.fields:
            problem = "choose the column that names each user's group: set it to 'transfer group'."
        if problem:
            self._status(f"The mapping cannot be used: {problem}")
            self.query_one("#csv-import", Button).display = False
            return
        self._generation += 1
        self._status(f"{self.preview.format.description}. Checking every row…")
        self.query_one("#csv-import", Button).disabled = True
        mapping = ColumnMapping(
            list(self.mapping.headers), list(self.mapping.fields), self.mapping.size_unit
        )
        self.plan_file(self._generation, self.preview.path, mapping)

    @work(thread=True, group="csv-plan", exit_on_error=False)
    def plan_file(self, generation: int, path: Path, mapping: ColumnMapping) -> None:
        plan = self.directory.plan_csv(
            path, mapping, fmt=self.preview.format if self.preview else None
        )
        self.post_message(CsvPlanned(generation, plan))

    def on_csv_planned(self, message: CsvPlanned) -> None:
        if message.generation != self._generation:
            self._discard(message.plan)
            return
        if self.plan is not None:
            self._discard(self.plan)
        self.plan = plan = message.plan
        preview = self.preview
        assert preview is not None
        self._status(
            f"{plan.rows} rows: {plan.accepted} accepted, {len(plan.problems)} rejected. "
            "Review, then Import or Cancel."
        )
        self._show_problems(plan)
        self._show_difference(plan)
        button = self.query_one("#csv-import", Button)
        button.label = import_label(plan)
        button.display = True
        button.disabled = plan.accepted == 0
        button.focus()

    def _show_problems(self, plan: ImportPlan) -> None:
        title = self.query_one("#csv-problems-title", Static)
        show_problems(plan, title, self.query_one("#csv-problems", DataTable))

    def _show_difference(self, plan: ImportPlan) -> None:
        self.query_one("#csv-difference", Static).update(difference_text(plan))

    def _status(self, text: str) -> None:
        self.query_one("#csv-hint", Static).update(literal(text))

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state is WorkerState.ERROR and event.worker.group in ("csv-preview", "csv-plan"):
            error = event.worker.error
            self._status(f"{error}" if error else "The file could not be read.")

    # --- decide --------------------------------------------------------------------------

    @on(Button.Pressed, "#csv-import")
    def _import(self, event: Button.Pressed) -> None:
        event.stop()
        plan, self.plan = self.plan, None
        self.dismiss(plan)

    @on(Button.Pressed, "#csv-cancel")
    def action_cancel(self) -> None:
        if self.plan is not None:
            self._discard(self.plan)
            self.plan = None
        self.dismiss(None)

    def _discard(self, plan: ImportPlan) -> None:
        directory = self.directory
        self.app.run_worker(
            lambda: directory.discard_import(plan),
            thread=True,
            group="csv-discard",
            exit_on_error=False,
        )
