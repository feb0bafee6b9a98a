"""Communicate: the message templates, a preview for any user, sending through SMTP with
progress (or the .eml dry run), and who has received what.

Everything that touches files, state.db or the SMTP server runs in a thread worker and
comes back as a typed message; tables are updated by row key. Directory data and template
text are shown literally (never as markup).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from pathlib import Path

from rich.text import Text
from textual import work
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widget import Widget
from textual.widgets import DataTable, Static, TabbedContent, TabPane

from onboard_tui.comms import (
    FAILED,
    FAILED_ONLY,
    NOT_SENT,
    SENDING,
    SENT,
    Audience,
    CommsService,
    PasswordNeeded,
    SendPlan,
    SendProgress,
    StatusRow,
    describe,
)
from onboard_tui.errors import OnboardError
from onboard_tui.roadmap import Step
from onboard_tui.roadmap.service import RoadmapService
from onboard_tui.session.model import SmtpSettings
from onboard_tui.session.secrets import Secret
from onboard_tui.ui.dialogs.comms_dialogs import (
    RecipientChoice,
    RecipientsDialog,
    SmtpPasswordDialog,
    SmtpSettingsDialog,
    TemplateEditor,
)
from onboard_tui.ui.dialogs.prompts import ConfirmDialog, PickDialog, PromptDialog
from onboard_tui.ui.messages import (
    CommsExported,
    CommsFailed,
    CommsLoaded,
    CommsNote,
    CommsPlanReady,
    CommsPreviewReady,
    CommsProgress,
    CommsSent,
    RoadmapChanged,
)
from onboard_tui.ui.screens.step_screen import StepScreen
from onboard_tui.ui.widgets.literal import clean, literal

_STATUS_STYLE = {SENT: "green", FAILED: "bold red", SENDING: "yellow", NOT_SENT: "dim"}
_STATUS_COLUMNS = (
    ("email", "Email"),
    ("status", "Status"),
    ("at", "Sent at"),
    ("group", "Group"),
    ("error", "Error"),
)


class CommunicateScreen(StepScreen):
    """Templates, preview, send or export, and per-user sent status."""

    CSS_PATH = "communicate.tcss"
    BINDINGS = [
        Binding("e", "edit", "Edit"),
        Binding("p", "preview", "Preview"),
        Binding("s", "send", "Send"),
        Binding("x", "export", "Export .eml"),
        Binding("r", "retry", "Retry failed", show=False),
        Binding("m", "smtp", "SMTP"),
        Binding("t", "test_smtp", "Test SMTP", show=False),
        Binding("v", "values", "Dates & URL", show=False),
        Binding("c", "stop", "Stop sending"),
    ]

    def __init__(
        self, step: Step, roadmap: RoadmapService, comms: CommsService, *, demo: bool = False
    ) -> None:
        super().__init__(step, roadmap)
        self.comms = comms
        self.demo = demo
        self.selected = ""
        self.preview_email = ""
        self.sending: threading.Event | None = None

    # --- layout --------------------------------------------------------------------------

    def compose_body(self) -> Iterable[Widget]:
        yield Static("Communicate with your users", id="comms-title")
        templates: DataTable[object] = DataTable(id="comms-templates", cursor_type="row")
        yield templates
        with TabbedContent(id="comms-tabs"):
            with TabPane("Preview", id="tab-preview"), VerticalScroll(id="comms-preview-box"):
                yield Static(
                    "Press p and type part of an email to preview the selected template.",
                    id="comms-preview",
                    markup=False,
                )
            with TabPane("Sent status", id="tab-status"):
                status: DataTable[object] = DataTable(id="comms-status", cursor_type="row")
                yield status
        yield Static("r retry failed · t test SMTP · v dates, URL", id="comms-keys")
        yield Static("", id="comms-line", markup=False)

    def on_mount(self) -> None:
        table = self.query_one("#comms-templates", DataTable)
        table.add_column("Template", key="name")
        table.add_column("Sent", key="sent")
        table.add_column("Failed", key="failed")
        table.add_column("Subject", key="subject")
        status = self.query_one("#comms-status", DataTable)
        for key, label in _STATUS_COLUMNS:
            status.add_column(label, key=key)
        self._show_smtp_line()
        self.load()
        table.focus()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        busy = self.sending is not None
        if action == "stop":
            return True if busy else None
        if action in ("send", "export", "retry", "edit", "smtp", "values") and busy:
            return None
        return True

    def _show_smtp_line(self, extra: str = "") -> None:
        s = self.comms.smtp_settings()
        if s.host:
            text = f"SMTP: {describe(s)} from {s.from_address}, {s.rate_per_minute}/min."
            if self.demo and self.comms.demo_mail_folder is not None:
                text = (
                    f"Demo mail server {describe(s)}, {s.rate_per_minute}/min: "
                    "mail lands in demo-mail/<address>/."
                )
        else:
            text = "No SMTP server yet: press m to set one, or export .eml files (x)."
        self.query_one("#comms-line", Static).update(extra or text)

    # --- loading -------------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="comms-load", exit_on_error=False)
    def load(self) -> None:
        templates = self.comms.templates()
        selected = self.selected or (templates[0].name if templates else "")
        rows = self.comms.status(selected) if selected else []
        counts = self.comms.counts(selected) if selected else {}
        self.post_message(CommsLoaded(templates, selected, rows, counts))

    def on_comms_loaded(self, message: CommsLoaded) -> None:
        table = self.query_one("#comms-templates", DataTable)
        with self.app.batch_update():
            wanted = {t.name for t in message.templates}
            for row_key in [k for k in table.rows if k.value not in wanted]:
                table.remove_row(row_key)
            for t in message.templates:
                cells = (
                    literal(t.name),
                    str(t.counts.get(SENT, 0)),
                    str(t.counts.get(FAILED, 0)),
                    literal(t.problem or t.subject, "red" if t.problem else ""),
                )
                if t.name in table.rows:
                    for (key, _), value in zip(
                        (("name", 0), ("sent", 0), ("failed", 0), ("subject", 0)),
                        cells,
                        strict=True,
                    ):
                        table.update_cell(t.name, key, value)
                else:
                    table.add_row(*cells, key=t.name)
            self._fill_status(message.rows)
        if message.selected and not self.selected:
            self.selected = message.selected
        counts = message.counts
        self.query_one("#comms-tabs", TabbedContent).get_tab("tab-status").label = (
            f"Sent status ({counts.get(SENT, 0)} sent, {counts.get(FAILED, 0)} failed, "
            f"{counts.get(NOT_SENT, 0)} not sent)"
        )

    def _fill_status(self, rows: list[StatusRow]) -> None:
        table = self.query_one("#comms-status", DataTable)
        table.clear()
        for row in rows:
            table.add_row(
                literal(row.email),
                literal(row.status, _STATUS_STYLE.get(row.status, "")),
                row.sent_at,
                literal(row.group),
                literal(row.error, "red"),
                key=row.email.casefold(),
            )

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.data_table.id != "comms-templates" or event.row_key.value is None:
            return
        if event.row_key.value != self.selected:
            self.selected = event.row_key.value
            self.load()
            if self.preview_email:
                self.make_preview(self.selected, self.preview_email)

    # --- edit ----------------------------------------------------------------------------

    def action_edit(self) -> None:
        name = self.selected
        if not name:
            return
        try:
            text = self.comms.template_text(name)
        except OSError as exc:
            self.notify(f"Cannot read the template: {exc}", severity="error", markup=False)
            return
        title = f"Template {name} (templates/{name}.eml.txt in the session folder)"
        self._edit(title, text, lambda t: self._save(name, t))

    def action_values(self) -> None:
        self._edit(
            "Dates and login URL (templates/values.toml in the session folder)",
            self.comms.values_text(),
            self.comms.save_values,
        )

    def _save(self, name: str, text: str) -> None:
        self.comms.save_template(name, text)

    def _edit(self, title: str, text: str, save: Callable[[str], object]) -> None:
        def closed(saved: bool | None) -> None:
            if saved:
                self.notify("Saved.", markup=False)
                self.load()
                if self.preview_email:
                    self.make_preview(self.selected, self.preview_email)

        self.app.push_screen(TemplateEditor(title, text, save), closed)

    # --- preview -------------------------------------------------------------------------

    def action_preview(self) -> None:
        def typed(search: str | None) -> None:
            if not search:
                return
            users = self.comms.find_users(search, 20)
            if not users:
                self.notify(f"No user matches {clean(search)}.", severity="warning", markup=False)
            elif len(users) == 1:
                self.make_preview(self.selected, users[0].email)
            else:
                emails = [u.email for u in users]

                def picked(email: str | None) -> None:
                    if email:
                        self.make_preview(self.selected, email)

                self.app.push_screen(
                    PickDialog("Preview for", f"{len(emails)} users match:", emails), picked
                )

        self.app.push_screen(
            PromptDialog(
                "Preview",
                "Preview for which user? Type part of an email address or a name.",
                self.preview_email,
                ok="Preview",
            ),
            typed,
        )

    @work(thread=True, exclusive=True, group="comms-preview", exit_on_error=False)
    def make_preview(self, name: str, email: str) -> None:
        try:
            preview = self.comms.preview(name, email)
        except OnboardError as exc:
            self.post_message(CommsFailed("preview", exc))
            return
        self.post_message(CommsPreviewReady(preview))

    def on_comms_preview_ready(self, message: CommsPreviewReady) -> None:
        p = message.preview
        self.preview_email = p.email
        status = p.status.status if p.status else NOT_SENT
        if p.status and p.status.sent_at:
            status += f" {p.status.sent_at:%Y-%m-%d %H:%M}"
        head = f"From: {p.sender}\nTo: {p.to}\n"
        if p.problem:
            text = head + f"\nThis message cannot be written for {p.email}:\n{p.problem}"
        else:
            text = head + f"Subject: {p.subject}\nStatus: {status}\n\n{p.body}"
        self.query_one("#comms-preview", Static).update(_lines(text))
        self.query_one("#comms-tabs", TabbedContent).active = "tab-preview"

    # --- send and export -----------------------------------------------------------------

    def action_send(self) -> None:
        self._choose(export=False)

    def action_export(self) -> None:
        self._choose(export=True)

    def action_retry(self) -> None:
        if self.selected:
            self.make_plan(self.selected, Audience(FAILED_ONLY), False, False)

    def _choose(self, *, export: bool) -> None:
        name = self.selected
        if not name:
            return
        if not export and not self.comms.smtp_settings().host:
            self.notify(
                "Set the SMTP server first (m), or export .eml files (x).",
                severity="warning",
                markup=False,
            )
            return
        verb = "Export" if export else "Send"

        def pick_group(done: Callable[[str | None], None]) -> None:
            self.app.push_screen(
                PickDialog("Transfer Group", "Which group?", self.comms.groups()), done
            )

        def chosen(choice: RecipientChoice | None) -> None:
            if choice is not None:
                self.make_plan(name, choice.audience, choice.force, export)

        self.app.push_screen(
            RecipientsDialog(f"{verb} '{name}' to…", self.comms.groups(), pick_group), chosen
        )

    @work(thread=True, exclusive=True, group="comms-plan", exit_on_error=False)
    def make_plan(self, name: str, audience: Audience, force: bool, export: bool) -> None:
        try:
            plan = self.comms.plan(name, audience, force=force)
            target = Path("outbox") if export else None
            text = self.comms.confirmation(plan, export_to=target)
        except OnboardError as exc:
            self.post_message(CommsFailed("plan", exc))
            return
        self.post_message(CommsPlanReady(plan, text, export))

    def on_comms_plan_ready(self, message: CommsPlanReady) -> None:
        plan = message.plan
        if plan.count == 0:
            self.notify("Nobody to write to.\n" + message.text, severity="warning", markup=False)
            return
        yes = f"Export {plan.count}" if message.export else f"Send {plan.count}"

        def confirmed(ok: bool | None) -> None:
            if not ok:
                return
            if message.export:
                self.export_plan(plan)
            elif self.comms.password_needed():
                self._ask_password(plan)
            else:
                self._start_send(plan, None)

        title = "Export .eml files" if message.export else "Send messages"
        self.app.push_screen(ConfirmDialog(title, message.text, yes), confirmed)

    def _ask_password(self, plan: SendPlan) -> None:
        s = self.comms.smtp_settings()

        def typed(secret: Secret | None) -> None:
            if secret is not None:
                self._start_send(plan, secret)

        self.app.push_screen(SmtpPasswordDialog(s.username, describe(s)), typed)

    def _start_send(self, plan: SendPlan, password: Secret | None) -> None:
        self.sending = threading.Event()
        self.refresh_bindings()
        self.query_one("#comms-tabs", TabbedContent).active = "tab-status"
        self.send_plan(plan, password, self.sending)

    @work(thread=True, exclusive=True, group="comms-send", exit_on_error=False)
    def send_plan(self, plan: SendPlan, password: Secret | None, stop: threading.Event) -> None:
        def progress(p: SendProgress) -> None:
            self.post_message(CommsProgress(p))

        try:
            report = self.comms.send(plan, password=password, progress=progress, stop=stop)
        except OnboardError as exc:
            self.post_message(CommsFailed("send", exc, password=isinstance(exc, PasswordNeeded)))
            return
        finally:
            del password
        self.post_message(CommsSent(report))

    def on_comms_progress(self, message: CommsProgress) -> None:
        p = message.progress
        self.query_one("#comms-line", Static).update(
            f"Sending '{p.template}': {p.sent} sent, {p.failed} failed, {p.remaining} to go"
            f" · {p.per_minute:.1f}/min · c stops"
        )
        if p.current:
            record = self.comms.ledger.record(p.template, p.current)
            table = self.query_one("#comms-status", DataTable)
            key = p.current.casefold()
            if record is not None and key in table.rows:
                table.update_cell(
                    key, "status", literal(record.status, _STATUS_STYLE.get(record.status, ""))
                )
                at = f"{record.sent_at:%Y-%m-%d %H:%M}" if record.sent_at else ""
                table.update_cell(key, "at", at)
                table.update_cell(key, "error", literal(record.error, "red"))

    def on_comms_sent(self, message: CommsSent) -> None:
        r = message.report
        self._finished()
        text = f"'{r.template}': {r.sent} sent, {len(r.failed)} failed"
        if r.stopped:
            text += f", stopped with {r.remaining} not sent"
        if r.error:
            text += f". The server failed: {r.error}"
        elif r.failed:
            text += ". r retries the failed ones."
        self._show_smtp_line(text)
        self.notify(text, severity="error" if r.error or r.failed else "information", markup=False)
        self.load()
        self.post_message(RoadmapChanged())

    def action_stop(self) -> None:
        if self.sending is not None:
            self.sending.set()
            self.query_one("#comms-line", Static).update("Stopping after the current message…")

    def _finished(self) -> None:
        self.sending = None
        self.refresh_bindings()

    @work(thread=True, exclusive=True, group="comms-export", exit_on_error=False)
    def export_plan(self, plan: SendPlan) -> None:
        try:
            report = self.comms.export(plan)
        except OnboardError as exc:
            self.post_message(CommsFailed("export", exc))
            return
        self.post_message(CommsExported(report))

    def on_comms_exported(self, message: CommsExported) -> None:
        r = message.report
        text = f"{r.written} .eml file(s) of '{r.template}' written to {r.folder}"
        self._show_smtp_line(text)
        self.notify(text + ". Nothing was sent.", markup=False)

    # --- SMTP settings -------------------------------------------------------------------

    def action_smtp(self) -> None:
        def saved(settings: SmtpSettings | None) -> None:
            if settings is not None:
                self._show_smtp_line()
                self.notify("SMTP settings saved in session.toml.", markup=False)

        self.app.push_screen(
            SmtpSettingsDialog(self.comms.smtp_settings(), self.comms.save_smtp), saved
        )

    def action_test_smtp(self) -> None:
        if self.comms.password_needed():
            s = self.comms.smtp_settings()

            def typed(secret: Secret | None) -> None:
                if secret is not None:
                    self.test_smtp(secret)

            self.app.push_screen(SmtpPasswordDialog(s.username, describe(s)), typed)
        else:
            self.test_smtp(None)

    @work(thread=True, exclusive=True, group="comms-test", exit_on_error=False)
    def test_smtp(self, password: Secret | None) -> None:
        try:
            self.post_message(CommsNote(self.comms.check_smtp(password)))
        except OnboardError as exc:
            self.post_message(CommsFailed("test", exc))

    def on_comms_note(self, message: CommsNote) -> None:
        self._show_smtp_line(message.text)
        self.notify(message.text, markup=False)

    def on_comms_failed(self, message: CommsFailed) -> None:
        if message.action == "send":
            self._finished()
            self.load()
        self._show_smtp_line(f"{message.action.capitalize()} failed: {message.error}")
        self.notify(str(message.error), severity="error", timeout=10, markup=False)


def _lines(text: str) -> Text:
    """Several lines of untrusted text: each line literal, the line breaks kept."""
    return Text("\n".join(clean(line) for line in text.split("\n")))
