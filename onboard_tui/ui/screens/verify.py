"""Step 2 Verify domain: the domains table, the record to create, Begin, checks, Restart.

Every DNS or cloud call runs in a thread worker and comes back as a typed message; the
table is updated by row key, never rebuilt. A one-second timer refreshes the clocks and,
when the service's schedule says a check is due, starts it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

from rich.text import Text
from textual import on, work
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widget import Widget
from textual.widgets import DataTable, Static

from onboard_tui.dns import RecordInstructions
from onboard_tui.domains.service import DomainService, DomainView, LogonNeeded, instructions_text
from onboard_tui.errors import OnboardError
from onboard_tui.roadmap import Step, StepId
from onboard_tui.roadmap.service import RoadmapService
from onboard_tui.session.model import DnsUpdateConfig
from onboard_tui.session.secrets import Secret
from onboard_tui.ui.dialogs.verify_dialogs import (
    CLEAR,
    LogonDialog,
    PromptDialog,
    UpdateSettingsDialog,
)
from onboard_tui.ui.messages import (
    DomainActionFailed,
    DomainChecked,
    DomainRecordUpdated,
    DomainsChanged,
    GoToStep,
    RoadmapChanged,
    VerificationRestarted,
)
from onboard_tui.ui.screens.step_screen import StepScreen
from onboard_tui.ui.screens.verify_detail import clean, detail_text

COLUMNS = (
    ("domain", "Domain"),
    ("status", "Status"),
    ("servers", "Servers"),
    ("since", "Since Begin"),
    ("next", "Next check"),
    ("key", "Key"),
    ("subdomains", "Subdomains"),
)
_STYLE = {
    "verified": "bold green",
    "propagating": "yellow",
    "pending": "yellow",
    "key issued": "cyan",
    "no key yet": "dim",
}


class VerifyScreen(StepScreen):
    """The seed's Internet Domain Verification window, with checks of every server."""

    CSS_PATH = "verify.tcss"
    BINDINGS = [
        Binding("a", "add_domain", "Add"),
        Binding("s", "add_subdomain", "Subdomain", show=False),
        Binding("o", "verify_ownership", "Key"),
        Binding("c", "create_record", "Create CNAME", show=False),
        Binding("b", "begin", "Begin"),
        Binding("n", "check_now", "Check now"),
        Binding("r", "restart", "Restart"),
        Binding("x", "remove_record", "Remove CNAME", show=False),
        Binding("y", "copy", "Copy"),
        Binding("w", "save", "Save", show=False),
        Binding("u", "settings", "DNS update", show=False),
        Binding("delete", "remove_domain", "Remove domain", show=False),
        Binding("ctrl+n", "next_step", "Step 3", show=False),
    ]

    def __init__(
        self, step: Step, roadmap: RoadmapService, domains: DomainService, folder: Path
    ) -> None:
        super().__init__(step, roadmap)
        self.service = domains
        self.folder = folder
        self.notes: dict[str, str] = {}
        self._checking: set[str] = set()

    # --- layout --------------------------------------------------------------------------

    def compose_body(self) -> Iterable[Widget]:
        yield Static("Step 2 Verify domain", id="verify-title")
        table: DataTable[str | Text] = DataTable(
            id="domains", cursor_type="row", zebra_stripes=True
        )
        yield table
        with VerticalScroll(id="domain-detail"):
            yield Static("", id="detail-text", markup=False)
        yield Static(
            "s subdomain · c create CNAME · x remove it · u DNS update · w save · Del remove",
            id="verify-keys",
            markup=False,
        )
        yield Static("", id="verify-status", markup=False)

    def on_mount(self) -> None:
        table = self.query_one("#domains", DataTable)
        for key, label in COLUMNS:
            table.add_column(label, key=key)
        self.reload()
        table.focus()
        self.set_interval(1.0, self._tick)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Restart is shown disabled (dimmed in the footer) before 48 hours since Begin."""
        if action == "restart":
            name = self.selected if self.is_mounted else None
            view = next((v for v in self.service.views() if v.name == name), None)
            return True if view is not None and view.restart.allowed else None
        return True

    # --- the table -------------------------------------------------------------------------

    @property
    def selected(self) -> str | None:
        table = self.query_one("#domains", DataTable)
        if table.row_count == 0:
            return None
        row_key, _ = table.coordinate_to_cell_key(table.cursor_coordinate)
        return row_key.value

    def reload(self, select: str = "") -> None:
        """Update rows by key: add new domains, update cells, remove gone ones."""
        table = self.query_one("#domains", DataTable)
        views = self.service.views()
        wanted = {v.name for v in views}
        with self.app.batch_update():
            for row_key in list(table.rows):
                if row_key.value not in wanted:
                    table.remove_row(row_key)
            for view in views:
                cells = _cells(view)
                if view.name in {k.value for k in table.rows}:
                    for (column, _), value in zip(COLUMNS, cells, strict=True):
                        table.update_cell(view.name, column, value)
                else:
                    table.add_row(*cells, key=view.name)
        if select and select in wanted:
            table.move_cursor(row=table.get_row_index(select))
        self.show_detail()
        if not views:
            self._status("No domains yet: press a to add the domain of your users' addresses.")

    def show_detail(self) -> None:
        name = self.selected
        detail = self.query_one("#detail-text", Static)
        if name is None:
            detail.update("")
            return
        view = next((v for v in self.service.views() if v.name == name), None)
        if view is None:
            return
        detail.update(
            detail_text(
                view,
                self._instructions(name),
                self.service.reports.get(name),
                self.notes.get(name, ""),
            )
        )
        self.refresh_bindings()

    def _instructions(self, name: str) -> RecordInstructions | None:
        try:
            return self.service.instructions(name)
        except OnboardError:
            return None

    @on(DataTable.RowHighlighted)
    def _highlighted(self) -> None:
        self.show_detail()

    def _tick(self) -> None:
        """Refresh the clocks; start the checks the schedule says are due."""
        table = self.query_one("#domains", DataTable)
        for view in self.service.views():
            if view.name in {k.value for k in table.rows}:
                table.update_cell(view.name, "since", view.since_begin or "—")
                table.update_cell(view.name, "next", view.next_check)
        due = [n for n in self.service.due() if n not in self._checking]
        if due:
            self._checking.update(due)
            self.poll(due)

    # --- actions -----------------------------------------------------------------------------

    def _need_selection(self) -> str | None:
        name = self.selected
        if name is None:
            self._status("Add a domain first (press a).")
        return name

    def action_add_domain(self) -> None:
        def added(value: str | None) -> None:
            if value:
                self.run_action_worker("add", value, lambda: self.service.add_domain(value).name)

        self.app.push_screen(
            PromptDialog(
                "Add a domain",
                "Add the domains of the Internet addresses of the users you provision. A name "
                "under a listed domain is added as its subdomain.",
                placeholder="renovations.com",
            ),
            added,
        )

    def action_add_subdomain(self) -> None:
        root = self._need_selection()
        if root is None:
            return

        def added(value: str | None) -> None:
            if value:
                self.run_action_worker(
                    "subdomain", root, lambda: self.service.add_subdomain(root, value).name
                )

        self.app.push_screen(
            PromptDialog(
                f"Add a subdomain of {root}",
                f"Verifying {root} also verifies the subdomains listed with it.",
                placeholder=f"west.{root}",
            ),
            added,
        )

    def action_remove_domain(self) -> None:
        name = self._need_selection()
        if name is not None:
            self.run_action_worker("remove", name, lambda: _removed(self.service, name))

    def action_verify_ownership(self) -> None:
        name = self._need_selection()
        if name is not None:
            self._status(f"Asking the cloud for the key of {name}…")
            self.run_action_worker(
                "ownership", name, lambda: self.service.verify_ownership(name).name
            )

    def action_begin(self) -> None:
        name = self._need_selection()
        if name is None:
            return
        self._status(f"Checking every name server of {name}, then beginning verification…")
        self.run_check("begin", name)

    def action_check_now(self) -> None:
        name = self._need_selection()
        if name is None:
            return
        self._status(f"Checking every authoritative name server of {name}…")
        self.run_check("check", name)

    def action_restart(self) -> None:
        name = self._need_selection()
        if name is None:
            return
        view = next(v for v in self.service.views() if v.name == name)
        if not view.restart.allowed:
            self._status(view.restart.reason)
            self.notify(view.restart.reason, title="Restart is not available yet", markup=False)
            return
        self.restart(name)

    def action_create_record(self) -> None:
        name = self._need_selection()
        if name is not None:
            self._status(f"Creating the CNAME record of {name} by DNS update…")
            self.update_record(name, remove=False)

    def action_remove_record(self) -> None:
        name = self._need_selection()
        if name is not None:
            self._status(f"Removing the CNAME record of {name} by DNS update…")
            self.update_record(name, remove=True)

    def action_copy(self) -> None:
        name = self._need_selection()
        ins = self._instructions(name) if name else None
        if ins is None:
            self._status("There is no record to copy yet: press o to get the key.")
            return
        self.app.copy_to_clipboard(instructions_text(ins))
        self._status(
            f"Copied the record of {name} (OSC 52: your terminal puts it on the clipboard)."
        )

    def action_save(self) -> None:
        name = self._need_selection()
        if name is None or self._instructions(name) is None:
            self._status("There is no record to save yet: press o to get the key.")
            return

        def chosen(value: str | None) -> None:
            if value:
                self.run_action_worker(
                    "save",
                    name,
                    lambda: f"Saved to {self.service.save_instructions(name, Path(value))}.",
                    note_only=True,
                )

        default = self.folder / f"{name}-verification.txt"
        self.app.push_screen(
            PromptDialog("Save the record to a file", "File to write:", value=str(default)),
            chosen,
        )

    def action_settings(self) -> None:
        name = self._need_selection()
        if name is None:
            return
        current = self.service.get(name).update

        def chosen(value: DnsUpdateConfig | str | None) -> None:
            if value is None:
                return
            config = None if value == CLEAR else value
            assert config is None or isinstance(config, DnsUpdateConfig)
            self.run_action_worker(
                "settings", name, lambda: self.service.set_update_settings(name, config).name
            )

        self.app.push_screen(UpdateSettingsDialog(name, current), chosen)

    def action_next_step(self) -> None:
        self.post_message(GoToStep(StepId.MIGRATE))

    # --- workers -----------------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="domain-action", exit_on_error=False)
    def run_action_worker(
        self, action: str, name: str, call: Callable[[], str], note_only: bool = False
    ) -> None:
        try:
            result = call()
        except OnboardError as exc:
            self.post_message(
                DomainActionFailed(action, name, exc, logon=isinstance(exc, LogonNeeded))
            )
            return
        if note_only:
            self.post_message(DomainsChanged(result, select=name))
        else:
            self.post_message(DomainsChanged(_done(action, result or name), select=result))

    @work(thread=True, exclusive=True, group="domain-check", exit_on_error=False)
    def run_check(self, action: str, name: str) -> None:
        try:
            begin = action == "begin"
            outcome = self.service.begin(name) if begin else self.service.check(name)
        except OnboardError as exc:
            self.post_message(
                DomainActionFailed(action, name, exc, logon=isinstance(exc, LogonNeeded))
            )
            return
        self.post_message(DomainChecked(outcome))

    @work(thread=True, exclusive=True, group="domain-poll", exit_on_error=False)
    def poll(self, names: list[str]) -> None:
        for name in names:
            try:
                outcome = self.service.check(name)
            except OnboardError as exc:
                self.post_message(DomainActionFailed("poll", name, exc))
                continue
            self.post_message(DomainChecked(outcome, automatic=True))

    @work(thread=True, exclusive=True, group="domain-action", exit_on_error=False)
    def restart(self, name: str) -> None:
        try:
            outcome = self.service.restart(name)
        except OnboardError as exc:
            self.post_message(
                DomainActionFailed("restart", name, exc, logon=isinstance(exc, LogonNeeded))
            )
            return
        self.post_message(VerificationRestarted(outcome))

    @work(thread=True, exclusive=True, group="domain-action", exit_on_error=False)
    def update_record(self, name: str, *, remove: bool) -> None:
        try:
            if remove:
                result, report = self.service.remove_record(name)
            else:
                result, report = self.service.create_record(name)
        except OnboardError as exc:
            self.post_message(DomainActionFailed("remove" if remove else "create", name, exc))
            return
        self.post_message(DomainRecordUpdated(name, result, report, remove))

    @work(thread=True, exclusive=True, group="domain-logon", exit_on_error=False)
    def log_on(self, password: Secret, action: str, name: str) -> None:
        try:
            self.service.log_on(password)
        except OnboardError as exc:
            self.post_message(DomainActionFailed(action, name, exc, logon=True))
            return
        self.post_message(DomainsChanged("Logged on to the cloud.", select=name))
        self.app.call_from_thread(self._retry, action, name)

    # --- results -----------------------------------------------------------------------------

    def on_domains_changed(self, message: DomainsChanged) -> None:
        self.reload(select=message.select)
        if message.note:
            self._status(message.note)
        self.post_message(RoadmapChanged())

    def on_domain_checked(self, message: DomainChecked) -> None:
        outcome = message.outcome
        name = outcome.domain.name
        self._checking.discard(name)
        report = outcome.report
        if outcome.newly_verified:
            self.notes[name] = "Verified: you may now remove the CNAME record."
            self.notify(
                f"{name} is verified: you may now remove the CNAME record.",
                title="Domain verified",
                markup=False,
            )
        elif outcome.cloud_note:
            self.notes[name] = outcome.cloud_note
        if not message.automatic:
            what = report.status if report else "checked"
            self._status(f"{name}: {what}. {outcome.cloud_note}".strip())
        self.reload(select=name if not message.automatic else "")
        self.post_message(RoadmapChanged())

    def on_domain_record_updated(self, message: DomainRecordUpdated) -> None:
        verb = "Removed" if message.removed else "Created"
        self.notes[message.name] = (
            f"{verb} the record via {message.result.server} port {message.result.port}; "
            f"read back: {message.report.status}."
        )
        self._status(self.notes[message.name])
        self.reload(select=message.name)

    def on_verification_restarted(self, message: VerificationRestarted) -> None:
        outcome = message.outcome
        name = outcome.domain.name
        self.notes[name] = (
            f"New key {outcome.new_key} replaces {outcome.old_key}. Change the record:\n"
            f"{outcome.change}"
        )
        self._status(f"Verification of {name} restarted with a new key.")
        self.reload(select=name)
        self.post_message(RoadmapChanged())

    def on_domain_action_failed(self, message: DomainActionFailed) -> None:
        self._checking.discard(message.domain)
        if message.logon:
            org = self.service.store.data.organisation
            logon_name = org.logon_name if org else ""

            def given(password: Secret | None) -> None:
                if password is not None:
                    self.log_on(password, message.action, message.domain)

            self.app.push_screen(LogonDialog(logon_name, str(message.error)), given)
            return
        self._status(str(message.error))
        if message.action != "poll":
            self.notify(str(message.error), severity="error", timeout=8, markup=False)

    def _retry(self, action: str, name: str) -> None:
        retry: dict[str, Callable[[], None]] = {
            "begin": self.action_begin,
            "check": self.action_check_now,
            "restart": self.action_restart,
            "ownership": self.action_verify_ownership,
        }
        if action in retry and self.selected == name:
            retry[action]()

    def _status(self, text: str) -> None:
        self.query_one("#verify-status", Static).update(clean(text))


def _cells(view: DomainView) -> list[str | Text]:
    servers = f"{view.agreeing}/{view.total}" if view.total else "—"
    state = str(view.state)
    return [
        Text(clean(view.name)),
        Text(state, style=_STYLE.get(state, "red" if view.begun_at else "")),
        servers,
        view.since_begin or "—",
        view.next_check,
        Text(clean(view.key or "—")),
        Text(clean(", ".join(view.subdomains) or "—")),
    ]


def _done(action: str, name: str) -> str:
    return {
        "add": f"Listed {name}. Press o to get its key (Verify Ownership).",
        "subdomain": f"Subdomain listed under {name}.",
        "remove": "Removed from the list.",
        "ownership": f"The cloud issued the key of {name}: create the record shown, then b.",
        "settings": f"DNS update settings of {name} saved.",
    }.get(action, name)


def _removed(service: DomainService, name: str) -> str:
    service.remove_domain(name)
    return ""
