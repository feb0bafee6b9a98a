"""Step 2's small dialogs: add a domain or subdomain, log on, save to a file, update settings."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Select, Static

from onboard_tui.dns import ALGORITHMS
from onboard_tui.domains.service import check_update_config
from onboard_tui.errors import OnboardError
from onboard_tui.session.model import DnsUpdateConfig
from onboard_tui.ui.dialogs.secret_prompt import SecretPrompt


class PromptDialog(ModalScreen[str | None]):
    """One line of text (a domain, a subdomain, a file path); Escape cancels."""

    CSS_PATH = "verify_dialogs.tcss"
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, title: str, explain: str, *, value: str = "", placeholder: str = "") -> None:
        super().__init__()
        self.title_text = title
        self.explain = explain
        self.value = value
        self.placeholder = placeholder

    def compose(self) -> ComposeResult:
        with Vertical(classes="verify-dialog"):
            yield Static(self.title_text, classes="dialog-title", markup=False)
            yield Static(self.explain, classes="dialog-explain", markup=False)
            yield Input(self.value, placeholder=self.placeholder, id="prompt-value")
            yield Static("Enter to confirm, Escape to cancel.", classes="dialog-help")

    def on_mount(self) -> None:
        self.query_one("#prompt-value", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.dismiss(event.value.strip() or None)

    def action_cancel(self) -> None:
        self.dismiss(None)


class LogonDialog(SecretPrompt):
    """The cloud wants the administrator's password again; it is never stored."""

    CSS_PATH = "verify_dialogs.tcss"

    def __init__(self, logon_name: str, reason: str) -> None:
        super().__init__()
        self.logon_name = logon_name
        self.reason = reason

    def compose(self) -> ComposeResult:
        with Vertical(classes="verify-dialog"):
            yield Static("Log on to the cloud", classes="dialog-title")
            yield Static(self.reason, classes="dialog-explain", markup=False)
            yield Static(f"Logon name: {self.logon_name}", markup=False)
            yield Input(password=True, placeholder="password", id="logon-password")
            yield Static(
                "The password is sent to the cloud once and not kept.", classes="dialog-help"
            )


#: What the settings dialog returns: new settings, or "clear" to remove them.
CLEAR = "clear"


class UpdateSettingsDialog(ModalScreen[DnsUpdateConfig | str | None]):
    """RFC 2136 settings of one domain; the TSIG secret only as env:NAME or file:PATH."""

    CSS_PATH = "verify_dialogs.tcss"
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, domain: str, current: DnsUpdateConfig | None) -> None:
        super().__init__()
        self.domain = domain
        self.current = current or DnsUpdateConfig(zone=domain)

    def compose(self) -> ComposeResult:
        c = self.current
        with Vertical(classes="verify-dialog", id="settings-box"):
            yield Static(f"DNS update settings of {self.domain}", classes="dialog-title")
            yield Static(
                "With these, onboard-tui creates and removes the CNAME record for you "
                "(RFC 2136 signed with TSIG).",
                classes="dialog-explain",
            )
            yield _row(
                "Server",
                Input(c.server, id="set-server", placeholder="ns1.example.com", compact=True),
            )
            yield _row("Port", Input(str(c.port), id="set-port", type="integer", compact=True))
            yield _row("Zone", Input(c.zone, id="set-zone", compact=True))
            yield _row("TSIG key name", Input(c.key_name, id="set-key", compact=True))
            yield _row(
                "Algorithm",
                Select(
                    [(a, a) for a in ALGORITHMS],
                    value=c.algorithm if c.algorithm in ALGORITHMS else ALGORITHMS[0],
                    allow_blank=False,
                    id="set-algorithm",
                    compact=True,
                ),
            )
            yield _row(
                "Secret from",
                Input(
                    c.secret,
                    id="set-secret",
                    placeholder="env:NAME or file:/path (0600)",
                    compact=True,
                ),
            )
            yield Static("", id="settings-error", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button("Save", id="settings-save", variant="primary", compact=True)
                yield Button("Remove settings", id="settings-clear", compact=True)
                yield Button("Cancel", id="settings-cancel", compact=True)

    def on_mount(self) -> None:
        self.query_one("#set-server", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.focus_next()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "settings-cancel":
            self.dismiss(None)
        elif event.button.id == "settings-clear":
            self.dismiss(CLEAR)
        else:
            self._save()

    def _save(self) -> None:
        port_text = self.query_one("#set-port", Input).value.strip() or "53"
        algorithm = self.query_one("#set-algorithm", Select).value
        config = DnsUpdateConfig(
            server=self.query_one("#set-server", Input).value,
            port=int(port_text) if port_text.isdigit() else 0,
            zone=self.query_one("#set-zone", Input).value,
            key_name=self.query_one("#set-key", Input).value,
            algorithm=algorithm if isinstance(algorithm, str) else ALGORITHMS[0],
            secret=self.query_one("#set-secret", Input).value,
        )
        try:
            checked = check_update_config(config)
        except OnboardError as exc:
            self.query_one("#settings-error", Static).update(str(exc))
            return
        self.dismiss(checked)

    def action_cancel(self) -> None:
        self.dismiss(None)


def _row(label: str, control: Input | Select[str]) -> Horizontal:
    return Horizontal(Static(label, classes="set-label"), control, classes="set-row")
