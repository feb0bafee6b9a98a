"""Step 4 Assign subscriptions: who needs one, the provider's CSV, activation, reminders.

The table is keyed by email and loaded a page at a time (more as the cursor nears the
end); a poll updates its cells by key. Everything that touches the cloud, a file or SMTP
runs in a thread worker and comes back as a message of `ui/messages_subscribe.py`.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from pathlib import Path

from rich.text import Text
from textual import work
from textual.binding import Binding
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import DataTable, Static

from onboard_tui.comms import PasswordNeeded, SendProgress, describe
from onboard_tui.errors import OnboardError
from onboard_tui.roadmap import Step
from onboard_tui.roadmap.service import RoadmapService
from onboard_tui.session.secrets import Secret
from onboard_tui.subscriptions import (
    AT_RISK,
    AT_RISK_WARNING,
    EVERYONE,
    FILTERS,
    NOT_ASSIGNED,
    LogonNeeded,
    Reminders,
    SubscriptionService,
)
from onboard_tui.ui.dialogs.comms_dialogs import SmtpPasswordDialog
from onboard_tui.ui.dialogs.prompts import ConfirmDialog, PromptDialog
from onboard_tui.ui.dialogs.verify_dialogs import LogonDialog
from onboard_tui.ui.messages import RoadmapChanged
from onboard_tui.ui.messages_subscribe import (
    AssignProgress,
    ReminderProgress,
    RemindersReady,
    RemindersSent,
    SubscriptionsAssigned,
    SubscriptionsExported,
    SubscriptionsFailed,
    SubscriptionsLoaded,
    SubscriptionsPolled,
)
from onboard_tui.ui.screens.step_screen import WideStepScreen
from onboard_tui.ui.screens.subscribe_view import COLUMNS, MARK, cells, counters_text, deadline_text

PAGE = 200
NEAR_END = 30


class SubscribeScreen(WideStepScreen):
    """The seed's Step 4, done from the migration server."""

    CSS_PATH = "subscribe.tcss"
    BINDINGS = [
        Binding("f", "next_filter", "Filter"),
        Binding("space", "toggle_mark", "Mark", show=False),
        Binding("e", "export", "Export CSV"),
        Binding("i", "import_csv", "Import CSV"),
        Binding("a", "assign", "Assign"),
        Binding("p", "poll", "Poll"),
        Binding("r", "remind", "Remind"),
        Binding("c", "stop", "Stop", show=False),
    ]

    def __init__(
        self,
        step: Step,
        roadmap: RoadmapService,
        service: SubscriptionService,
        *,
        read_only: bool = False,
        auto_poll: bool = True,
    ) -> None:
        super().__init__(step, roadmap)
        self.service = service
        self.read_only = read_only
        self.auto_poll = auto_poll
        self.which = EVERYONE
        self.marked: set[str] = set()
        self.users: dict[str, object] = {}
        self.busy = ""
        self.sending: threading.Event | None = None
        self._generation = 0
        self._after: str | None = None
        self._loading = False
        self._timer: Timer | None = None
        self._last_export: Path | None = None

    def compose_body(self) -> Iterable[Widget]:
        yield Static(f"Step {self.step.label} · {self.step.where}", id="subs-title", markup=False)
        yield Static("", id="subs-counters")
        yield Static("", id="subs-deadline")
        yield Static(AT_RISK_WARNING, id="subs-warning", markup=False)
        yield DataTable(id="subs-table", cursor_type="row", zebra_stripes=True)
        yield Static("", id="subs-line")

    def on_mount(self) -> None:
        table = self.query_one("#subs-table", DataTable)
        for label, key, width in COLUMNS:
            table.add_column(label, key=key, width=width)
        self.query_one("#subs-warning").display = False
        self.query_one("#subs-deadline").display = False
        self.reload()
        if self.auto_poll:
            seconds = self.service.config().poll_seconds
            self._timer = self.set_interval(seconds, self._auto_poll)
            if not self.service.needs_logon():
                self.poll(automatic=True)

    def on_screen_resume(self) -> None:
        super().on_screen_resume()
        self.reload()

    # --- loading --------------------------------------------------------------------------

    def reload(self) -> None:
        self._generation += 1
        self._loading = True
        self.load(self._generation, self.which, "")

    @work(thread=True, exclusive=True, group="subs-load", exit_on_error=False)
    def load(self, generation: int, which: str, after: str) -> None:
        overview = self.service.overview()
        page = self.service.page(which, after=after, limit=PAGE)
        self.post_message(SubscriptionsLoaded(generation, overview, page, after == ""))

    def on_subscriptions_loaded(self, message: SubscriptionsLoaded) -> None:
        if message.generation != self._generation:
            return
        self._loading = False
        table = self.query_one("#subs-table", DataTable)
        with self.app.batch_update():
            if message.reset:
                table.clear()
            for user in message.page.users:
                row = cells(user, user.email in self.marked)
                if user.email in table.rows:
                    for (_, key, _), cell in zip(COLUMNS, row, strict=True):
                        table.update_cell(user.email, key, cell)
                else:
                    table.add_row(*row, key=user.email)
        self._after = message.page.after
        self.query_one("#subs-counters", Static).update(counters_text(message.overview, self.which))
        sentence, level = deadline_text(message.overview)
        banner = self.query_one("#subs-deadline", Static)
        banner.update(sentence)
        banner.display = bool(sentence)
        banner.set_class(level == "-overdue", "-overdue")
        banner.set_class(level == "-near", "-near")
        self.query_one("#subs-warning").display = self.which == AT_RISK
        if message.reset and not message.page.users and not self.busy:
            self._line(self._empty_text())

    def _empty_text(self) -> str:
        if self.which != EVERYONE:
            return "Nobody in this view. f shows another."
        return (
            "Nobody needs a subscription yet: users appear here once Step 3 stages or "
            "schedules their migration."
        )

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        table = event.data_table
        near = event.cursor_row >= table.row_count - NEAR_END
        if near and self._after is not None and not self._loading:
            self._loading = True
            self.load(self._generation, self.which, self._after)

    # --- actions --------------------------------------------------------------------------

    def action_next_filter(self) -> None:
        self.which = FILTERS[(FILTERS.index(self.which) + 1) % len(FILTERS)]
        self.reload()

    def action_toggle_mark(self) -> None:
        table = self.query_one("#subs-table", DataTable)
        if table.row_count == 0:
            return
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value or ""
        if key in self.marked:
            self.marked.discard(key)
            table.update_cell(key, "mark", Text(" "))
        else:
            self.marked.add(key)
            table.update_cell(key, "mark", MARK)
        self._line(f"{len(self.marked)} marked: a assigns them." if self.marked else "")

    def action_export(self) -> None:
        self.export()

    @work(thread=True, exclusive=True, group="subs-export", exit_on_error=False)
    def export(self) -> None:
        try:
            path, count = self.service.export()
        except OnboardError as exc:
            self.post_message(SubscriptionsFailed("export", exc))
            return
        self.post_message(SubscriptionsExported(path, count))

    def on_subscriptions_exported(self, message: SubscriptionsExported) -> None:
        self._last_export = message.path
        text = (
            f"{message.count} user(s) written to {message.path} for the solution provider's "
            "portal. Assign there, then import the provider's CSV back (i), or mark them "
            "assigned here (a)."
        )
        self._line(text)
        self.notify(text, title="Exported", markup=False)

    def action_import_csv(self) -> None:
        if self._refuse_read_only():
            return

        def chosen(path: str | None) -> None:
            if path:
                self._start("Reading the provider's CSV…")
                self.import_csv(Path(path).expanduser())

        self.app.push_screen(
            PromptDialog(
                "Import the provider's CSV",
                "The CSV your solution provider gives back (an Email column; optional "
                "Subscription type and Status). Path:",
                str(self._last_export or ""),
                ok="Import",
            ),
            chosen,
        )

    @work(thread=True, exclusive=True, group="subs-assign", exit_on_error=False)
    def import_csv(self, path: Path) -> None:
        try:
            result = self.service.import_provider_csv(path, progress=self._progress)
        except OnboardError as exc:
            self.post_message(
                SubscriptionsFailed("import", exc, logon=isinstance(exc, LogonNeeded))
            )
            return
        self.post_message(SubscriptionsAssigned(result.report, result))

    def action_assign(self) -> None:
        if self._refuse_read_only() or self.busy:
            return
        self.pick_for_assign()

    @work(thread=True, exclusive=True, group="subs-plan", exit_on_error=False)
    def pick_for_assign(self) -> None:
        emails = sorted(self.marked) or self.service.table.emails(NOT_ASSIGNED)
        self.app.call_from_thread(self._confirm_assign, emails)

    def _confirm_assign(self, emails: list[str]) -> None:
        if not emails:
            self.notify("Everyone here already has a subscription.", markup=False)
            return
        kind = self.service.config().type
        who = "the marked users" if self.marked else "every user not yet assigned"
        question = (
            f"Provision {len(emails)} user(s) ({who}) in the cloud and assign each a "
            f"'{kind}' subscription? First: {', '.join(emails[:3])}"
            + (f" and {len(emails) - 3} more." if len(emails) > 3 else ".")
        )

        def confirmed(ok: bool | None) -> None:
            if ok:
                self._start(f"Assigning {len(emails)} subscription(s)…")
                self.assign(emails)

        self.app.push_screen(
            ConfirmDialog("Mark assigned", question, f"Assign {len(emails)}"), confirmed
        )

    @work(thread=True, exclusive=True, group="subs-assign", exit_on_error=False)
    def assign(self, emails: list[str]) -> None:
        try:
            report = self.service.mark_assigned(emails, progress=self._progress)
        except OnboardError as exc:
            self.post_message(
                SubscriptionsFailed("assign", exc, logon=isinstance(exc, LogonNeeded))
            )
            return
        self.post_message(SubscriptionsAssigned(report))

    def _progress(self, done: int, total: int, email: str) -> None:
        self.post_message(AssignProgress(done, total, email))

    def on_assign_progress(self, message: AssignProgress) -> None:
        self._line(f"{message.done} of {message.total}: {message.email}")

    def on_subscriptions_assigned(self, message: SubscriptionsAssigned) -> None:
        self.busy = ""
        self.marked.clear()
        text = message.report.summary
        if message.imported is not None:
            problems = message.imported.problems
            text = f"{message.imported.rows} row(s) read: " + text
            if problems:
                text += f" {len(problems)} row(s) refused: " + "; ".join(
                    str(p) for p in problems[:3]
                )
        self._line(text)
        failed = bool(message.report.failed or (message.imported and message.imported.problems))
        self.notify(text, severity="warning" if failed else "information", markup=False)
        self.reload()
        self.post_message(RoadmapChanged())

    def action_poll(self) -> None:
        self._line("Asking the cloud who has activated…")
        self.poll(automatic=False)

    def _auto_poll(self) -> None:
        if not self.busy and not self.service.needs_logon():
            self.poll(automatic=True)

    @work(thread=True, exclusive=True, group="subs-poll", exit_on_error=False)
    def poll(self, automatic: bool) -> None:
        try:
            report = self.service.poll()
        except OnboardError as exc:
            if not automatic:
                self.post_message(
                    SubscriptionsFailed("poll", exc, logon=isinstance(exc, LogonNeeded))
                )
            return
        self.post_message(SubscriptionsPolled(report, automatic))

    def on_subscriptions_polled(self, message: SubscriptionsPolled) -> None:
        fresh = message.report.newly_activated
        if fresh:
            text = f"{len(fresh)} user(s) activated: {', '.join(fresh[:3])}" + (
                f" and {len(fresh) - 3} more." if len(fresh) > 3 else "."
            )
            self.notify(text, title="Activations", markup=False)
            self._line(text)
        elif not message.automatic:
            self._line(f"Polled {message.report.checked} cloud user(s): no new activation.")
        self.reload()
        self.post_message(RoadmapChanged())

    # --- reminders ------------------------------------------------------------------------

    def action_remind(self) -> None:
        if self._refuse_read_only() or self.sending is not None:
            return
        self.plan_reminders()

    @work(thread=True, exclusive=True, group="subs-plan", exit_on_error=False)
    def plan_reminders(self) -> None:
        try:
            reminders = self.service.reminders()
        except OnboardError as exc:
            self.post_message(SubscriptionsFailed("remind", exc))
            return
        self.post_message(RemindersReady(reminders))

    def on_reminders_ready(self, message: RemindersReady) -> None:
        reminders = message.reminders
        if reminders.plan.count == 0:
            self.notify(
                "Nobody to remind: every assigned user has activated, or was reminded "
                "already (Communicate can send it again with Force).\n" + reminders.confirmation,
                severity="warning",
                markup=False,
            )
            return

        def confirmed(ok: bool | None) -> None:
            if not ok:
                return
            if self.service.comms.password_needed():
                s = self.service.comms.smtp_settings()

                def typed(secret: Secret | None) -> None:
                    if secret is not None:
                        self._send(reminders, secret)

                self.app.push_screen(SmtpPasswordDialog(s.username, describe(s)), typed)
            else:
                self._send(reminders, None)

        title = "Remind users to activate"
        yes = f"Send {reminders.plan.count}"
        self.app.push_screen(ConfirmDialog(title, reminders.confirmation, yes), confirmed)

    def _send(self, reminders: Reminders, password: Secret | None) -> None:
        self.sending = threading.Event()
        self._line("Sending reminders… c stops.")
        self.send_reminders(reminders, password, self.sending)

    @work(thread=True, exclusive=True, group="subs-send", exit_on_error=False)
    def send_reminders(
        self, reminders: Reminders, password: Secret | None, stop: threading.Event
    ) -> None:
        try:
            report = self.service.send_reminders(
                reminders,
                password=password,
                progress=self._reminder_progress,
                stop=stop,
            )
        except OnboardError as exc:
            self.post_message(SubscriptionsFailed("send", exc))
            return
        finally:
            del password
        self.post_message(RemindersSent(report))

    def _reminder_progress(self, progress: SendProgress) -> None:
        self.post_message(ReminderProgress(progress))

    def on_reminder_progress(self, message: ReminderProgress) -> None:
        p = message.progress
        self._line(
            f"Reminders: {p.sent} sent, {p.failed} failed, {p.remaining} to go"
            f" · {p.per_minute:.1f}/min · c stops"
        )

    def on_reminders_sent(self, message: RemindersSent) -> None:
        self.sending = None
        r = message.report
        text = f"Reminders: {r.sent} sent, {len(r.failed)} failed"
        if r.stopped:
            text += f", stopped with {r.remaining} not sent"
        if r.error:
            text += f". The server failed: {r.error}"
        self._line(text)
        self.notify(text, severity="error" if r.error or r.failed else "information", markup=False)

    def action_stop(self) -> None:
        if self.sending is not None:
            self.sending.set()
            self._line("Stopping after the current message…")

    # --- failures -------------------------------------------------------------------------

    def on_subscriptions_failed(self, message: SubscriptionsFailed) -> None:
        self.busy = ""
        if message.logon:
            org = self.service.store.data.organisation

            def given(password: Secret | None) -> None:
                if password is not None:
                    self.log_on(password, message.action)

            name = org.logon_name if org else ""
            self.app.push_screen(LogonDialog(name, str(message.error)), given)
            return
        if isinstance(message.error, PasswordNeeded):
            self.sending = None
        self._line(str(message.error))
        self.notify(str(message.error), severity="error", timeout=10, markup=False)

    @work(thread=True, exclusive=True, group="subs-logon", exit_on_error=False)
    def log_on(self, password: Secret, action: str) -> None:
        try:
            self.service.log_on(password)
        except OnboardError as exc:
            self.post_message(SubscriptionsFailed(action, exc, logon=True))
            return
        finally:
            del password
        self.app.call_from_thread(self._line, "Logged on to the cloud. Press the key again.")
        if action == "poll":
            self.poll(automatic=False)

    def _start(self, text: str) -> None:
        self.busy = text
        self._line(text)

    def _line(self, text: str) -> None:
        self.query_one("#subs-line", Static).update(Text(text))

    def _refuse_read_only(self) -> bool:
        if self.read_only:
            self.notify(
                "This session is open read-only: another onboard-tui has it.",
                severity="warning",
                markup=False,
            )
        return self.read_only
