"""The Users tab's table: every user, a page at a time, with search, sort, marks and bulk actions.

Rows are never all built: the first page is loaded from SQLite (keyset pagination), the next
one when the cursor comes near the end (arrows or PageDown). A search is debounced and runs
in a thread worker; an answer to an older search is dropped. Rows are updated by key.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.timer import Timer
from textual.widgets import Button, DataTable, Input, Select, Static
from textual.widgets.data_table import CellDoesNotExist, RowDoesNotExist

from onboard_tui.directory import DirectoryService, ImportPlan, MembershipPreview, PageCursor
from onboard_tui.directory.users import UserView
from onboard_tui.session.secrets import Secret
from onboard_tui.ui.dialogs.csv_import import CsvImportDialog
from onboard_tui.ui.dialogs.directory_import import DirectoryImportDialog
from onboard_tui.ui.dialogs.directory_settings import DirectorySettingsDialog, ImportRequest
from onboard_tui.ui.dialogs.prompts import PickDialog, PromptDialog
from onboard_tui.ui.messages import (
    ImportApplied,
    MembershipPreviewed,
    UsersExported,
    UsersPageLoaded,
)
from onboard_tui.ui.screens.migrate_directory import DominoBar
from onboard_tui.ui.widgets.literal import DASH, literal, size_text

PAGE = 200
#: Load the next page when the cursor is this close to the last loaded row.
NEAR_END = 30
SEARCH_DELAY = 0.2
SORTS = (
    ("Sort: email", "email"),
    ("Sort: name", "display_name"),
    ("Sort: last name", "last_name"),
    ("Sort: department", "department"),
    ("Sort: group", "group"),
)
COLUMNS = (
    ("✓", "mark", 1),
    ("Email", "email", 34),
    ("Name", "name", 20),
    ("Department", "department", 12),
    ("Group", "group", 12),
    ("Size", "size", 8),
    ("Domain verified", "verified", 15),
    ("Migration", "migration", 9),
    ("Activation", "activation", 10),
)
MARK = Text("●", style="bold cyan")


def demo_csv() -> str:
    """The demo's users file, relative to the working folder when it is inside it."""
    path = Path(__file__).resolve().parents[3] / "sample_configs" / "demo-users.csv"
    if not path.is_file():
        return ""
    try:
        relative = os.path.relpath(path)
    except ValueError:
        return str(path)
    return str(path) if relative.startswith("..") else relative


def _reaches(verified: bool | None) -> Text:
    """The domain-verified cell: until Step 2 verifies the domain, no mail reaches the user."""
    if verified is None:
        return Text(DASH)
    return Text("yes") if verified else Text("no: no mail yet", style="red")


class UsersTable(DataTable[Text]):
    """The users; Space marks the row under the cursor for a bulk action."""

    BINDINGS = [Binding("space", "toggle_mark", "Mark")]

    def action_toggle_mark(self) -> None:
        panel = next(a for a in self.ancestors if isinstance(a, UsersPanel))
        panel.toggle_mark()


