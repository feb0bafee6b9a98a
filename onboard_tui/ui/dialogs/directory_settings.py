"""The LDAP directory settings form: Active Directory or Domino, Test connection, Save, Import.

Test connection names the stage that failed (name lookup, TCP, TLS, bind, search base) on
the form as typed, before anything is saved. The bind password is a reference (env:,
file:, prompt) in session.toml; a prompted one is typed in a masked dialog and kept in
the caller's memory only. Import saves the form, then hands over to the import review.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from rich.text import Text
from textual import on, work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Input, Label, Select, Static
from textual.worker import Worker, WorkerState

from onboard_tui.directory import ConnectionReport, DirectoryService
from onboard_tui.directory.ldapconn import STAGES
from onboard_tui.directory.ldapform import BINDS, KINDS, SECURITY, LdapForm, default_port
from onboard_tui.errors import OnboardError
from onboard_tui.session.model import LdapSource
from onboard_tui.session.secrets import Secret, SecretRef
from onboard_tui.ui.dialogs.secret_prompt import SecretPrompt
from onboard_tui.ui.messages import DirectorySaved, DirectoryTested
from onboard_tui.ui.widgets.literal import literal

#: What to do once the password is known (a typed Secret, or None: read the reference).
Then = Callable[[Secret | None], None]
FILTER_HELP = {
    "ad": "The default takes enabled users with a mail address (disabled accounts left out).",
    "domino": "The default takes Domino person documents with a mail address.",
}


@dataclass
class ImportRequest:
    """What the form hands back when Import was chosen: which directory (a typed password
    is in the caller's `passwords`; otherwise the saved reference is read)."""

    kind: str


class DirectoryPasswordDialog(SecretPrompt):
    """The bind password when the session says `prompt`: typed masked, never stored."""

    CSS_PATH = ["prompts.tcss", "directory_settings.tcss"]

    def __init__(self, user: str, where: str) -> None:
        super().__init__()
        self.user = user
        self.where = where

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box"):
            yield Static("Directory password", classes="dialog-title")
            yield Static(
                f"Password of {self.user} on {self.where}. It is kept in memory until the "
                "wizard closes, never saved. (For `onboard-tui import-users --ldap`, set the "
                "password field to env:NAME or file:PATH.)",
                classes="dialog-text",
                markup=False,
            )
            yield Input(password=True, id="dir-secret", compact=True)


class DirectorySettingsDialog(ModalScreen[ImportRequest | None]):
    """The connection form; returns an ImportRequest when Import was chosen, else None."""

    CSS_PATH = ["prompts.tcss", "directory_settings.tcss"]
    BINDINGS = [Binding("escape", "cancel", "Close")]

    def __init__(self, directory: DirectoryService, passwords: dict[str, Secret]) -> None:
        super().__init__()
        self.directory = directory
        self.passwords = passwords  # the caller's, in memory only, per directory kind
        self.form = directory.ldap_form()
        self._loading = False

    # --- layout --------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        f = self.form
        with Vertical(id="dir-box"):
            yield Static("Directory over LDAP", classes="dialog-title")
            with VerticalScroll(id="dir-form"):
                yield from _row(
                    "Directory",
                    Select(
                        [(label, kind) for kind, label in KINDS.items()],
                        value=f.kind,
                        allow_blank=False,
                        id="dir-kind",
                        compact=True,
                    ),
                )
                with Horizontal(classes="dir-row"):
                    yield Label("Host", classes="dir-label")
                    yield Input(
                        f.host, placeholder="dc1.renovations.com", id="dir-host", compact=True
                    )
                    yield Label(" Port ", classes="dir-port-label")
                    yield Input(f.port, id="dir-port", compact=True)
                with Horizontal(classes="dir-row"):
                    yield Label("Security", classes="dir-label")
                    yield Select(
                        [(label, key) for key, label in SECURITY.items()],
                        value=f.security,
                        allow_blank=False,
                        id="dir-security",
                        compact=True,
                    )
                    yield Checkbox(
                        "verify the certificate", f.verify_tls, id="dir-verify", compact=True
                    )
                yield from _row(
                    "CA file",
                    Input(
                        f.ca_file,
                        placeholder="/etc/ssl/certs/corp-ca.pem (empty: the system's CAs)",
                        id="dir-ca",
                        compact=True,
                    ),
                )
                yield from _row(
                    "Bind",
                    Select(
                        [(label, key) for key, label in BINDS.items()],
                        value=f.bind_method,
                        allow_blank=False,
                        id="dir-bind",
                        compact=True,
                    ),
                )
                yield from _row(
                    "Bind DN / user",
                    Input(
                        f.bind_user,
                        placeholder="CN=svc-onboard,OU=Service,DC=renovations,DC=com or RENO\\svc",
                        id="dir-user",
                        compact=True,
                    ),
                )
                yield from _row(
                    "Password",
                    Input(
                        f.bind_password,
                        placeholder="prompt, env:NAME or file:/path (mode 0600)",
                        id="dir-password",
                        compact=True,
                    ),
                )
                yield Static(
                    "A reference, never the password: prompt asks when needed.",
                    classes="dir-help",
                )
                yield from _row(
                    "Base DN",
                    Input(
                        f.base_dn, placeholder="DC=renovations,DC=com", id="dir-base", compact=True
                    ),
                )
                yield from _row("Filter", Input(f.filter, id="dir-filter", compact=True))
                yield Static(FILTER_HELP[f.kind], id="dir-filter-help", classes="dir-help")
            yield Static("", id="dir-result")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Test connection", id="dir-test", variant="primary", compact=True)
                yield Button("Save", id="dir-save", compact=True)
                yield Button("Import…", id="dir-import", compact=True)
                yield Button("Close", id="dir-close", compact=True)

    def on_mount(self) -> None:
        self._security_shown(self.form.security)
        self.query_one("#dir-host", Input).focus()

    # --- the form ------------------------------------------------------------------------

    def read_form(self) -> LdapForm:
        """The form as typed now."""

        def text(name: str) -> str:
            return self.query_one(f"#dir-{name}", Input).value

        def choice(name: str, default: str) -> str:
            value = self.query_one(f"#dir-{name}", Select).value
            return value if isinstance(value, str) else default

        return LdapForm(
            kind=choice("kind", "ad"),
            host=text("host"),
            port=text("port"),
            security=choice("security", "ldaps"),
            verify_tls=self.query_one("#dir-verify", Checkbox).value,
            ca_file=text("ca"),
            bind_method=choice("bind", "simple"),
            bind_user=text("user"),
            bind_password=text("password"),
            base_dn=text("base"),
            filter=text("filter"),
        )

    def _fill(self, form: LdapForm) -> None:
        self._loading = True
        try:
            for name, value in (
                ("host", form.host), ("port", form.port), ("ca", form.ca_file),
                ("user", form.bind_user), ("password", form.bind_password),
                ("base", form.base_dn), ("filter", form.filter),
            ):  # fmt: skip
                self.query_one(f"#dir-{name}", Input).value = value
            self.query_one("#dir-security", Select).value = form.security
            self.query_one("#dir-bind", Select).value = form.bind_method
            self.query_one("#dir-verify", Checkbox).value = form.verify_tls
        finally:
            self.call_after_refresh(self._end_loading)
        self._security_shown(form.security)
        self.query_one("#dir-filter-help", Static).update(FILTER_HELP[form.kind])

    def _end_loading(self) -> None:
        self._loading = False

    @on(Select.Changed, "#dir-kind")
    def _kind_changed(self, event: Select.Changed) -> None:
        event.stop()
        if isinstance(event.value, str) and event.value != self.form.kind:
            self.form = self.directory.ldap_form(event.value)
            self._fill(self.form)
            self._result(Text(""))

    @on(Select.Changed, "#dir-security")
    def _security_changed(self, event: Select.Changed) -> None:
        event.stop()
        if self._loading or not isinstance(event.value, str):
            return
        port = self.query_one("#dir-port", Input)
        if port.value.strip() in ("", "389", "636"):
            port.value = str(default_port(event.value))
        self._security_shown(event.value)

    def _security_shown(self, security: str) -> None:
        plain = security == "plain"
        self.query_one("#dir-verify", Checkbox).disabled = plain
        self.query_one("#dir-ca", Input).disabled = plain

    @on(Checkbox.Changed, "#dir-verify")
    def _verify_changed(self, event: Checkbox.Changed) -> None:
        event.stop()
        if not event.value and not self._loading:
            self._result(
                Text(
                    "Certificate verification is off: anyone between here and the server "
                    "could read the bind password. Turn it off only to diagnose.",
                    style="bold yellow",
                )
            )

    def _checked(self) -> tuple[LdapForm, LdapSource] | None:
        """The form and its LdapSource, or None after naming the field that is wrong."""
        form = self.read_form()
        try:
            return form, form.to_source()
        except OnboardError as exc:
            self._result(Text(str(exc), style="bold red"))
            return None

    # --- the password, asked only when the reference says prompt -------------------------

    def _with_password(self, source: LdapSource, kind: str, then: Then) -> None:
        with_password(self.app, source, kind, self.passwords, then)

    # --- Test connection -----------------------------------------------------------------

    @on(Button.Pressed, "#dir-test")
    def _test(self, event: Button.Pressed) -> None:
        event.stop()
        checked = self._checked()
        if checked is None:
            return
        form, source = checked

        def go(password: Secret | None) -> None:
            self._result(Text(f"Testing {', '.join(STAGES)}…"))
            self.query_one("#dir-test", Button).disabled = True
            self.run_test(source, password)

        self._with_password(source, form.kind, go)

    @work(thread=True, exclusive=True, group="directory-test", exit_on_error=False)
    def run_test(self, source: LdapSource, password: Secret | None) -> None:
        self.post_message(DirectoryTested(self.directory.test_connection(password, source=source)))

    def on_directory_tested(self, message: DirectoryTested) -> None:
        message.stop()
        self.query_one("#dir-test", Button).disabled = False
        if message.report.failed_stage == "bind":
            self.passwords.pop(self.read_form().kind, None)  # ask again next time
        self._result(report_text(message.report))

    # --- Save and Import -----------------------------------------------------------------

    @on(Button.Pressed, "#dir-save")
    def _save(self, event: Button.Pressed) -> None:
        event.stop()
        checked = self._checked()
        if checked is not None:
            self.save(checked[0], then_import=False)

    @on(Button.Pressed, "#dir-import")
    def _import(self, event: Button.Pressed) -> None:
        event.stop()
        checked = self._checked()
        if checked is None:
            return
        form, source = checked

        def go(_password: Secret | None) -> None:
            self.save(form, then_import=True)

        self._with_password(source, form.kind, go)

    @work(thread=True, exclusive=True, group="directory-save", exit_on_error=False)
    def save(self, form: LdapForm, *, then_import: bool) -> None:
        self.directory.save_ldap(form)
        self.post_message(DirectorySaved(form.kind, then_import))

    def on_directory_saved(self, message: DirectorySaved) -> None:
        message.stop()
        self.form = self.directory.ldap_form(message.kind)
        if message.then_import:
            self.dismiss(ImportRequest(message.kind))
            return
        self._result(Text(f"Saved to session.toml ({KINDS[message.kind]}).", style="green"))

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state is WorkerState.ERROR and event.worker.group.startswith("directory-"):
            self.query_one("#dir-test", Button).disabled = False
            error = event.worker.error
            self._result(Text(str(error) if error else "That did not work.", style="bold red"))

    @on(Button.Pressed, "#dir-close")
    def action_cancel(self) -> None:
        self.dismiss(None)

    def _result(self, text: Text) -> None:
        self.query_one("#dir-result", Static).update(text)


def with_password(
    app: App[object], source: LdapSource, kind: str, passwords: dict[str, Secret], then: Then
) -> None:
    """Call `then` with the bind password: asked (masked) only when the reference says
    prompt and it was not typed before in this process; kept in `passwords` (memory)."""
    if not source.bind_user:
        then(Secret(""))  # an anonymous bind needs none
        return
    if not SecretRef.parse(source.bind_password).needs_prompt:
        then(None)  # read from env: or file: by the worker
        return
    typed = passwords.get(kind)
    if typed is not None:
        then(typed)
        return

    def answered(secret: Secret | None) -> None:
        if secret is not None:
            passwords[kind] = secret
            then(secret)

    app.push_screen(DirectoryPasswordDialog(source.bind_user, source.url), answered)


def report_text(report: ConnectionReport) -> Text:
    """One line per stage reached: ✓ or ✗, and the sentence; the first failure named."""
    text = Text()
    for stage in report.stages:
        mark, style = ("✓", "green") if stage.ok else ("✗", "bold red")
        text.append(f"{mark} {stage.stage}: ", style)
        text.append_text(literal(_without_stage(stage.stage, stage.message)))
        text.append("\n")
    if report.ok:
        text.append("The connection works.", style="bold green")
    elif report.failed_stage:
        text.append(f"Failed at: {report.failed_stage}.", style="bold red")
    return text


def _without_stage(stage: str, message: str) -> str:
    prefix = f"{stage}: "
    return message[len(prefix) :] if message.startswith(prefix) else message


def _row(label: str, widget: Input | Select[str]) -> ComposeResult:
    yield Horizontal(Label(label, classes="dir-label"), widget, classes="dir-row")
