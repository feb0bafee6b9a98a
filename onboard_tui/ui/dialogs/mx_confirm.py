"""The typed-domain confirmation before the MX switch (or its Undo)."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Static

from onboard_tui.dns import MxPlan
from onboard_tui.mx import GateCheck, name_matches
from onboard_tui.session.secrets import Secret
from onboard_tui.ui.screens.mx_view import APPLY_WARNING, gate_line, host


@dataclass(frozen=True)
class Confirmed:
    """What the administrator typed: the domain name, and the TSIG secret when asked."""

    typed: str
    secret: Secret | None = None


class ConfirmSwitchDialog(ModalScreen[Confirmed | None]):
    """Lists the plan and every open gate condition; Apply needs the domain name typed."""

    CSS_PATH = "mx_confirm.tcss"
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(
        self,
        domain: str,
        plan: MxPlan,
        open_items: tuple[GateCheck, ...],
        *,
        undo: bool = False,
        ask_secret: bool = False,
    ) -> None:
        super().__init__()
        self.domain = domain
        self.plan = plan
        self.open_items = open_items
        self.undo = undo
        self.ask_secret = ask_secret

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm-box"):
            title = "Undo the MX switch" if self.undo else "Apply the MX switch"
            yield Static(f"{title} for {host(self.domain)}", id="confirm-title", markup=False)
            if self.undo:
                yield Static(
                    "This puts the previous MX records back: mail goes to the old system again.",
                    id="confirm-warning",
                )
            else:
                yield Static(APPLY_WARNING, id="confirm-warning")
            with VerticalScroll(id="confirm-scroll"):
                yield Static(self._plan_text(), id="confirm-plan")
                if self.open_items:
                    yield Static(
                        "Not known to be ready (you continue past these at your own word):",
                        classes="confirm-head",
                    )
                    for check in self.open_items:
                        yield Static(gate_line(check), classes="confirm-item")
            yield Static(
                f"Type the domain name ({host(self.domain)}) to continue:",
                classes="confirm-head",
                markup=False,
            )
            yield Input(id="typed", placeholder=host(self.domain), compact=True)
            if self.ask_secret:
                yield Static("TSIG secret (not stored):", classes="confirm-head")
                yield Input(id="secret", password=True, compact=True)
            with Horizontal(id="confirm-buttons"):
                yield Button(
                    "Undo switch" if self.undo else "Apply switch",
                    id="confirm",
                    variant="error",
                    disabled=True,
                )
                yield Button("Cancel", id="cancel")

    def _plan_text(self) -> Text:
        text = Text("One update, applied only if the MX set is still the one shown:\n")
        for record in self.plan.delete:
            text.append(f"  delete  {record.preference} {host(record.exchange)}\n", style="red")
        for record in self.plan.add:
            text.append(f"  add     {record.preference} {host(record.exchange)}", style="green")
        return text

    def on_mount(self) -> None:
        self.query_one("#typed", Input).focus()

    @on(Input.Changed)
    def _typed(self) -> None:
        ok = name_matches(self.query_one("#typed", Input).value, self.domain)
        if self.ask_secret:
            ok = ok and bool(self.query_one("#secret", Input).value.strip())
        self.query_one("#confirm", Button).disabled = not ok

    @on(Input.Submitted)
    def _submitted(self) -> None:
        button = self.query_one("#confirm", Button)
        if button.disabled:
            self.focus_next()
        else:
            button.press()

    @on(Button.Pressed, "#confirm")
    def _confirm(self, event: Button.Pressed) -> None:
        event.stop()
        typed = self.query_one("#typed", Input).value
        secret = None
        if self.ask_secret:
            field = self.query_one("#secret", Input)
            secret = Secret(field.value.strip())
            field.value = ""
        self.dismiss(Confirmed(typed, secret))

    @on(Button.Pressed, "#cancel")
    def _cancel_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(None)

    def action_cancel(self) -> None:
        self.dismiss(None)