class UsersPanel(Vertical):
    """Search, sort, the paged table, and the bulk actions on the marked users."""

    BINDINGS = [
        Binding("slash", "focus_search", "Search"),
        Binding("i", "import_csv", "Import CSV"),
        Binding("d", "directory", "Directory (LDAP)"),
        Binding("g", "add_to_group", "Add to group"),
        Binding("x", "remove_from_group", "Remove from group"),
        Binding("e", "export", "Export"),
        Binding("c", "clear_marks", "Clear marks", show=False),
    ]

    def __init__(
        self, directory: DirectoryService, *, folder: Path, demo: bool, id: str | None = None
    ) -> None:
        super().__init__(id=id)
        self.directory = directory
        self.folder = folder
        self.demo = demo
        self.marked: dict[str, str | None] = {}
        self.group_names: list[str] = []
        self.total: int | None = None
        self._generation = 0
        self._next: PageCursor | None = None
        self._loading = False
        self._debounce: Timer | None = None
        #: bind passwords typed for a directory, in memory only, by kind ("ad", "domino")
        self.passwords: dict[str, Secret] = {}

    def compose(self) -> ComposeResult:
        with Horizontal(id="users-bar"):
            yield Input(
                placeholder="Search email, name, department, login  (/)",
                id="user-search",
                compact=True,
            )
            yield Select(SORTS, value="email", allow_blank=False, id="user-sort", compact=True)
        yield Static("", id="users-empty")
        yield UsersTable(id="users-table", cursor_type="row", zebra_stripes=True)
        with Horizontal(id="users-actions"):
            yield Static("", id="users-count")
            yield Button("Import CSV", id="users-import", compact=True)
            yield Button("Directory…", id="users-directory", compact=True)
            yield Button("Add to group", id="users-add", compact=True)
            yield Button("Remove", id="users-remove", compact=True)
            yield Button("Export", id="users-export", compact=True)
        yield DominoBar(self.directory, self.passwords, id="domino-bar")

    def on_mount(self) -> None:
        table = self.query_one(UsersTable)
        for label, key, width in COLUMNS:
            table.add_column(label, key=key, width=width)
        self.query_one("#users-empty").display = False
        self.reload()

    # --- loading -------------------------------------------------------------------------

    @property
    def search(self) -> str:
        return self.query_one("#user-search", Input).value

    @property
    def sort(self) -> str:
        value = self.query_one("#user-sort", Select).value
        return value if isinstance(value, str) else "email"

    def reload(self) -> None:
        """Start again from the first page (a new search, sort, or changed data)."""
        self._generation += 1
        self._loading = True
        self.load_page(self._generation, self.search, self.sort, None)

    @work(thread=True, exclusive=True, group="users-page", exit_on_error=False)
    def load_page(self, generation: int, search: str, sort: str, after: PageCursor | None) -> None:
        page = self.directory.users_page(search=search, sort=sort, after=after, limit=PAGE)
        self.post_message(UsersPageLoaded(generation, page, after is None))

    def on_users_page_loaded(self, message: UsersPageLoaded) -> None:
        message.stop()
        if message.generation != self._generation:
            return
        self._loading = False
        table = self.query_one(UsersTable)
        with self.app.batch_update():
            if message.reset:
                table.clear()
                self.total = message.page.total
            for user in message.page.users:
                if user.email not in table.rows:
                    table.add_row(*self._cells(user), key=user.email)
        self._next = message.page.next
        self._show_count()

    def _cells(self, user: UserView) -> list[Text]:
        return [
            MARK if user.email in self.marked else Text(" "),
            literal(user.email),
            literal(user.display_name or DASH),
            literal(user.department or DASH),
            literal(user.group or DASH),
            Text(size_text(user.source_size), justify="right"),
            _reaches(self.directory.mail_reaches(user.email)),
            Text(DASH),
            Text(DASH),
        ]

    def _show_count(self) -> None:
        table = self.query_one(UsersTable)
        total = self.total or 0
        shown = f"{table.row_count} of {total}" if table.row_count < total else f"{total}"
        marked = f" · {len(self.marked)} marked" if self.marked else ""
        what = "matching" if self.search.strip() else "users"
        self.query_one("#users-count", Static).update(f"{shown} {what}{marked}")
        empty = total == 0 and not self.search.strip()
        note = self.query_one("#users-empty", Static)
        note.display = empty
        if empty:
            where = f" (the demo offers {demo_csv()})" if self.demo and demo_csv() else ""
            note.update(
                f"No users yet. Press i to import a CSV file{where}, or d to import from "
                "Active Directory or the Domino Directory over LDAP."
            )

    @on(DataTable.RowHighlighted, "#users-table")
    def _near_end(self, event: DataTable.RowHighlighted) -> None:
        table = event.data_table
        if (
            self._next is not None
            and not self._loading
            and event.cursor_row >= table.row_count - NEAR_END
        ):
            self._loading = True
            self.load_page(self._generation, self.search, self.sort, self._next)

    @on(Input.Changed, "#user-search")
    def _search_changed(self) -> None:
        if self._debounce is not None:
            self._debounce.stop()
        self._debounce = self.set_timer(SEARCH_DELAY, self.reload)

    @on(Input.Submitted, "#user-search")
    def _search_submitted(self) -> None:
        self.query_one(UsersTable).focus()

    @on(Select.Changed, "#user-sort")
    def _sort_changed(self, event: Select.Changed) -> None:
        event.stop()
        self.reload()

    def action_focus_search(self) -> None:
        self.query_one("#user-search", Input).focus()

    # --- marks ---------------------------------------------------------------------------

    def toggle_mark(self) -> None:
        table = self.query_one(UsersTable)
        if table.row_count == 0:
            return
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key
        email = str(key.value)
        if email in self.marked:
            del self.marked[email]
            table.update_cell(key, "mark", Text(" "))
        else:
            group = str(table.get_cell(key, "group"))
            self.marked[email] = None if group == DASH else group
            table.update_cell(key, "mark", MARK)
        if table.cursor_row < table.row_count - 1:
            table.move_cursor(row=table.cursor_row + 1)
        self._show_count()

    def action_clear_marks(self) -> None:
        for email in list(self.marked):
            self._set_cell(email, "mark", Text(" "))
        self.marked.clear()
        self._show_count()

    def _set_cell(self, email: str, column: str, value: Text) -> None:
        # a row not loaded (another page, or filtered out) has nothing to redraw
        with contextlib.suppress(CellDoesNotExist, RowDoesNotExist):
            self.query_one(UsersTable).update_cell(email, column, value)

    def apply_membership(self, preview: MembershipPreview, *, clear_marks: bool) -> None:
        """Redraw the group cell of the rows that changed, by key."""
        with self.app.batch_update():
            for mover in preview.joining:
                self._set_cell(mover.email, "group", literal(preview.group))
            for email in preview.leaving:
                self._set_cell(email, "group", Text(DASH))
        for mover in preview.joining:
            if mover.email in self.marked:
                self.marked[mover.email] = preview.group
        for email in preview.leaving:
            if email in self.marked:
                self.marked[email] = None
        if self.sort == "group":
            self.reload()
        if clear_marks:
            self.action_clear_marks()

    # --- bulk actions --------------------------------------------------------------------

    def _need_marks(self) -> bool:
        if self.marked:
            return True
        self.notify(
            "Mark users first: move to a row and press Space (c clears the marks).",
            severity="warning",
        )
        return False

    def _need_groups(self) -> bool:
        if self.group_names:
            return True
        self.notify(
            "There are no Transfer Groups yet: create one below (n) first.", severity="warning"
        )
        return False

    @on(Button.Pressed, "#users-add")
    def action_add_to_group(self) -> None:
        if not (self._need_marks() and self._need_groups()):
            return
        emails = list(self.marked)

        def chosen(group: str | None) -> None:
            if group:
                self.preview_add(group, emails)

        self.app.push_screen(
            PickDialog(
                "Add to a Transfer Group",
                f"Add the {len(emails)} marked users to which group? "
                "A user is in one group at most: they leave their current one.",
                self.group_names,
            ),
            chosen,
        )

    @work(thread=True, exclusive=True, group="users-membership", exit_on_error=False)
    def preview_add(self, group: str, emails: list[str]) -> None:
        self.post_message(MembershipPreviewed(self.directory.preview_add(group, emails)))

    @on(Button.Pressed, "#users-remove")
    def action_remove_from_group(self) -> None:
        if not (self._need_marks() and self._need_groups()):
            return
        emails = list(self.marked)
        current = next((g for g in self.marked.values() if g), "")

        def chosen(group: str | None) -> None:
            if group:
                self.preview_remove(group, emails)

        self.app.push_screen(
            PickDialog(
                "Remove from a Transfer Group",
                "Remove the marked users from which group? They stay in the directory, "
                "in no group.",
                self.group_names,
                current,
            ),
            chosen,
        )

    @work(thread=True, exclusive=True, group="users-membership", exit_on_error=False)
    def preview_remove(self, group: str, emails: list[str]) -> None:
        self.post_message(MembershipPreviewed(self.directory.preview_remove(group, emails)))

    @on(Button.Pressed, "#users-export")
    def action_export(self) -> None:
        def chosen(path: str | None) -> None:
            if path:
                self.export(Path(path).expanduser())

        self.app.push_screen(
            PromptDialog(
                "Export users",
                "Write every user to this CSV file (UTF-8, opens in Excel; cells that a "
                "spreadsheet would read as a formula are neutralised).",
                str(self.folder / "users-export.csv"),
                ok="Export",
            ),
            chosen,
        )

    @work(thread=True, exclusive=True, group="users-export", exit_on_error=False)
    def export(self, path: Path) -> None:
        count = self.directory.export_users(path)
        self.post_message(UsersExported(path, count))

    def on_users_exported(self, message: UsersExported) -> None:
        message.stop()
        self.notify(f"Exported {message.count} users to {message.path}.", markup=False)

    # --- import --------------------------------------------------------------------------

    @on(Button.Pressed, "#users-import")
    def action_import_csv(self) -> None:
        def chosen(plan: ImportPlan | None) -> None:
            if plan is not None:
                self.apply_import(plan)

        path = demo_csv() if self.demo else ""
        self.app.push_screen(CsvImportDialog(self.directory, path), chosen)

    @work(thread=True, exclusive=True, group="users-import", exit_on_error=False)
    def apply_import(self, plan: ImportPlan) -> None:
        self.directory.apply_import(plan, skip_problems=True)
        self.post_message(ImportApplied(plan))

    # --- directory over LDAP: settings, Test connection, import ---------------------------

    @on(Button.Pressed, "#users-directory")
    def action_directory(self) -> None:
        def chosen(request: ImportRequest | None) -> None:
            self.query_one(DominoBar).load()
            if request is not None:
                self.import_directory(request.kind)

        self.app.push_screen(DirectorySettingsDialog(self.directory, self.passwords), chosen)

    def import_directory(self, kind: str) -> None:
        def chosen(plan: ImportPlan | None) -> None:
            self.query_one(DominoBar).load()
            if plan is not None:
                self.apply_import(plan)

        self.app.push_screen(DirectoryImportDialog(self.directory, kind, self.passwords), chosen)
