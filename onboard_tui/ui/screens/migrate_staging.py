"""The Staging tab: each Transfer Group with its setting, members, schedule and state;
Start now, Schedule, Pause, Resume, Retry failed and Delta pass.

A group starts only after its pre-flight passes and the administrator confirms. The
engine's calls run in thread workers; the table is updated by row key from the
snapshot the screen reads at a steady pace.
"""

from __future__ import annotations

from datetime import datetime

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, DataTable, Static

from onboard_tui.mail.progress import GroupProgress, ProgressSnapshot
from onboard_tui.mail.service import MigrationService
from onboard_tui.ui.dialogs.migrate_dialogs import PasswordDialog, PreflightDialog, ScheduleDialog
from onboard_tui.ui.messages import MigrationActed, PreflightDone
from onboard_tui.ui.widgets.literal import DASH, literal

COLUMNS = (
    ("Group", "group", 12),
    ("Setting", "setting", 12),
    ("Users", "members", 5),
    ("Start (UTC)", "schedule", 11),
    ("State", "state", 26),
)


def group_state(progress: GroupProgress | None, members: int) -> str:
    """One line: what the group is doing."""
    if progress is None or progress.user_count == 0:
        return "not started"
    u = progress.users
    parts = [f"{u[k]} {k}" for k in ("running", "queued", "paused", "failed", "done") if u.get(k)]
    if u.get("done", 0) == members and members:
        return f"complete ({members} done)"
    return ", ".join(parts)


class StagingTable(DataTable[object]):
    """The groups; the action keys work on the row under the cursor."""

    BINDINGS = [
        Binding("s", "stage('start')", "Start now"),
        Binding("t", "stage('schedule')", "Schedule"),
        Binding("p", "stage('pause')", "Pause"),
        Binding("r", "stage('resume')", "Resume"),
        Binding("f", "stage('retry')", "Retry failed"),
        Binding("d", "stage('delta')", "Delta pass"),
    ]

    def action_stage(self, action: str) -> None:
        panel = next(a for a in self.ancestors if isinstance(a, StagingPanel))
        panel.act(action)


