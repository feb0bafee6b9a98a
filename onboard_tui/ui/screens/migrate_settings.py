"""The Settings tab: named Transfer Group Settings, their assignment to groups, the quota check.

The seed: "Transfer Group Settings specify how much data you want to migrate" — all of it
(full) or a selection (item types, a date range, folders, a maximum item size) — so that no
user's new mail file goes over the quota.
"""

from __future__ import annotations

from datetime import date

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Button, Checkbox, DataTable, Input, Select, Static

from onboard_tui.directory import DirectoryService, GroupInfo, QuotaReport
from onboard_tui.session.model import DEFAULT_EXCLUDED_FOLDERS, ITEM_TYPES, TransferSettings
from onboard_tui.ui.dialogs.prompts import ConfirmDialog
from onboard_tui.ui.messages import GroupsChanged, QuotaChecked, SettingsLoaded
from onboard_tui.ui.widgets.field import Field
from onboard_tui.ui.widgets.literal import DASH, clean, literal, size_text

MODES = (("Full: all data", "full"), ("Selective: choose below", "selective"))
RANGES = (("Any date", "any"), ("Since a date", "since"), ("The last N months", "months"))
NO_SETTING = "(full transfer, default)"


def describe(item: TransferSettings) -> str:
    """One line: what a setting takes."""
    if not item.selective:
        parts = ["full"]
    else:
        parts = ["selective", "/".join(item.item_types)]
        if item.since:
            parts.append(f"since {item.since.isoformat()}")
        if item.last_months:
            parts.append(f"last {item.last_months} months")
        if item.include_folders:
            parts.append("only " + ", ".join(item.include_folders))
    if item.exclude_folders:
        parts.append("without " + ", ".join(item.exclude_folders))
    if item.max_item_mb:
        parts.append(f"items ≤ {item.max_item_mb} MB")
    return "; ".join(parts)


def _folders(text: str) -> list[str]:
    return [f.strip() for f in text.split(",") if f.strip()]


class SettingsForm(ValueError):
    """A value typed in the form that cannot be read; the message says which and why."""


