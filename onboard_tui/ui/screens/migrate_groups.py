"""Transfer Groups beside the users: member counts and sizes; create, rename, delete; members
by selection (Users table), by a filter, or from a CSV column."""

from __future__ import annotations

from collections.abc import Callable

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, DataTable, Static

from onboard_tui.directory import DirectoryService, GroupInfo, ImportPlan, MembershipPreview
from onboard_tui.ui.dialogs.csv_import import CsvImportDialog
from onboard_tui.ui.dialogs.group_filter import GroupFilterDialog
from onboard_tui.ui.dialogs.prompts import ConfirmDialog, PromptDialog
from onboard_tui.ui.messages import (
    GroupsChanged,
    GroupsLoaded,
    ImportApplied,
    MembershipPreviewed,
)
from onboard_tui.ui.widgets.literal import DASH, literal, size_text


class GroupsPanel(Vertical):
    """The group table and what can be done to the highlighted group."""

    BINDINGS = [
        Binding("n", "new_group", "New group"),
        Binding("r", "rename_group", "Rename"),
        Binding("delete", "delete_group", "Delete"),
        Binding("f", "filter_group", "By filter"),
        Binding("v", "groups_from_csv", "From CSV column"),
    ]

    def __init__(self, directory: DirectoryService, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.directory = directory
        self.groups: list[GroupInfo] = []

    def compose(self) -> ComposeResult:
        yield Static("Transfer Groups", id="groups-title")
        yield DataTable(id="groups-table", cursor_type="row")
        with Horizontal(id="groups-actions"):
            yield Button("New", id="groups-new", compact=True)
            yield Button("Rename", id="groups-rename", compact=True)
            yield Button("Delete", id="groups-delete", compact=True)
            yield Button("Members by filter…", id="groups-filter", compact=True)
            yield Button("From CSV column…", id="groups-csv", compact=True)

    def on_mount(self) -> None:
        table = self.query_one("#groups-table", DataTable)
        table.add_column("Group", key="name", width=20)
        table.add_column("Members", key="members", width=7)
        table.add_column("Source size", key="size", width=14)
        table.add_column("Settings", key="setting", width=20)
        self.reload()

    # --- loading -------------------------------------------------------------------------

    def reload(self) -> None:
        self.load_groups()

    @work(thread=True, exclusive=True, group="groups-load", exit_on_error=False)
    def load_groups(self) -> None:
        self.post_message(GroupsLoaded(self.directory.groups()))

    def on_groups_loaded(self, message: GroupsLoaded) -> None:
        self.groups = message.groups
        table = self.query_one("#groups-table", DataTable)
        current = self.current()
        names = {g.name for g in self.groups}
        with self.app.batch_update():
            for key in list(table.rows):
                if key.value not in names:
                    table.remove_row(key)
            for g in self.groups:
                cells = self._cells(g)
                if g.name in table.rows:
                    for column, value in zip(
                        ("name", "members", "size", "setting"), cells, strict=True
                    ):
                        table.update_cell(g.name, column, value)
                else:
                    table.add_row(*cells, key=g.name)
        if current and current.name in names:
            table.move_cursor(row=table.get_row_index(current.name))
        title = self.query_one("#groups-title", Static)
        title.update(
            f"Transfer Groups ({len(self.groups)})"
            if self.groups
            else "Transfer Groups: none yet. n creates one; v fills them from a CSV column."
        )

    @staticmethod
    def _cells(g: GroupInfo) -> list[Text]:
        if g.members and g.sized:
            size = size_text(g.total_size)
            if g.sized < g.members:
                size += f" ({g.members - g.sized}?)"
        else:
            size = DASH
        return [
            literal(g.name),
            Text(str(g.members), justify="right"),
            Text(size, justify="right"),
            literal(g.setting or "full (default)"),
        ]

    def current(self) -> GroupInfo | None:
        table = self.query_one("#groups-table", DataTable)
        if table.row_count == 0:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return next((g for g in self.groups if g.name == key), None)

    def _need_current(self) -> GroupInfo | None:
        group = self.current()
        if group is None:
            self.notify("Create a Transfer Group first (n).", severity="warning")
        return group

    # --- create, rename, delete ----------------------------------------------------------

    @on(Button.Pressed, "#groups-new")
    def action_new_group(self) -> None:
        def chosen(name: str | None) -> None:
            if name:
                self.change(lambda: self.directory.create_group(name), f"Created '{name}'.")

        self.app.push_screen(
            PromptDialog(
                "New Transfer Group",
                "A name for the group (for example 'Wave 1 - Sales').",
                ok="Create",
            ),
            chosen,
        )

    @on(Button.Pressed, "#groups-rename")
    def action_rename_group(self) -> None:
        group = self._need_current()
        if group is None:
            return
        old = group.name

        def chosen(name: str | None) -> None:
            if name and name != old:
                self.change(
                    lambda: self.directory.rename_group(old, name), f"Renamed '{old}' to '{name}'."
                )

        self.app.push_screen(
            PromptDialog("Rename Transfer Group", f"New name for '{old}':", old, ok="Rename"),
            chosen,
        )

    @on(Button.Pressed, "#groups-delete")
    def action_delete_group(self) -> None:
        group = self._need_current()
        if group is None:
            return
        name = group.name

        def decided(yes: bool | None) -> None:
            if yes:
                self.change(
                    lambda: self.directory.delete_group(name),
                    f"Deleted '{name}'; its members are in no group now.",
                )

        self.app.push_screen(
            ConfirmDialog(
                "Delete Transfer Group",
                f"Delete '{name}'? Its {group.members} members stay in the directory, in no "
                "group. This cannot be undone.",
                "Delete",
            ),
            decided,
        )

    @work(thread=True, exclusive=True, group="groups-change", exit_on_error=False)
    def change(self, do: Callable[[], object], done: str) -> None:
        do()
        self.app.call_from_thread(self.notify, done, markup=False)
        self.post_message(GroupsChanged())

    # --- members by filter ----------------------------------------------------------------

    @on(Button.Pressed, "#groups-filter")
    def action_filter_group(self) -> None:
        group = self._need_current()
        if group is None:
            return

        def chosen(preview: MembershipPreview | None) -> None:
            if preview is not None:
                self.post_message(MembershipPreviewed(preview, reviewed=True))

        self.app.push_screen(GroupFilterDialog(self.directory, group.name), chosen)

    # --- members from a CSV column --------------------------------------------------------

    @on(Button.Pressed, "#groups-csv")
    def action_groups_from_csv(self) -> None:
        """A file with an email column and a group column: each user joins that group."""

        def chosen(plan: ImportPlan | None) -> None:
            if plan is not None:
                self.apply_groups(plan)

        self.app.push_screen(CsvImportDialog(self.directory, groups_only=True), chosen)

    @work(thread=True, exclusive=True, group="groups-csv", exit_on_error=False)
    def apply_groups(self, plan: ImportPlan) -> None:
        self.directory.apply_import(plan, skip_problems=True)
        self.post_message(ImportApplied(plan))
