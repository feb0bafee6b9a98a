"""Step 3 Staging dialogs: the cloud admin password (masked, never stored), a start
time, and the pre-flight result with the confirmation before a group starts."""

from __future__ import annotations

from datetime import datetime

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Static

from onboard_tui.clock import Clock
from onboard_tui.errors import OnboardError
from onboard_tui.mail.preflight import PreflightReport
from onboard_tui.mail.scheduler import parse_when
from onboard_tui.ui.dialogs.secret_prompt import SecretPrompt
from onboard_tui.ui.widgets.literal import literal


class PasswordDialog(SecretPrompt):
    """The cloud admin password, typed masked; kept in memory for this process only.

    The masked field, Enter, Escape and clearing the field come from SecretPrompt; this
    dialog adds the Log on and Cancel buttons and refuses an empty password with a warning
    (the base would read empty as "cancelled")."""

    CSS_PATH = ["prompts.tcss", "migrate_dialogs.tcss"]

    def __init__(self, who: str) -> None:
        super().__init__()
        self.who = who

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box"):
            yield Static("Cloud admin password", classes="dialog-title")
            yield Static(
                f"The migration logs on to the cloud as {self.who}. Type the password you "
                "chose in Step 1. It is kept in memory until the wizard closes, never saved. "
                '(For `onboard-tui run` as a service, set [cloud] admin_password = "env:NAME" '
                'or "file:PATH" in session.toml.)',
                classes="dialog-text",
                markup=False,
            )
            yield Input(password=True, id="password-input", compact=True)
            with Horizontal(classes="dialog-buttons"):
                yield Button("Log on", id="password-ok", variant="primary", compact=True)
                yield Button("Cancel", id="password-cancel", compact=True)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """Textual calls the base class's handler after this one (it walks the MRO), so
        this only holds the base back when the field is empty."""
        if not event.value:
            event.stop()
            event.prevent_default()
            self.notify("Type the password, or press Escape to cancel.", severity="warning")

    @on(Button.Pressed, "#password-ok")
    async def _ok(self, event: Button.Pressed) -> None:
        event.stop()
        await self.query_one("#password-input", Input).action_submit()

    @on(Button.Pressed, "#password-cancel")
    def _cancel(self) -> None:
        self.action_cancel()


class ScheduleDialog(ModalScreen[datetime | None]):
    """A start time, YYYY-MM-DD HH:MM in UTC, checked to be in the future."""

    CSS_PATH = ["prompts.tcss", "migrate_dialogs.tcss"]
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, group: str, clock: Clock, current: datetime | None = None) -> None:
        super().__init__()
        self.group = group
        self.clock = clock
        self.current = current

    def compose(self) -> ComposeResult:
        now = self.clock.now()
        with Vertical(classes="dialog-box"):
            yield Static(f"Schedule '{self.group}'", classes="dialog-title", markup=False)
            yield Static(
                f"Start at (UTC, YYYY-MM-DD HH:MM; now it is {now:%Y-%m-%d %H:%M}). "
                "The wizard or `onboard-tui run --watch` starts it then. "
                + ("Unschedule removes the time." if self.current else ""),
                classes="dialog-text",
                markup=False,
            )
            yield Input(
                f"{self.current:%Y-%m-%d %H:%M}" if self.current else "",
                placeholder="2026-11-28 22:00",
                id="schedule-input",
                compact=True,
            )
            yield Static("", id="schedule-error", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button("Schedule", id="schedule-ok", variant="primary", compact=True)
                if self.current:
                    yield Button("Unschedule", id="schedule-remove", compact=True)
                yield Button("Cancel", id="schedule-cancel", compact=True)

    def on_mount(self) -> None:
        self.query_one("#schedule-input", Input).focus()

    @on(Input.Submitted)
    @on(Button.Pressed, "#schedule-ok")
    def _ok(self, event: Input.Submitted | Button.Pressed) -> None:
        event.stop()
        text = self.query_one("#schedule-input", Input).value
        try:
            when = parse_when(text, self.clock.now())
        except OnboardError as exc:
            self.query_one("#schedule-error", Static).update(literal(str(exc)))
            return
        self.dismiss(when)

    @on(Button.Pressed, "#schedule-remove")
    def _remove(self) -> None:
        self.dismiss(datetime.min)  # the caller reads datetime.min as "remove"

    @on(Button.Pressed, "#schedule-cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


class PreflightDialog(ModalScreen[bool]):
    """Each check with its finding; when all pass, confirm what is about to happen."""

    CSS_PATH = ["prompts.tcss", "migrate_dialogs.tcss"]
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, report: PreflightReport, action: str) -> None:
        super().__init__()
        self.report = report
        self.action = action

    def compose(self) -> ComposeResult:
        r = self.report
        with Vertical(classes="dialog-box" + ("" if r.ok else " -warning")):
            yield Static(f"Pre-flight for '{r.group}'", classes="dialog-title", markup=False)
            with VerticalScroll(id="preflight-checks"):
                for check in r.checks:
                    mark = "✓" if check.ok else "✗"
                    style = "green" if check.ok else "bold red"
                    line = literal(f"{mark} {check.name}: ", style)
                    line.append_text(literal(check.detail))
                    yield Static(line, classes="preflight-check")
                for user, size in r.over_quota[:5]:
                    yield Static(
                        literal(f"    {user}: {size / 1024**3:.1f} GB"), classes="preflight-more"
                    )
                for user in r.unverified[:5]:
                    yield Static(literal(f"    {user}"), classes="preflight-more")
            if r.ok:
                yield Static(
                    f"{self.action} with {r.members} user(s)?", classes="dialog-text", markup=False
                )
            else:
                yield Static(
                    "The group cannot start until every check passes. Fix what is named "
                    "above, then try again.",
                    classes="dialog-text",
                )
            with Horizontal(classes="dialog-buttons"):
                if r.ok:
                    yield Button(self.action, id="preflight-yes", variant="primary", compact=True)
                yield Button("Cancel" if r.ok else "Close", id="preflight-no", compact=True)

    def on_mount(self) -> None:
        self.query_one("#preflight-no", Button).focus()

    @on(Button.Pressed, "#preflight-yes")
    def _yes(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(True)

    @on(Button.Pressed, "#preflight-no")
    def action_cancel(self) -> None:
        self.dismiss(False)
