"""The Complete tab: the users whose mail is provisioned, with copied, skipped and failed
counts per type, and two CSV exports (per user; per folder: source against target)."""

from __future__ import annotations

from pathlib import Path

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, DataTable, Static

from onboard_tui.mail.reports import UserReport, export_folders, export_users
from onboard_tui.mail.service import MigrationService
from onboard_tui.ui.messages import CompleteLoaded, MigrationExported
from onboard_tui.ui.widgets.literal import literal

COLUMNS = (
    ("User", "user", 24),
    ("Group", "group", 8),
    ("State", "state", 7),
    ("Mail", "mail", 5),
    ("MB", "mb", 6),
    ("Skip", "skipped", 4),
    ("Fail", "failed", 4),
    ("N/A", "na", 4),
)


def row_cells(r: UserReport) -> dict[str, object]:
    na = sum(r.skipped[t] for t in ("contacts", "calendar", "tasks"))
    return {
        "user": literal(r.user),
        "group": literal(r.group),
        "state": r.state,
        "mail": str(r.copied["mail"]),
        "mb": f"{r.copied_bytes / 1e6:,.1f}",
        "skipped": str(r.skipped["mail"]),
        "failed": str(sum(r.failed.values())),
        "na": str(na) if na else "0",
    }


class CompleteTable(DataTable[object]):
    """Provisioned users first; u and o export."""

    BINDINGS = [
        Binding("u", "export('users')", "Export users CSV"),
        Binding("o", "export('folders')", "Export folders CSV"),
    ]

    def action_export(self, which: str) -> None:
        panel = next(a for a in self.ancestors if isinstance(a, CompletePanel))
        panel.export(which)


class CompletePanel(Vertical):
    """Per-user outcome and the reconciliation export."""

    def __init__(self, migration: MigrationService, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.migration = migration

    def compose(self) -> ComposeResult:
        yield Static("", id="complete-summary", markup=False)
        table = CompleteTable(id="complete-table", cursor_type="row")
        for label, key, width in COLUMNS:
            table.add_column(label, key=key, width=width)
        yield table
        yield Static(
            "Mail: items copied. Skip: excluded folders, dates, sizes. Fail: unreadable. "
            "N/A: contacts, calendar, tasks the source cannot deliver (IMAP and Maildir "
            "carry mail only).",
            classes="section-help",
        )
        with Horizontal(classes="actions", id="complete-actions"):
            yield Button("Refresh", id="complete-refresh", compact=True)
            yield Button("Export users CSV", id="complete-users", compact=True)
            yield Button("Export folders CSV", id="complete-folders", compact=True)

    def on_mount(self) -> None:
        self.reload()

    @work(thread=True, exclusive=True, group="complete-load", exit_on_error=False)
    def reload(self) -> None:
        self.post_message(CompleteLoaded(self.migration.user_reports()))

    def on_complete_loaded(self, message: CompleteLoaded) -> None:
        message.stop()
        reports = sorted(message.reports, key=lambda r: (not r.provisioned, r.user))
        done = sum(r.provisioned for r in reports)
        copied = sum(r.copied["mail"] for r in reports if r.provisioned)
        self.query_one("#complete-summary", Static).update(
            f"{done} of {len(reports)} users provisioned; {copied:,} items copied for them."
            if reports
            else "No user has been migrated yet: start a group on the Staging tab."
        )
        table = self.query_one(CompleteTable)
        with self.app.batch_update():
            present = {str(k.value) for k in table.rows}
            wanted = [r.user for r in reports]
            if list(present) and [str(k.value) for k in table.rows] != wanted:
                table.clear()
                present = set()
            for r in reports:
                values = row_cells(r)
                if r.user in present:
                    for column, value in values.items():
                        table.update_cell(r.user, column, value)
                else:
                    table.add_row(*values.values(), key=r.user)

    @on(Button.Pressed, "#complete-actions Button")
    def _button(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "complete-refresh":
            self.reload()
        else:
            self.export(str(event.button.id).removeprefix("complete-"))

    def export(self, which: str) -> None:
        stamp = self.migration.clock.now().strftime("%Y%m%d-%H%M")
        path = self.migration.store.folder / f"migration-{which}-{stamp}.csv"
        self.notify(f"Writing {path.name} …", timeout=3, markup=False)
        self._export(which, path)

    @work(thread=True, exclusive=True, group="complete-export", exit_on_error=False)
    def _export(self, which: str, path: Path) -> None:
        if which == "users":
            rows = export_users(path, self.migration.user_reports())
        else:
            rows = export_folders(path, self.migration.reconciliation())
        self.post_message(MigrationExported(path, rows))

    def on_migration_exported(self, message: MigrationExported) -> None:
        message.stop()
        self.notify(
            f"{message.rows} rows written to {message.path}.", title="Exported", markup=False
        )
