"""Import users from a CSV file: path, then one review page, then import or cancel.

The review shows what the file turned out to be (encoding, delimiter), the column mapping
(a Select per column, guessed from the header), the first rows, every rejected row with its
line and field, and the difference with the users already in the session. Nothing is stored
until "Import"; Cancel discards the checked plan and changes nothing.
"""

from __future__ import annotations

from pathlib import Path

from rich.text import Text
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
from onboard_tui.ui.messages import CsvPlanned, CsvPreviewed
from onboard_tui.ui.widgets.literal import clean, literal

FIRST_ROWS = 5


class CsvImportDialog(ModalScreen[ImportPlan | None]):
    """Returns the reviewed plan to store (rejected rows skipped), or None when cancelled."""

    CSS_PATH = ["prompts.tcss", "csv_import.tcss"]
    BINDINGS = [Binding("escape", "cancel", "Cancel import")]

    def __init__(self, directory: DirectoryService, path: str = "") -> None:
        super().__init__()
        self.directory = directory
        self.initial_path = path
        self.preview: CsvPreview | None = None
        self.mapping: ColumnMapping | None = None
        self.plan: ImportPlan | None = None
        self._generation = 0
        self._syncing = False
        self._replan: Timer | None = None

    # --- layout --------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        with Vertical(id="csv-box"):
            yield Static("Import users from a CSV file", classes="dialog-title")
            with Horizontal(id="csv-path-row"):
                yield Input(
                    self.initial_path,
                    placeholder="/path/to/users.csv",
                    id="csv-path",
                    compact=True,
                )
                yield Button("Preview", id="csv-preview", compact=True)
            yield Static(
                "Any delimiter and encoding Excel writes. Nothing is stored before Import.",
                id="csv-hint",
            )
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
        problems = self.query_one("#csv-problems", DataTable)
        problems.add_column("Line", width=4)
        problems.add_column("Field", width=12)
        problems.add_column("Reason", width=44)
        problems.add_column("Value", width=36)
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
        self.mapping = ColumnMapping(
            list(message.preview.mapping.headers),
            list(message.preview.mapping.fields),
            message.preview.mapping.size_unit,
        )
        self._show_preview(message.preview)
        self._check()

    def _show_preview(self, preview: CsvPreview) -> None:
        self.query_one("#csv-review").display = True
        self.query_one("#csv-format", Static).update(
            f"Detected: {preview.format.description} ({len(preview.headers)} columns)"
        )
        mapping = self.query_one("#csv-mapping", Vertical)
        mapping.remove_children()
        options = [(LABELS[f], f.value) for f in Field]
        rows = []
        for index, header in enumerate(preview.headers):
            select: Select[str] = Select(
                options,
                value=preview.mapping.fields[index].value,
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
        button.label = (
            f"Import, skipping the {len(plan.problems)} rejected rows"
            if plan.problems
            else f"Import {plan.accepted} users"
        )
        button.display = True
        button.disabled = plan.accepted == 0
        button.focus()

    def _show_problems(self, plan: ImportPlan) -> None:
        title = self.query_one("#csv-problems-title", Static)
        table = self.query_one("#csv-problems", DataTable)
        table.clear()
        if not plan.problems:
            title.update("Problems: none, every row can be imported.")
            table.display = False
            return
        title.update(f"Problems: {len(plan.problems)} rows rejected (line, field, why, value)")
        table.display = True
        for p in sorted(plan.problems, key=lambda p: p.line):
            table.add_row(
                literal(p.line), literal(p.field), literal(p.reason), literal(p.value or "(empty)")
            )

    def _show_difference(self, plan: ImportPlan) -> None:
        d = plan.difference
        text = Text()
        text.append(f"{d.added} new", style="bold green")
        text.append(f", {d.changed} changed, {d.unchanged} unchanged, ")
        text.append(f"{d.missing} missing from the file", style="yellow" if d.missing else "")
        text.append(" (missing users are kept).")
        for label, sample in (
            ("New", d.added_sample),
            ("Changed", d.changed_sample),
            ("Missing", d.missing_sample),
        ):
            if sample:
                shown = ", ".join(clean(s) for s in sample[:5])
                more = " …" if len(sample) > 5 else ""
                text.append(f"\n{label}: {shown}{more}", style="dim")
        if d.new_groups:
            text.append(
                "\nNew Transfer Groups from the file: " + ", ".join(map(clean, d.new_groups))
            )
        self.query_one("#csv-difference", Static).update(text)

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