class StagingPanel(Vertical):
    """Groups to start now or at a time, and the controls of a running migration."""

    def __init__(self, migration: MigrationService, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.migration = migration
        self.snapshot: ProgressSnapshot | None = None
        self.members: dict[str, int] = {}

    def compose(self) -> ComposeResult:
        yield Static(
            "Start each Transfer Group now or at a time. A pre-flight (source login, cloud "
            "logon, quota, verified domains) runs before a group may start.",
            classes="section-help",
            id="staging-help",
        )
        yield Static("", id="staging-observer", markup=False)
        table = StagingTable(id="staging-table", cursor_type="row")
        for label, key, width in COLUMNS:
            table.add_column(label, key=key, width=width)
        yield table
        yield Static("No Transfer Groups yet: make them on the Users tab.", id="staging-empty")
        with Horizontal(classes="actions", id="staging-actions"):
            yield Button("Start now", id="stage-start", compact=True)
            yield Button("Schedule", id="stage-schedule", compact=True)
            yield Button("Pause", id="stage-pause", compact=True)
            yield Button("Resume", id="stage-resume", compact=True)
            yield Button("Retry failed", id="stage-retry", compact=True)
            yield Button("Delta pass", id="stage-delta", compact=True)

    def on_mount(self) -> None:
        observer = self.query_one("#staging-observer", Static)
        if self.migration.observer:
            holder = self.migration.store.lock.holder()
            observer.update(
                f"Observer: another onboard-tui (process {holder or '?'}) runs this session's "
                "migration, and this wizard only watches it. To start, pause or resume groups "
                "here, stop that process (or the onboard-tui run service) and reopen the session."
            )
        else:
            observer.display = False
        self.reload()
        self.set_interval(1.0, self._fire_schedules)

    # --- the table ------------------------------------------------------------------------

    def reload(self) -> None:
        """Rows for the groups (keyed by name); members are counted in a thread."""
        self._count_members()

    @work(thread=True, exclusive=True, group="staging-members", exit_on_error=False)
    def _count_members(self) -> None:
        counts = {p.name: len(p.users) for p in self.migration.plans()}
        self.app.call_from_thread(self._show_groups, counts)

    def _show_groups(self, counts: dict[str, int]) -> None:
        self.members = counts
        table = self.query_one(StagingTable)
        settings = {g.name: g.setting for g in self.migration.store.data.transfer_groups}
        with self.app.batch_update():
            keys = {str(k.value) for k in table.rows}
            for gone in keys - set(counts):
                table.remove_row(gone)
            for name, members in counts.items():
                values = {
                    "group": literal(name),
                    "setting": literal(settings.get(name) or "full (default)"),
                    "members": str(members),
                    "schedule": self._schedule_text(name),
                    "state": literal(self._state_text(name)),
                }
                if name in keys:
                    for key, value in values.items():
                        table.update_cell(name, key, value)
                else:
                    table.add_row(*values.values(), key=name)
        self.query_one("#staging-empty").display = not counts

    def _schedule_text(self, name: str) -> str:
        when = self.migration.scheduler.when(name)
        return f"{when:%m-%d %H:%M}" if when else DASH

    def _state_text(self, name: str) -> str:
        progress = self.snapshot.group(name) if self.snapshot else None
        return group_state(progress, self.members.get(name, 0))

    def update_snapshot(self, snapshot: ProgressSnapshot) -> None:
        """Called by the screen with each snapshot; only the cells that changed move."""
        self.snapshot = snapshot
        table = self.query_one(StagingTable)
        for name in self.members:
            if name not in {str(k.value) for k in table.rows}:
                continue
            state = self._state_text(name)
            if str(table.get_cell(name, "state")) != state:
                table.update_cell(name, "state", literal(state))
            schedule = self._schedule_text(name)
            if str(table.get_cell(name, "schedule")) != schedule:
                table.update_cell(name, "schedule", schedule)

    def current_group(self) -> str | None:
        table = self.query_one(StagingTable)
        if table.row_count == 0:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key
        return str(key.value)

    # --- actions --------------------------------------------------------------------------

    @on(Button.Pressed, "#staging-actions Button")
    def _button(self, event: Button.Pressed) -> None:
        event.stop()
        self.act(str(event.button.id).removeprefix("stage-"))

    def act(self, action: str) -> None:
        group = self.current_group()
        if group is None:
            self.notify("Make a Transfer Group first (Users tab).", severity="warning")
            return
        if self.migration.observer:
            holder = self.migration.store.lock.holder()
            self.notify(
                f"Not done: another onboard-tui (process {holder or '?'}) runs this migration "
                "and this wizard only watches. Stop that process and reopen the session here "
                "to control the groups.",
                severity="warning",
                markup=False,
            )
            return
        if action in ("start", "schedule", "resume", "retry", "delta"):
            self._with_password(lambda: self._begin(action, group))
        else:
            self.control(action, group)

    def _with_password(self, then: object) -> None:
        """Ask for the cloud admin password first when the session says `prompt`."""
        assert callable(then)
        if not self.migration.needs_password():
            then()
            return
        org = self.migration.store.data.organisation
        who = org.admin_email if org else "the administrator"

        def typed(secret: object) -> None:
            if secret is not None:
                self.migration.provide_password(secret)  # type: ignore[arg-type]
                then()

        self.app.push_screen(PasswordDialog(who), typed)

    def _begin(self, action: str, group: str) -> None:
        if action == "start":
            self.preflight(group, None)
        elif action == "schedule":

            def chosen(when: datetime | None) -> None:
                if when is None:
                    return
                if when == datetime.min:
                    self.control("unschedule", group)
                else:
                    self.preflight(group, when)

            current = self.migration.scheduler.when(group)
            self.app.push_screen(ScheduleDialog(group, self.migration.clock, current), chosen)
        else:
            self.control(action, group)

    @work(thread=True, exclusive=True, group="staging-preflight", exit_on_error=False)
    def preflight(self, group: str, when: datetime | None) -> None:
        self.post_message(PreflightDone(self.migration.preflight(group), when))

    def on_preflight_done(self, message: PreflightDone) -> None:
        message.stop()
        report, when = message.report, message.when
        action = "Start now" if when is None else f"Schedule for {when:%Y-%m-%d %H:%M} UTC"

        def decided(yes: bool | None) -> None:
            if yes:
                if when is None:
                    self.control("start", report.group)
                else:
                    self.control("schedule", report.group, when)

        self.app.push_screen(PreflightDialog(report, action), decided)

    @work(thread=True, exclusive=True, group="staging-control", exit_on_error=False)
    def control(self, action: str, group: str, when: datetime | None = None) -> None:
        m = self.migration
        if action == "start":
            m.start([group])
            text = f"'{group}' started."
        elif action == "schedule":
            m.schedule(group, when)
            text = f"'{group}' will start at {when:%Y-%m-%d %H:%M} UTC."
        elif action == "unschedule":
            m.schedule(group, None)
            text = f"'{group}' is no longer scheduled."
        elif action == "pause":
            m.pause(group)
            text = f"'{group}' pauses after the current batches."
        elif action == "resume":
            m.resume(group)
            text = f"'{group}' resumed."
        elif action == "retry":
            count = m.retry_failed(group)
            text = f"{count} failed user(s) of '{group}' queued again."
        elif action == "delta":
            m.delta_pass([group])
            text = f"Delta pass of '{group}' started: only what is new is copied."
        else:
            return
        self.post_message(MigrationActed(text))

    def on_migration_acted(self, message: MigrationActed) -> None:
        message.stop()
        self.notify(message.text, title="Staging", markup=False)
        self.reload()

    # --- schedules fire on the clock ------------------------------------------------------

    def _fire_schedules(self) -> None:
        if self.migration.observer or not self.migration.scheduler.due():
            return
        if self.migration.needs_password():
            return  # asked when the group was scheduled; a new process asks on Start
        self._start_due()

    @work(thread=True, exclusive=True, group="staging-due", exit_on_error=False)
    def _start_due(self) -> None:
        started = self.migration.start_due()
        if started:
            self.post_message(MigrationActed(f"Scheduled start: {', '.join(started)}."))
