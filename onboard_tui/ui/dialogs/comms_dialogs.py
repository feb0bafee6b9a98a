"""Dialogs of the Communicate screen: the template editor, who gets a message, the SMTP
settings and the SMTP password. Keyboard only; untrusted text is shown literally."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Input, OptionList, Select, Static, TextArea
from textual.widgets.option_list import Option

from onboard_tui.comms import ALL, FAILED_ONLY, GROUP, NOT_YET, PLACEHOLDERS, Audience
from onboard_tui.comms.templates import TemplateError
from onboard_tui.errors import OnboardError
from onboard_tui.session.model import SmtpSettings
from onboard_tui.ui.dialogs.secret_prompt import SecretPrompt


class TemplateEditor(ModalScreen[bool]):
    """A file in a TextArea; Ctrl+S checks and saves it (a mistake moves the cursor to its
    line and keeps the dialog open), Escape leaves without saving. True when saved."""

    CSS_PATH = "comms_dialogs.tcss"
    BINDINGS = [
        Binding("ctrl+s", "save", "Save", priority=True),
        Binding("escape", "cancel", "Close without saving"),
    ]

    def __init__(self, title: str, text: str, save: Callable[[str], object]) -> None:
        super().__init__()
        self.title_text = title
        self.text = text
        self.saver = save

    def compose(self) -> ComposeResult:
        with Vertical(classes="comms-dialog", id="editor-box"):
            yield Static(self.title_text, classes="dialog-title", markup=False)
            yield TextArea(self.text, id="editor-text", show_line_numbers=True, soft_wrap=False)
            names = " ".join("{" + n + "}" for n in PLACEHOLDERS)
            yield Static(f"Placeholders: {names}", classes="dialog-help", markup=False)
            yield Static("Ctrl+S save · Esc close without saving", classes="dialog-help")
            yield Static("", id="editor-problem", markup=False)

    def on_mount(self) -> None:
        self.query_one(TextArea).focus()

    def action_save(self) -> None:
        area = self.query_one(TextArea)
        try:
            self.saver(area.text)
        except TemplateError as exc:
            self.query_one("#editor-problem", Static).update(
                f"Not saved: line {exc.line}: {exc.problem} {exc.hint}".strip()
            )
            area.move_cursor((max(0, exc.line - 1), 0))
            area.focus()
            return
        except OnboardError as exc:
            self.query_one("#editor-problem", Static).update(f"Not saved: {exc}")
            return
        self.dismiss(True)

    def action_cancel(self) -> None:
        self.dismiss(False)


@dataclass(frozen=True)
class RecipientChoice:
    """What the recipients dialog returns."""

    audience: Audience
    force: bool


_CHOICES = (
    (NOT_YET, "Users who have not received it yet"),
    (ALL, "All users"),
    (GROUP, "A Transfer Group…"),
    (FAILED_ONLY, "Retry: users whose last attempt failed"),
)


class RecipientsDialog(ModalScreen[RecipientChoice | None]):
    """Who gets the message: arrows and Enter; Force (f) includes users who had it."""

    CSS_PATH = "comms_dialogs.tcss"
    BINDINGS = [Binding("escape", "cancel", "Cancel"), Binding("f", "force", "Force", show=False)]

    def __init__(self, title: str, groups: list[str], pick_group: Callable[..., None]) -> None:
        super().__init__()
        self.title_text = title
        self.groups = groups
        self.pick_group = pick_group

    def compose(self) -> ComposeResult:
        with Vertical(classes="comms-dialog"):
            yield Static(self.title_text, classes="dialog-title", markup=False)
            yield OptionList(
                *(
                    Option(label, id=kind, disabled=kind == GROUP and not self.groups)
                    for kind, label in _CHOICES
                ),
                id="recipients-list",
            )
            yield Checkbox("Force: also users who already received it", id="recipients-force")
            yield Static(
                "Enter choose · Tab to Force · Esc cancel. Nothing leaves before you confirm.",
                classes="dialog-help",
            )

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()

    def action_force(self) -> None:
        box = self.query_one(Checkbox)
        box.value = not box.value

    @on(OptionList.OptionSelected)
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        kind = event.option.id or NOT_YET
        force = self.query_one(Checkbox).value
        if kind != GROUP:
            self.dismiss(RecipientChoice(Audience(kind), force))
            return

        def chosen(group: str | None) -> None:
            if group:
                self.dismiss(RecipientChoice(Audience(GROUP, group), force))

        self.pick_group(chosen)

    def action_cancel(self) -> None:
        self.dismiss(None)


_SECURITY = (
    ("STARTTLS (port 587)", "starttls"),
    ("TLS from the start (port 465)", "tls"),
    ("None (a relay on this machine only)", "none"),
)


class SmtpSettingsDialog(ModalScreen[SmtpSettings | None]):
    """The [smtp] table as a form; the password only as a reference (env:, file:, prompt)."""

    CSS_PATH = "comms_dialogs.tcss"
    BINDINGS = [Binding("escape", "cancel", "Cancel"), Binding("ctrl+s", "save", "Save")]

    def __init__(self, current: SmtpSettings, check: Callable[[SmtpSettings], None]) -> None:
        super().__init__()
        self.current = current
        self.check = check

    def _row(self, label: str, field_id: str, value: str, placeholder: str = "") -> ComposeResult:
        with Horizontal(classes="form-row"):
            yield Static(label, classes="form-label")
            yield Input(value, id=field_id, placeholder=placeholder, compact=True)

    def compose(self) -> ComposeResult:
        s = self.current
        with VerticalScroll(classes="comms-dialog", id="smtp-form"):
            yield Static("SMTP server for user communications", classes="dialog-title")
            yield from self._row("Host", "smtp-host", s.host, "smtp.renovations.com")
            yield from self._row("Port", "smtp-port", str(s.port))
            with Horizontal(classes="form-row"):
                yield Static("Security", classes="form-label")
                yield Select(
                    _SECURITY, value=s.security, allow_blank=False, id="smtp-security", compact=True
                )
            yield from self._row("User name", "smtp-username", s.username, "empty: no login")
            yield from self._row(
                "Password", "smtp-password", s.password, "env:NAME, file:/path or prompt"
            )
            yield from self._row("From", "smtp-from", s.from_address, "it@renovations.com")
            yield from self._row("From name", "smtp-from-name", s.from_name)
            yield from self._row("Reply-To", "smtp-reply-to", s.reply_to)
            yield from self._row("CA file", "smtp-ca", s.ca_file, "empty: the system's CAs")
            yield from self._row("Per minute", "smtp-rate", str(s.rate_per_minute))
            yield Checkbox("Verify the server's certificate", s.verify_tls, id="smtp-verify")
            yield Static(
                "The password is never written here: give where it is (env:SMTP_PASSWORD, "
                "file:/root/smtp.pw with mode 0600) or prompt to type it when sending.",
                classes="dialog-help",
            )
            yield Static("", id="smtp-problem", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button("Save", id="smtp-save", variant="primary", compact=True)
                yield Button("Cancel", id="smtp-cancel", compact=True)

    def on_mount(self) -> None:
        self.query_one("#smtp-host", Input).focus()

    def _value(self, field_id: str) -> str:
        return self.query_one(f"#{field_id}", Input).value.strip()

    def _number(self, field_id: str, what: str, low: int, high: int) -> int:
        text = self._value(field_id)
        if not text.isdigit() or not low <= int(text) <= high:
            raise OnboardError(f"{what} must be a whole number from {low} to {high}.")
        return int(text)

    @on(Input.Submitted)
    @on(Button.Pressed, "#smtp-save")
    def action_save(self) -> None:
        problem = self.query_one("#smtp-problem", Static)
        try:
            security = self.query_one("#smtp-security", Select).value
            settings = replace(
                self.current,
                host=self._value("smtp-host"),
                port=self._number("smtp-port", "Port", 1, 65535),
                security=str(security),
                username=self._value("smtp-username"),
                password=self._value("smtp-password"),
                from_address=self._value("smtp-from"),
                from_name=self._value("smtp-from-name"),
                reply_to=self._value("smtp-reply-to"),
                ca_file=self._value("smtp-ca"),
                rate_per_minute=self._number("smtp-rate", "Per minute", 1, 10000),
                verify_tls=self.query_one("#smtp-verify", Checkbox).value,
            )
            if not settings.host or not settings.from_address:
                raise OnboardError("Host and From are needed.")
            self.check(settings)
        except OnboardError as exc:
            problem.update(f"Not saved: {exc}")
            return
        self.dismiss(settings)

    @on(Button.Pressed, "#smtp-cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


class SmtpPasswordDialog(SecretPrompt):
    """`password = "prompt"`: typed for this run, never stored or shown."""

    CSS_PATH = "comms_dialogs.tcss"

    def __init__(self, username: str, where: str) -> None:
        super().__init__()
        self.username = username
        self.where = where

    def compose(self) -> ComposeResult:
        with Vertical(classes="comms-dialog"):
            yield Static("SMTP password", classes="dialog-title")
            yield Static(f"Password of {self.username} on {self.where}:", markup=False)
            yield Input(password=True, id="smtp-secret", compact=True)
            yield Static("Used for this run only, never stored.", classes="dialog-help")
