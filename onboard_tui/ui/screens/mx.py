"""Step 5 Configure MX: every server's MX set, the plan, the gate, Apply, Undo, manual mode.

All DNS and SMTP work runs in thread workers of `MxService` and comes back as typed
messages; the servers table is updated by row key. Everything that came from DNS or an
SMTP server is shown as literal text.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from rich.text import Text
from textual import on, work
from textual.binding import Binding
from textual.containers import Grid, VerticalScroll
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import Button, DataTable, Select, Static
from textual.widgets.data_table import ColumnKey

from onboard_tui.dns import UpdateError
from onboard_tui.errors import OnboardError
from onboard_tui.mx import DomainMx, MxService
from onboard_tui.roadmap import Step, StepId
from onboard_tui.roadmap.service import RoadmapService
from onboard_tui.ui.dialogs.mx_confirm import Confirmed, ConfirmSwitchDialog
from onboard_tui.ui.dialogs.mx_manual import ManualMxDialog
from onboard_tui.ui.messages import (
    GoToStep,
    MxActionFailed,
    MxInspected,
    MxProbed,
    MxRecordsSaved,
    MxSwitched,
    RoadmapChanged,
)
from onboard_tui.ui.screens.mx_view import (
    SWITCHED_WORDS,
    gate_text,
    host,
    literal,
    plan_text,
    probe_text,
    problems_text,
    row_key,
    server_row,
    status_text,
    targets_text,
)
from onboard_tui.ui.screens.step_screen import StepScreen

COLUMNS = (("server", "Server"), ("status", "Status"), ("mx", "MX set"), ("address", "Address"))


class MxScreen(StepScreen):
    """Step 5 for the session's domains, one at a time."""

    CSS_PATH = "mx.tcss"
    BINDINGS = [
        Binding("r", "check", "Check"),
        Binding("p", "probe", "Probe SMTP"),
        Binding("a", "apply", "Apply"),
        Binding("u", "undo", "Undo"),
        Binding("m", "manual", "Manual"),
        Binding("w", "watch", "Watch"),
    ]
    WATCH_SECONDS = 10.0

    def __init__(
        self,
        step: Step,
        roadmap: RoadmapService,
        mx: MxService,
        *,
        folder: Path,
        demo_note: str = "",
        read_only: bool = False,
    ) -> None:
        super().__init__(step, roadmap)
        self.mx = mx
        self.folder = folder
        self.demo_note = demo_note or mx.probe_note
        self.read_only = read_only
        self.domain = ""
        self.view: DomainMx | None = None
        self._watching = False
        self._timer: Timer | None = None

    # --- layout --------------------------------------------------------------------------

    def compose_body(self) -> Iterable[Widget]:
        with VerticalScroll(id="mx-body"):
            yield Static("Step 5 Configure MX", classes="step-title")
            yield Static("Where: your domain hosting service.", classes="step-where")
            yield Static("", id="mx-empty", markup=False)
            yield Button("Go to Step 2 Verify domain", id="mx-go-verify", compact=True)
            yield Select[str]([], id="mx-domain", prompt="Domain", compact=True, allow_blank=True)
            yield Static("", id="mx-banner", markup=False)
            yield Static("", id="mx-result")
            yield Static("", id="mx-status")
            table: DataTable[Text] = DataTable(id="mx-servers", cursor_type="row")
            for key, label in COLUMNS:
                table.add_column(label, key=key)
            yield table
            yield Static("", id="mx-watch", markup=False)
            yield Static("", id="mx-plan")
            yield Static("", id="mx-gate")
            yield Static("", id="mx-probe")
            yield Static("", id="mx-target", markup=False)
            yield Static("", id="mx-targets")
            yield Static("", id="mx-problems")
            with Grid(id="mx-actions"):
                yield Button("Check (r)", id="mx-check", compact=True)
                yield Button("Probe SMTP (p)", id="mx-probe-smtp", compact=True)
                yield Button("Apply… (a)", id="mx-apply", variant="error", compact=True)
                yield Button("Undo… (u)", id="mx-undo", compact=True)
                yield Button("Manual… (m)", id="mx-manual", compact=True)
                yield Button("Watch (w)", id="mx-watch-toggle", compact=True)

    def on_mount(self) -> None:
        self.query_one("#mx-result").display = False
        self.query_one("#mx-banner").display = False
        self._load_domains()

    def on_screen_resume(self) -> None:
        super().on_screen_resume()
        if self.is_mounted:
            self._load_domains()

    def _load_domains(self) -> None:
        names = self.mx.domains()
        empty = not names
        self.query_one("#mx-empty", Static).update(
            "No domains yet. Add your mail domains in Step 2 Verify domain: they appear here."
            if empty
            else ""
        )
        self.query_one("#mx-empty").display = empty
        self.query_one("#mx-go-verify").display = empty
        for widget_id in ("#mx-servers", "#mx-actions", "#mx-target", "#mx-status"):
            self.query_one(widget_id).display = not empty
        select = self.query_one("#mx-domain", Select)
        select.display = len(names) > 1
        if empty:
            self.query_one("#mx-go-verify").focus()
            return
        select.set_options([(host(n), n) for n in names])
        if self.domain not in names:
            self.domain = names[0]
        select.value = self.domain
        self._show_target()
        if self.view is None or self.view.domain != self.domain:
            self.query_one("#mx-status", Static).update(Text("Asking every name server…"))
        self.query_one("#mx-servers", DataTable).focus()
        self.check(self.domain)

    def _show_target(self) -> None:
        smtp = self.mx.smtp_host
        geography = self.mx.geography_name
        if smtp:
            line = f"New MX target: {host(smtp)}" + (f" ({geography})" if geography else "")
        else:
            line = "New MX target: unknown, choose the geography in Step 1."
        record = self.mx.record(self.domain)
        update = record.update
        if update is not None:
            key = f", key {literal(update.key_name.rstrip('.'))}" if update.key_name else ""
            line += f"\nApply sends RFC 2136 to {literal(update.server) or 'the primary'}"
            line += f":{update.port}{key}."
        else:
            line += "\nNo DNS update settings: change the records yourself (m)."
        self.query_one("#mx-target", Static).update(line)

    @on(Select.Changed, "#mx-domain")
    def _domain_chosen(self, event: Select.Changed) -> None:
        value = event.value
        if isinstance(value, str) and value != self.domain:
            self._stop_watch()
            self.domain = value
            self.view = None
            self.query_one("#mx-servers", DataTable).clear()
            self._show_target()
            self.check(value)

    # --- workers -------------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="mx-check", exit_on_error=False)
    def check(self, domain: str, watching: bool = False) -> None:
        view = self.mx.watch(domain) if watching else self.mx.inspect(domain)
        self.post_message(MxInspected(view, watching))

    @work(thread=True, exclusive=True, group="mx-probe", exit_on_error=False)
    def probe(self, domain: str) -> None:
        self.post_message(MxProbed(self.mx.probe_smtp()))
        self.post_message(MxInspected(self.mx.inspect(domain)))

    @work(thread=True, exclusive=True, group="mx-apply", exit_on_error=False)
    def apply(self, domain: str, confirmed: Confirmed, undo: bool) -> None:
        try:
            if undo:
                outcome = self.mx.undo(domain, secret=confirmed.secret)
            else:
                view = self.view
                assert view is not None and view.plan is not None
                outcome = self.mx.apply(domain, view.plan, confirmed.typed, secret=confirmed.secret)
        except UpdateError as exc:
            self.post_message(MxActionFailed(domain, str(exc), exc.prerequisite_failed))
        except OnboardError as exc:
            self.post_message(MxActionFailed(domain, str(exc)))
        else:
            self.post_message(MxSwitched(outcome))

    @work(thread=True, exclusive=True, group="mx-save", exit_on_error=False)
    def save(self, domain: str, path: Path) -> None:
        view = self.view
        assert view is not None and view.plan is not None
        self.post_message(MxRecordsSaved(self.mx.save_records(domain, view.plan, path)))

    # --- results -------------------------------------------------------------------------

    def on_mx_inspected(self, message: MxInspected) -> None:
        view = message.view
        if view.domain != self.domain:
            return
        was_switched = self.view is not None and self.view.switched
        self.view = view
        self._render_view(view)
        if message.watching and view.complete:
            self._stop_watch()
            self.notify(
                f"Every name server lists only {host(view.smtp_host)}: the MX switch of "
                f"{host(view.domain)} is done.",
                title="MX switched",
                markup=False,
            )
        if view.switched != was_switched:
            self.post_message(RoadmapChanged())

    def on_mx_probed(self, message: MxProbed) -> None:
        self.query_one("#mx-probe", Static).update(probe_text(message.check, self.demo_note))

    def on_mx_switched(self, message: MxSwitched) -> None:
        outcome = message.outcome
        result = outcome.result
        what = "Undo applied" if outcome.undo else "MX switch applied"
        text = Text(f"{what} ({result.zone} via {literal(result.address)}:{result.port}, ")
        text.append("signed)." if result.signed else "unsigned).")
        text.append(" Read back: ")
        if outcome.confirmed:
            text.append("every name server shows it.", style="bold green")
        else:
            text.append(literal(outcome.read_back.message), style="bold yellow")
        self._show_result(text)
        self.post_message(RoadmapChanged())
        self.check(outcome.domain)

    def on_mx_action_failed(self, message: MxActionFailed) -> None:
        text = Text("Nothing was changed. " if message.changed else "", style="bold red")
        text.append(literal(message.error), style="red")
        if message.changed:
            text.append(
                "\nThe MX set changed since it was shown: review the new set below, then "
                "apply again.",
                style="yellow",
            )
        self._show_result(text)
        self.post_message(RoadmapChanged())
        self.check(message.domain)

    def on_mx_records_saved(self, message: MxRecordsSaved) -> None:
        self.notify(f"Saved the MX records to {message.path}.", markup=False)

    # --- drawing -------------------------------------------------------------------------

    def _show_result(self, text: Text) -> None:
        result = self.query_one("#mx-result", Static)
        result.update(text)
        result.display = True

    def _render_view(self, view: DomainMx) -> None:
        banner = self.query_one("#mx-banner", Static)
        done = view.switched or view.complete
        banner.display = done
        banner.update(SWITCHED_WORDS.format(domain=host(view.domain)) if done else "")
        self.query_one("#mx-status", Static).update(status_text(view.report))
        self._fill_table(view)
        self.query_one("#mx-targets", Static).update(targets_text(view.report))
        self.query_one("#mx-problems", Static).update(problems_text(view))
        self.query_one("#mx-plan", Static).update(plan_text(view))
        self.query_one("#mx-gate", Static).update(gate_text(view))
        self.query_one("#mx-probe", Static).update(probe_text(self.mx.last_probe, self.demo_note))
        self._show_watch(view)
        self._enable(view)

    def _fill_table(self, view: DomainMx) -> None:
        table: DataTable[Text] = self.query_one("#mx-servers", DataTable)
        report = view.report
        keys = [row_key(report, i) for i in range(len(report.servers))]
        with self.app.batch_update():
            for key in [k.value for k in table.rows if k.value not in keys]:
                if key is not None:
                    table.remove_row(key)
            for index, key in enumerate(keys):
                cells = server_row(report, index)
                if key in table.rows:
                    for (column, _), cell in zip(COLUMNS, cells, strict=True):
                        table.update_cell(key, column, cell)
                else:
                    table.add_row(*cells, key=key)
            # Widths follow what is shown now (DataTable alone only ever widens a column).
            rows = [server_row(report, i) for i in range(len(report.servers))]
            for index, (column, label) in enumerate(COLUMNS):
                width = max([len(label), *(row[index].cell_len for row in rows)])
                spec = table.columns[ColumnKey(column)]
                spec.auto_width, spec.width = False, width
            table.refresh(layout=True)

    def _enable(self, view: DomainMx) -> None:
        plan = view.plan
        can_apply = (
            not self.read_only
            and plan is not None
            and not plan.is_noop
            and view.can_update
            and view.gate.can_continue
            and not view.switched
        )
        self.query_one("#mx-apply", Button).disabled = not can_apply
        self.query_one("#mx-undo", Button).disabled = self.read_only or not view.can_undo
        self.query_one("#mx-manual", Button).disabled = plan is None or plan.is_noop

    def _show_watch(self, view: DomainMx) -> None:
        widget = self.query_one("#mx-watch", Static)
        report = view.report
        when = f"{view.checked_at:%H:%M:%S} UTC" if view.checked_at else "—"
        host_name = host(view.smtp_host)
        counted = f"{report.agreeing} of {report.total} name servers list only {host_name}"
        if self._watching:
            widget.update(
                f"Watching: {counted}; checked at {when}, again every "
                f"{self.WATCH_SECONDS:g} s (w stops)."
            )
        else:
            widget.update(f"{counted}; checked at {when}.")

    # --- actions -------------------------------------------------------------------------

    def action_check(self) -> None:
        if self.domain:
            self.check(self.domain)

    def action_probe(self) -> None:
        if self.domain:
            self.query_one("#mx-probe", Static).update(
                Text(f"SMTP probe: connecting to {host(self.mx.smtp_host)}…", style="bold")
            )
            self.probe(self.domain)

    def action_apply(self) -> None:
        view = self.view
        if view is None or self.query_one("#mx-apply", Button).disabled:
            self._explain_disabled(view)
            return
        assert view.plan is not None
        dialog = ConfirmSwitchDialog(
            view.domain,
            view.plan,
            view.gate.open_items,
            ask_secret=self.mx.needs_secret(view.domain),
        )
        self.app.push_screen(dialog, lambda c: self._confirmed(view.domain, c, undo=False))

    def action_undo(self) -> None:
        view = self.view
        if view is None or not view.can_undo or self.read_only:
            self.notify("No MX switch of this domain is recorded: nothing to undo.")
            return
        plan = view.undo_plan()
        if plan is None:
            return
        dialog = ConfirmSwitchDialog(
            view.domain,
            plan,
            (),
            undo=True,
            ask_secret=self.mx.needs_secret(view.domain),
        )
        self.app.push_screen(dialog, lambda c: self._confirmed(view.domain, c, undo=True))

    def _confirmed(self, domain: str, confirmed: Confirmed | None, *, undo: bool) -> None:
        if confirmed is None:
            return
        self._show_result(
            Text("Undoing the MX switch…" if undo else "Applying the MX switch…", style="bold")
        )
        self.apply(domain, confirmed, undo)

    def _explain_disabled(self, view: DomainMx | None) -> None:
        if view is None:
            reason = "The MX set is not known yet."
        elif view.switched:
            reason = "The switch is already recorded; Undo (u) puts the previous set back."
        elif view.plan is None:
            reason = view.plan_error
        elif view.plan.is_noop:
            reason = "The MX set is already the new one."
        elif not view.can_update:
            reason = "No DNS update settings for this domain: use the manual mode (m)."
        elif not view.gate.can_continue:
            reason = "Blocked: " + view.gate.stopping[0].reason
        else:
            reason = "This session is open read-only."
        self.notify(reason, severity="warning", markup=False)

    def action_manual(self) -> None:
        view = self.view
        if view is None or view.plan is None:
            self.notify("The MX set is not known for certain yet: check again.", markup=False)
            return
        if view.plan.is_noop:
            self.notify("The MX set is already the new one: nothing to change.", markup=False)
            return
        records = self.mx.records_text(view.domain, view.plan)
        default = Path(f"mx-{view.domain.rstrip('.')}.txt")
        self.app.push_screen(
            ManualMxDialog(view.domain, records, default), lambda r: self._manual_done(view, r)
        )

    def _manual_done(self, view: DomainMx, result: str | None) -> None:
        if result is None or view.plan is None:
            return
        if result.startswith("save:"):
            path = Path(result.removeprefix("save:")).expanduser()
            self.save(view.domain, path if path.is_absolute() else self.folder / path)
            return
        if result == "watch":
            if not self.read_only:
                self._begin_manual(view)
            self._start_watch()

    @work(thread=True, exclusive=True, group="mx-manual", exit_on_error=False)
    def _begin_manual(self, view: DomainMx) -> None:
        assert view.plan is not None
        self.mx.begin_manual(view.domain, view.plan)
        self.post_message(RoadmapChanged())

    def action_watch(self) -> None:
        if self._watching:
            self._stop_watch()
            if self.view is not None:
                self._show_watch(self.view)
        elif self.domain:
            self._start_watch()

    def _start_watch(self) -> None:
        self._watching = True
        if self._timer is None:
            self._timer = self.set_interval(self.WATCH_SECONDS, self._tick)
        self.check(self.domain, watching=True)

    def _stop_watch(self) -> None:
        self._watching = False
        if self._timer is not None:
            self._timer.stop()
            self._timer = None

    def _tick(self) -> None:
        if self._watching and self.domain:
            self.check(self.domain, watching=True)

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        actions: dict[str, Any] = {
            "mx-check": self.action_check,
            "mx-probe-smtp": self.action_probe,
            "mx-apply": self.action_apply,
            "mx-undo": self.action_undo,
            "mx-manual": self.action_manual,
            "mx-watch-toggle": self.action_watch,
            "mx-go-verify": lambda: self.post_message(GoToStep(StepId.VERIFY)),
        }
        action = actions.get(event.button.id or "")
        if action is not None:
            event.stop()
            action()