class SettingsPanel(VerticalScroll):
    """Settings list and form, the group assignment table and the quota check."""

    def __init__(self, directory: DirectoryService, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.directory = directory
        self.settings: list[TransferSettings] = []
        self.groups: list[GroupInfo] = []
        self.editing = ""

    # --- layout --------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Static("Transfer Group Settings", classes="section-title")
        yield Static(
            "How much data each group takes: everything, or a selection that keeps every "
            f"mail file under the {self.directory.quota_bytes // 1024**3} GB quota.",
            classes="section-help",
        )
        yield DataTable(id="settings-table", cursor_type="row")
        with Horizontal(classes="actions"):
            yield Button("New", id="settings-new", compact=True)
            yield Button("Delete", id="settings-delete", compact=True)
        yield Static("", id="settings-editing", classes="subsection")
        yield Field("Name", Input(id="set-name", compact=True))
        yield Field(
            "Transfer",
            Select(MODES, value="full", allow_blank=False, id="set-mode", compact=True),
        )
        yield Static("Item types", classes="field-label-like")
        with Horizontal(id="set-types"):
            for kind in ITEM_TYPES:
                yield Checkbox(kind, True, id=f"set-type-{kind}", compact=True)
        with Horizontal(id="set-range-row"):
            yield Select(RANGES, value="any", allow_blank=False, id="set-range", compact=True)
            yield Input(id="set-range-value", compact=True, placeholder="2024-01-01 or 12")
        yield Field(
            "Only these folders (comma-separated; empty: all)",
            Input(id="set-include", compact=True),
        )
        yield Field(
            "Exclude these folders",
            Input(", ".join(DEFAULT_EXCLUDED_FOLDERS), id="set-exclude", compact=True),
        )
        yield Field(
            "Maximum item size in MB (empty: no limit)",
            Input(id="set-max", compact=True, type="integer"),
        )
        yield Button("Save settings", id="settings-save", variant="primary", compact=True)

        yield Static("Assign settings to Transfer Groups", classes="section-title")
        yield DataTable(id="assign-table", cursor_type="row")
        with Horizontal(classes="actions"):
            yield Select([], prompt=NO_SETTING, id="assign-setting", compact=True)
            yield Button("Assign to group", id="assign", compact=True)

        yield Static("Quota check", classes="section-title")
        yield Static("", id="quota-summary")
        yield DataTable(id="quota-table", cursor_type="row")
        with Horizontal(classes="actions"):
            yield Button("Check quota again", id="quota-run", compact=True)

    def on_mount(self) -> None:
        settings = self.query_one("#settings-table", DataTable)
        settings.add_column("Name", key="name", width=18)
        settings.add_column("What it takes", key="what", width=50)
        assign = self.query_one("#assign-table", DataTable)
        assign.add_column("Group", key="name", width=20)
        assign.add_column("Members", key="members", width=7)
        assign.add_column("Settings", key="setting", width=24)
        quota = self.query_one("#quota-table", DataTable)
        quota.add_column("User", width=30)
        quota.add_column("Group", width=10)
        quota.add_column("Size", width=8)
        quota.add_column("Settings", width=24)
        quota.add_column("What would bring them under", width=70)
        quota.display = False
        self._new_form()
        self.reload()

    # --- loading -------------------------------------------------------------------------

    def reload(self) -> None:
        self.load()

    @work(thread=True, exclusive=True, group="settings-load", exit_on_error=False)
    def load(self) -> None:
        self.post_message(SettingsLoaded(self.directory.settings(), self.directory.groups()))
        self.post_message(QuotaChecked(self.directory.check_quota()))

    def on_settings_loaded(self, message: SettingsLoaded) -> None:
        message.stop()
        self.settings, self.groups = message.settings, message.groups
        table = self.query_one("#settings-table", DataTable)
        with self.app.batch_update():
            table.clear()
            for item in self.settings:
                table.add_row(literal(item.name), literal(describe(item)), key=item.name)
            if not self.settings:
                table.add_row(Text("none yet", style="dim"), Text("New creates one"), key="")
            assign = self.query_one("#assign-table", DataTable)
            row = assign.cursor_row
            assign.clear()
            for g in self.groups:
                assign.add_row(
                    literal(g.name),
                    Text(str(g.members), justify="right"),
                    literal(g.setting or NO_SETTING),
                    key=g.name,
                )
            if self.groups:
                assign.move_cursor(row=min(row, len(self.groups) - 1))
            select = self.query_one("#assign-setting", Select)
            select.set_options([(clean(s.name), s.name) for s in self.settings])
        if self.editing and any(s.name == self.editing for s in self.settings):
            table.move_cursor(row=table.get_row_index(self.editing))

    def on_quota_checked(self, message: QuotaChecked) -> None:
        message.stop()
        self._show_quota(message.report)

    def _show_quota(self, report: QuotaReport) -> None:
        gb = report.quota_bytes // 1024**3
        text = Text()
        if not report.checked:
            text.append("No users yet: import them on the Users tab first.")
        elif report.over:
            text.append(
                f"⚠ {len(report.over)} of {report.checked} users would go over the {gb} GB "
                "quota with their group's settings.",
                style="bold yellow",
            )
        else:
            text.append(f"✔ No user goes over the {gb} GB quota.", style="bold green")
        if report.over:
            advice = report.over[0].suggestion.partition("; ")[2] or report.over[0].suggestion
            text.append("\nTo bring them under: " + clean(advice), style="yellow")
        if report.unknown:
            text.append(
                f"\n{report.unknown} users have no known size (no size column, no source yet)."
            )
        if report.checked:
            text.append(f"\nKnown total: {size_text(report.known_bytes)}.")
        self.query_one("#quota-summary", Static).update(text)
        table = self.query_one("#quota-table", DataTable)
        table.clear()
        table.display = bool(report.over)
        for o in report.over:
            table.add_row(
                literal(o.email),
                literal(o.group or DASH),
                Text(size_text(o.size), justify="right"),
                literal(o.setting + ("" if o.exact else " (may)")),
                literal(o.suggestion.partition("; ")[2] or o.suggestion),
            )

    # --- the form ------------------------------------------------------------------------

    def _new_form(self) -> None:
        self.editing = ""
        self._fill(TransferSettings(""))
        self.query_one("#settings-editing", Static).update("New settings")

    def _fill(self, item: TransferSettings) -> None:
        self.query_one("#set-name", Input).value = item.name
        self.query_one("#set-mode", Select).value = item.mode
        for kind in ITEM_TYPES:
            self.query_one(f"#set-type-{kind}", Checkbox).value = kind in item.item_types
        rng, value = "any", ""
        if item.since:
            rng, value = "since", item.since.isoformat()
        elif item.last_months:
            rng, value = "months", str(item.last_months)
        self.query_one("#set-range", Select).value = rng
        self.query_one("#set-range-value", Input).value = value
        self.query_one("#set-include", Input).value = ", ".join(item.include_folders)
        self.query_one("#set-exclude", Input).value = ", ".join(item.exclude_folders)
        self.query_one("#set-max", Input).value = str(item.max_item_mb or "")

    def read_form(self) -> TransferSettings:
        """The form as settings; SettingsForm when a value cannot be read."""
        mode = self.query_one("#set-mode", Select).value
        item = TransferSettings(
            self.query_one("#set-name", Input).value.strip(),
            mode=mode if isinstance(mode, str) else "full",
            item_types=[k for k in ITEM_TYPES if self.query_one(f"#set-type-{k}", Checkbox).value],
            include_folders=_folders(self.query_one("#set-include", Input).value),
            exclude_folders=_folders(self.query_one("#set-exclude", Input).value),
        )
        rng = self.query_one("#set-range", Select).value
        value = self.query_one("#set-range-value", Input).value.strip()
        if rng == "since":
            try:
                item.since = date.fromisoformat(value)
            except ValueError:
                raise SettingsForm(
                    f"'{value}' is not a date: write it as YYYY-MM-DD (for example 2024-01-01)."
                ) from None
        elif rng == "months":
            if not value.isdigit():
                raise SettingsForm(f"'{value}' is not a number of months (for example 12).")
            item.last_months = int(value)
        size = self.query_one("#set-max", Input).value.strip()
        if size:
            if not size.isdigit():
                raise SettingsForm(f"'{size}' is not a size in MB (for example 25).")
            item.max_item_mb = int(size)
        return item

    @on(DataTable.RowSelected, "#settings-table")
    @on(DataTable.RowHighlighted, "#settings-table")
    def _edit(self, event: DataTable.RowSelected | DataTable.RowHighlighted) -> None:
        name = event.row_key.value
        item = next((s for s in self.settings if s.name == name), None)
        if item is None or item.name == self.editing:
            return
        self.editing = item.name
        self._fill(item)
        self.query_one("#settings-editing", Static).update(
            Text.assemble("Editing ", (clean(item.name), "bold"))
        )

    @on(Button.Pressed, "#settings-new")
    def _new(self) -> None:
        self._new_form()
        self.query_one("#set-name", Input).focus()

    @on(Button.Pressed, "#settings-save")
    def _save(self) -> None:
        try:
            item = self.read_form()
        except SettingsForm as exc:
            self.notify(str(exc), severity="error", markup=False)
            return
        self.save(item, self.editing)

    @work(thread=True, exclusive=True, group="settings-save", exit_on_error=False)
    def save(self, item: TransferSettings, old: str) -> None:
        self.directory.save_settings(item, old)
        self.editing = item.name
        self.app.call_from_thread(
            self.notify, f"Saved Transfer Group Settings '{item.name}'.", markup=False
        )
        self.post_message(GroupsChanged())

    @on(Button.Pressed, "#settings-delete")
    def _delete(self) -> None:
        name = self.editing
        if not name:
            self.notify("Choose the settings to delete in the table first.", severity="warning")
            return
        users = [g.name for g in self.groups if g.setting == name]
        after = f" {', '.join(users)} fall back to a full transfer." if users else ""

        def decided(yes: bool | None) -> None:
            if yes:
                self.delete(name)

        self.app.push_screen(
            ConfirmDialog("Delete settings", f"Delete '{name}'?{after}", "Delete"), decided
        )

    @work(thread=True, exclusive=True, group="settings-save", exit_on_error=False)
    def delete(self, name: str) -> None:
        self.directory.delete_settings(name)
        self.app.call_from_thread(self._new_form)
        self.post_message(GroupsChanged())

    # --- assignment and quota ------------------------------------------------------------

    @on(DataTable.RowHighlighted, "#assign-table")
    def _group_highlighted(self, event: DataTable.RowHighlighted) -> None:
        group = next((g for g in self.groups if g.name == event.row_key.value), None)
        select = self.query_one("#assign-setting", Select)
        if group is not None and any(s.name == group.setting for s in self.settings):
            select.value = group.setting
        else:
            select.clear()

    @on(Button.Pressed, "#assign")
    def _assign(self) -> None:
        table = self.query_one("#assign-table", DataTable)
        if not self.groups:
            self.notify("Create a Transfer Group on the Users tab first.", severity="warning")
            return
        group = str(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value)
        value = self.query_one("#assign-setting", Select).value
        setting = value if isinstance(value, str) else ""
        self.assign(group, setting)

    @work(thread=True, exclusive=True, group="settings-assign", exit_on_error=False)
    def assign(self, group: str, setting: str) -> None:
        self.directory.set_group_setting(group, setting)
        what = f"'{setting}'" if setting else "a full transfer (default)"
        self.app.call_from_thread(self.notify, f"'{group}' now uses {what}.", markup=False)
        self.post_message(GroupsChanged())

    @on(Button.Pressed, "#quota-run")
    def _quota(self) -> None:
        self.reload()
