"""Small keyboard dialogs: ask for a line of text, confirm an action, pick a group."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, OptionList, Static
from textual.widgets.option_list import Option

from onboard_tui.ui.widgets.literal import literal


class PromptDialog(ModalScreen[str | None]):
    """One Input; Enter or OK returns its text, Escape or Cancel returns None."""

    CSS_PATH = "prompts.tcss"
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(
        self, title: str, label: str, value: str = "", *, ok: str = "OK", placeholder: str = ""
    ) -> None:
        super().__init__()
        self.title_text = title
        self.label = label
        self.value = value
        self.ok = ok
        self.placeholder = placeholder

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box"):
            yield Static(self.title_text, classes="dialog-title", markup=False)
            yield Static(self.label, classes="dialog-text", markup=False)
            yield Input(self.value, placeholder=self.placeholder, id="prompt-input", compact=True)
            with Horizontal(classes="dialog-buttons"):
                yield Button(self.ok, id="prompt-ok", variant="primary", compact=True)
                yield Button("Cancel", id="prompt-cancel", compact=True)

    def on_mount(self) -> None:
        self.query_one("#prompt-input", Input).focus()

    @on(Input.Submitted)
    @on(Button.Pressed, "#prompt-ok")
    def _ok(self, event: Input.Submitted | Button.Pressed) -> None:
        event.stop()
        value = self.query_one("#prompt-input", Input).value.strip()
        if not value:
            self.notify("Type a value first, or press Escape to cancel.", severity="warning")
            return
        self.dismiss(value)

    @on(Button.Pressed, "#prompt-cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


class ConfirmDialog(ModalScreen[bool]):
    """A question with a button that does it and one that does not (the default)."""

    CSS_PATH = "prompts.tcss"
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, title: str, question: str, yes: str) -> None:
        super().__init__()
        self.title_text = title
        self.question = question
        self.yes = yes

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box -warning"):
            yield Static(self.title_text, classes="dialog-title", markup=False)
            yield Static(self.question, classes="dialog-text", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button(self.yes, id="confirm-yes", variant="error", compact=True)
                yield Button("Cancel", id="confirm-no", compact=True)

    def on_mount(self) -> None:
        self.query_one("#confirm-no", Button).focus()

    @on(Button.Pressed, "#confirm-yes")
    def _yes(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(True)

    @on(Button.Pressed, "#confirm-no")
    def action_cancel(self) -> None:
        self.dismiss(False)


class PickDialog(ModalScreen[str | None]):
    """Choose one of a few names (a Transfer Group) with the arrows and Enter."""

    CSS_PATH = "prompts.tcss"
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, title: str, text: str, names: list[str], current: str = "") -> None:
        super().__init__()
        self.title_text = title
        self.text = text
        self.names = names
        self.current = current

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box"):
            yield Static(self.title_text, classes="dialog-title", markup=False)
            yield Static(self.text, classes="dialog-text", markup=False)
            yield OptionList(
                *(Option(literal(n), id=str(i)) for i, n in enumerate(self.names)),
                id="pick-list",
            )
            with Horizontal(classes="dialog-buttons"):
                yield Button("Cancel", id="pick-cancel", compact=True)

    def on_mount(self) -> None:
        options = self.query_one("#pick-list", OptionList)
        if self.current in self.names:
            options.highlighted = self.names.index(self.current)
        options.focus()

    @on(OptionList.OptionSelected)
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(self.names[int(event.option.id or 0)])

    @on(Button.Pressed, "#pick-cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
